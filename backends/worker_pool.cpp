#include "backends/worker_pool.hpp"

#include <pthread.h>

#include "common/thread_priority.hpp"

namespace mediagen {

worker_pool::worker_pool(std::size_t threads, int niceness, std::string name) {
  if (threads == 0) threads = 1;
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this, niceness, name] { loop(niceness, name); });
}

worker_pool::~worker_pool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void worker_pool::post(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    work_.push_back(std::move(work));
  }
  ready_.notify_one();
}

void worker_pool::loop(int niceness, const std::string& name) {
  if (!name.empty()) ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
  // Only this thread's priority changes (Linux nice values are per thread).
  lower_this_thread_priority(niceness);
  for (;;) {
    std::function<void()> work;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !work_.empty(); });
      if (work_.empty()) return;
      work = std::move(work_.front());
      work_.pop_front();
    }
    work();
  }
}

} // namespace mediagen
