#include "http/http_workers.hpp"

#include <algorithm>

namespace mediagen {

http_workers::http_workers(std::size_t min, std::size_t max, std::chrono::milliseconds idle_exit,
                           std::chrono::milliseconds grow_after, connection_figures& figures)
    : min_(std::max<std::size_t>(1, min)), max_(std::max(max, std::max<std::size_t>(1, min))), idle_exit_(idle_exit),
      grow_after_(grow_after), figures_(figures) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < min_; ++i) spawn();
  grower_ = std::thread([this] { grow(); });
}

http_workers::~http_workers() { stop(); }

void http_workers::spawn() {
  auto it = running_.emplace(running_.end());
  *it = std::thread([this, it] { run(it); });
  ++threads_;
  ++figures_.workers;
  last_spawn_ = std::chrono::steady_clock::now();
}

void http_workers::submit(std::function<void()> fn, lane l) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      (l == lane::first ? first_ : jobs_).push_back(job{std::move(fn), std::chrono::steady_clock::now()});
      if (idle_ >= waiting())
        work_.notify_one();
      else
        grow_.notify_one(); // every thread is taken: the grower decides whether to add one
      return;
    }
  }
  fn(); // after stop(): nobody else would run it
}

void http_workers::grow() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (waiting() == 0 || idle_ >= waiting() || threads_ >= max_) {
      grow_.wait(lock); // nothing waits: no timer runs
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    auto oldest = std::chrono::steady_clock::time_point::max();
    if (!first_.empty()) oldest = first_.front().queued_at;
    if (!jobs_.empty()) oldest = std::min(oldest, jobs_.front().queued_at);
    auto due = std::max(oldest, last_spawn_) + grow_after_;
    if (now >= due) {
      spawn();
      work_.notify_one();
    } else {
      grow_.wait_until(lock, due);
    }
  }
}

void http_workers::run(std::list<std::thread>::iterator self) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    ++idle_;
    bool woke = work_.wait_for(lock, idle_exit_, [this] { return stopping_ || waiting() > 0; });
    --idle_;
    if (!woke && threads_ > min_) {
      // Idle too long and more threads than the floor: leave. A thread cannot join itself, so
      // it parks its handle for the next submit or stop to join.
      exited_.push_back(std::move(*self));
      running_.erase(self);
      --threads_;
      --figures_.workers;
      return;
    }
    if (waiting() == 0) {
      if (stopping_) return;
      continue;
    }
    auto& from = first_.empty() ? jobs_ : first_;
    auto next = std::move(from.front().run);
    from.pop_front();
    ++figures_.workers_busy;
    lock.unlock();
    join_exited();
    next();
    next = nullptr; // whatever the job captured goes before the thread counts as free
    --figures_.workers_busy;
    lock.lock();
  }
}

void http_workers::join_exited() {
  std::vector<std::thread> done;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done.swap(exited_);
  }
  for (auto& t : done) t.join();
}

void http_workers::stop() {
  std::list<std::thread> live;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    work_.notify_all();
    grow_.notify_all();
  }
  grower_.join();
  // Threads keep removing themselves only while not stopping; from here the list is stable.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    live.swap(running_);
  }
  for (auto& t : live) t.join();
  join_exited();
  figures_.workers = 0;
}

} // namespace mediagen
