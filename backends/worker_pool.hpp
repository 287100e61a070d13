#pragma once
// A fixed set of threads for blocking work (CPU renders, HTTP calls to ComfyUI), so it never runs on CAF's scheduler threads
// nor on HTTP threads. The backend actors decide what runs when; this only executes.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mediagen {

class worker_pool {
public:
  /// `niceness` > 0 runs the threads at a lower priority than the rest of the process: CPU renders
  /// then never starve the HTTP threads (at 20 renders on 2 cores, /healthz p99 went past 1 s).
  /// `name` (at most 15 characters) names the threads, as `top -H` and /proc/<pid>/task show them.
  explicit worker_pool(std::size_t threads, int niceness = 0, std::string name = {});
  ~worker_pool(); ///< finishes the work already posted, then joins

  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  void post(std::function<void()> work);
  std::size_t size() const { return threads_.size(); }

private:
  void loop(int niceness, const std::string& name);
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> work_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace mediagen
