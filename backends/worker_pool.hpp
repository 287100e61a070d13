#pragma once
// A fixed set of threads for blocking work (CPU renders, HTTP calls to ComfyUI), so it never runs on CAF's scheduler threads
// nor on HTTP threads. The backend actors decide what runs when; this only executes.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mediagen {

class worker_pool {
public:
  explicit worker_pool(std::size_t threads);
  ~worker_pool(); ///< finishes the work already posted, then joins

  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  void post(std::function<void()> work);
  std::size_t size() const { return threads_.size(); }

private:
  void loop();
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> work_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace mediagen
