#include "backends/worker_pool.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mediagen {

worker_pool::worker_pool(std::size_t threads, int niceness) {
  if (threads == 0) threads = 1;
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this, niceness] { loop(niceness); });
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

void worker_pool::loop(int niceness) {
  // On Linux a nice value is per thread: this lowers only the calling thread's priority (never
  // raises it, should the process already run nicer).
  auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  if (niceness > 0 && niceness > ::getpriority(PRIO_PROCESS, tid)) ::setpriority(PRIO_PROCESS, tid, niceness);
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
