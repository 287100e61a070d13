#pragma once
// The bridge between the sse_hub actor and one SSE stream: a bounded, thread-safe queue of
// ready-made frames. The hub pushes; the HTTP connection loop takes frames without blocking
// and writes them to the socket. The queue tells its listener (the loop) when frames become
// available, so no thread waits on it (docs/DESIGN.md "SSE streams"). The hub keeps every other
// piece of bookkeeping.
//
// Live previews pass through the same queue but are disposable: at most one waits in it at a
// time (a newer one replaces it), and a preview never makes the queue full or drops its reader,
// so a slow reader falls behind by real events only.

#include <algorithm>
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

  /// Adds a preview frame, removing the preview still waiting (if any) so the newest is the one
  /// written. Skipped when the queue is full or closed: losing a preview is harmless.
  void offer_preview(sse_frame frame) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    if (waiting_preview_) {
      auto it = std::find(frames_.begin(), frames_.end(), waiting_preview_);
      if (it != frames_.end()) frames_.erase(it);
      waiting_preview_.reset();
    }
    if (frames_.size() >= capacity_) return;
    waiting_preview_ = frame;
    frames_.push_back(std::move(frame));
    if (frames_.size() == 1 && listener_) listener_();
  }

  /// Frames waiting, previews included (for tests and status).
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return frames_.size();
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
    if (out == waiting_preview_) waiting_preview_.reset();
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
  sse_frame waiting_preview_; ///< the preview in frames_ not yet taken (null: none)
  std::size_t capacity_;
  bool closed_ = false, dropped_ = false;
  std::function<void()> listener_;
};

using sse_queue_ptr = std::shared_ptr<sse_queue>;

/// One SSE frame: `id:`, `event:` and a single `data:` line, then a blank line.
std::string format_sse_frame(std::int64_t id, const std::string& event, const std::string& data_json);

/// The same without `id:`: a client's last event id (Last-Event-ID on reconnect) stays that of
/// the event before, so such a frame never moves a resumption point (used for previews).
std::string format_sse_frame_without_id(const std::string& event, const std::string& data_json);

} // namespace mediagen
