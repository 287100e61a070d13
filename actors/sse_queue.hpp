#pragma once
// The bridge between the sse_hub actor and one SSE stream: a bounded, thread-safe queue of
// ready-made frames. The hub pushes; the HTTP connection loop takes frames without blocking
// and writes them to the socket. The queue tells its listener (the loop) when frames become
// available, so no thread waits on it (docs/DESIGN.md "SSE streams"). The hub keeps every other
// piece of bookkeeping.

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace mediagen {

/// A ready-made SSE frame, shared by the task's log and every subscriber's queue (a replay to
/// thousands of streams copies pointers, not text).
using sse_frame = std::shared_ptr<const std::string>;

class sse_queue {
public:
  enum class take_result { frame, empty, closed, dropped };

  explicit sse_queue(std::size_t capacity) : capacity_(capacity) {}

  /// Adds a frame; false when the queue is full or closed (the hub then drops this subscriber).
  bool push(sse_frame frame) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_ || frames_.size() >= capacity_) return false;
    frames_.push_back(std::move(frame));
    // Only the first frame after the reader emptied the queue needs to wake it.
    if (frames_.size() == 1 && listener_) listener_();
    return true;
  }

  /// No frame follows; take still hands out what is queued, then answers `closed`.
  void close() { end(false); }
  /// The reader fell too far behind: it gets `dropped` at once, whatever is queued.
  void drop() { end(true); }

  /// The next frame, without waiting.
  take_result take(sse_frame& out) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (dropped_) return take_result::dropped;
    if (frames_.empty()) return closed_ ? take_result::closed : take_result::empty;
    out = std::move(frames_.front());
    frames_.pop_front();
    return take_result::frame;
  }

  /// Whether the hub cut this reader off (a reader blocked on its socket asks without taking).
  bool dropped() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return dropped_;
  }

  /// Called (under the queue's lock, so it must only note the event) when a frame arrives in an
  /// empty queue or the queue ends. Called at once if something is already waiting. An empty
  /// function detaches the reader: once this returns, the old listener is never called again.
  void set_listener(std::function<void()> listener) {
    std::lock_guard<std::mutex> lock(mutex_);
    listener_ = std::move(listener);
    if (listener_ && (!frames_.empty() || closed_)) listener_();
  }

private:
  void end(bool dropped) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
    dropped_ = dropped;
    if (listener_) listener_();
  }

  mutable std::mutex mutex_;
  std::deque<sse_frame> frames_;
  std::size_t capacity_;
  bool closed_ = false, dropped_ = false;
  std::function<void()> listener_;
};

using sse_queue_ptr = std::shared_ptr<sse_queue>;

/// One SSE frame: `id:`, `event:` and a single `data:` line, then a blank line.
std::string format_sse_frame(std::int64_t id, const std::string& event, const std::string& data_json);

} // namespace mediagen
