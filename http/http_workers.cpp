#include "http/http_workers.hpp"

#include <algorithm>

namespace mediagen {

http_workers::http_workers(std::size_t min, std::size_t max, std::chrono::milliseconds idle_exit,
                           connection_figures& figures)
    : min_(std::max<std::size_t>(1, min)), max_(std::max(max, std::max<std::size_t>(1, min))), idle_exit_(idle_exit),
      figures_(figures) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < min_; ++i) {
    auto it = running_.emplace(running_.end());
    *it = std::thread([this, it] { run(it); });
    ++threads_;
  }
  figures_.workers = static_cast<std::int64_t>(threads_);
}

http_workers::~http_workers() { stop(); }

void http_workers::submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      jobs_.push_back(std::move(job));
      // Grow only when every thread is taken: a free one picks the job up at once.
      if (idle_ < jobs_.size() && threads_ < max_) {
        auto it = running_.emplace(running_.end());
        *it = std::thread([this, it] { run(it); });
        ++threads_;
        ++figures_.workers;
      }
      work_.notify_one();
      return;
    }
  }
  job(); // after stop(): nobody else would run it
}

void http_workers::run(std::list<std::thread>::iterator self) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    ++idle_;
    bool woke = work_.wait_for(lock, idle_exit_, [this] { return stopping_ || !jobs_.empty(); });
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
    if (jobs_.empty()) {
      if (stopping_) return;
      continue;
    }
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    ++figures_.workers_busy;
    lock.unlock();
    join_exited();
    job();
    job = nullptr; // whatever the job captured goes before the thread counts as free
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
  }
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
