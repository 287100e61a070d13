#pragma once
// The bridge between the sse_hub actor and one SSE stream's HTTP thread: a bounded,
// thread-safe queue of ready-made frames. The hub pushes, the HTTP thread pops; the hub keeps
// every other piece of bookkeeping (docs/TOOLCHAIN.md "SSE bridge").

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

namespace mediagen {

class sse_queue {
public:
  enum class pop_result { frame, timeout, closed };

  explicit sse_queue(std::size_t capacity) : capacity_(capacity) {}

  /// Adds a frame; false when the queue is full or closed (the hub then drops this subscriber).
  bool push(std::string frame) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_ || frames_.size() >= capacity_) return false;
      frames_.push_back(std::move(frame));
    }
    ready_.notify_one();
    return true;
  }

  /// No frame follows; pop still hands out what is queued, then answers `closed`.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

  /// Waits up to `timeout` for a frame.
  pop_result pop(std::string& out, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!ready_.wait_for(lock, timeout, [this] { return !frames_.empty() || closed_; }))
      return pop_result::timeout;
    if (frames_.empty()) return pop_result::closed;
    out = std::move(frames_.front());
    frames_.pop_front();
    return pop_result::frame;
  }

private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::string> frames_;
  std::size_t capacity_;
  bool closed_ = false;
};

using sse_queue_ptr = std::shared_ptr<sse_queue>;

/// One SSE frame: `id:`, `event:` and a single `data:` line, then a blank line.
std::string format_sse_frame(std::int64_t id, const std::string& event, const std::string& data_json);

} // namespace mediagen
