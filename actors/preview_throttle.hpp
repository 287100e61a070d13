#pragma once
// The per-task rate limit of live previews (previewIntervalMs): the first preview passes at
// once, each later one only when the interval has passed since the last that passed. Backends
// ask before doing any preview work, so a preview that would be dropped is never made.

#include <chrono>

namespace mediagen {

class preview_throttle {
public:
  using clock = std::chrono::steady_clock;

  /// `interval` 0 or less: previews are off and due() never holds.
  explicit preview_throttle(std::chrono::milliseconds interval = std::chrono::milliseconds(0)) : interval_(interval) {}

  bool enabled() const { return interval_.count() > 0; }

  /// Whether a preview may go out at `now`; if so, `now` becomes the last one.
  bool due(clock::time_point now = clock::now()) {
    if (!enabled()) return false;
    if (sent_any_ && now - last_ < interval_) return false;
    sent_any_ = true;
    last_ = now;
    return true;
  }

private:
  std::chrono::milliseconds interval_;
  bool sent_any_ = false;
  clock::time_point last_{};
};

} // namespace mediagen
