#pragma once
// The threads that read, handle and answer HTTP requests. A connection holds one only while a
// request is in flight (idle keep-alive connections and SSE streams wait in the connection
// loop). The pool starts with `min` threads and grows while jobs wait and no thread is free, up
// to `max` (a sync request blocks its thread for the whole generation): one more thread per
// `grow_after` that the oldest job has waited, so a burst of short blocking calls (thousands of
// SSE subscribes asking the hub at once) does not spawn a thread per request. Threads above
// `min` leave after `idle_exit` without work.
//
// Two lanes: a free thread takes the oldest job of the `first` lane before any other. The
// server puts reads there (GET, HEAD, OPTIONS: a health check, a gallery page, a status poll),
// which are quick and have someone waiting, so a burst of generate requests queued ahead does
// not hold them up (docs/DESIGN.md "Connections"). The pool grows on the oldest job of either.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "http/connection_figures.hpp"

namespace mediagen {

class http_workers {
public:
  /// Keeps `figures.workers` and `figures.workers_busy` up to date.
  http_workers(std::size_t min, std::size_t max, std::chrono::milliseconds idle_exit,
               std::chrono::milliseconds grow_after, connection_figures& figures);
  ~http_workers();

  http_workers(const http_workers&) = delete;
  http_workers& operator=(const http_workers&) = delete;

  enum class lane { first, normal };

  /// Runs `job` on a worker; queued in its lane while all `max` are busy.
  void submit(std::function<void()> job, lane l = lane::normal);
  /// Runs what is queued, then joins every thread. Jobs submitted afterwards run on the caller.
  void stop();

private:
  void run(std::list<std::thread>::iterator self);
  /// Adds threads while jobs wait; sleeps on `grow_` while none do.
  void grow();
  void spawn(); ///< with mutex_ held
  void join_exited();
  std::size_t waiting() const { return first_.size() + jobs_.size(); } ///< with mutex_ held

  struct job {
    std::function<void()> run;
    std::chrono::steady_clock::time_point queued_at;
  };
  const std::size_t min_, max_;
  const std::chrono::milliseconds idle_exit_, grow_after_;
  mutable std::mutex mutex_;
  std::condition_variable work_, grow_;
  std::deque<job> first_; ///< the `first` lane, taken before jobs_
  std::deque<job> jobs_;  ///< the `normal` lane
  std::chrono::steady_clock::time_point last_spawn_;
  std::thread grower_;
  std::list<std::thread> running_;  ///< every live thread, so stop() can join them
  std::vector<std::thread> exited_; ///< threads that left for idleness, joined later
  std::size_t idle_ = 0;            ///< threads waiting for a job
  std::size_t threads_ = 0;         ///< live threads
  bool stopping_ = false;
  connection_figures& figures_;
};

} // namespace mediagen
