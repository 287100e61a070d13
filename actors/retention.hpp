#pragma once
// What the supervisor (ended tasks) and the hub (ended tasks' event logs) keep after an end:
// each id for `retention`, and never more than `max_kept` of them, oldest dropped first, so a
// burst of short tasks cannot grow memory without bound.

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <utility>

namespace mediagen {

class retention_queue {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// How often the owners sweep (their timer tick).
  static constexpr std::chrono::seconds sweep_interval{5};

  retention_queue(std::chrono::seconds retention, std::size_t max_kept) : retention_(retention), max_kept_(max_kept) {}

  /// `id` ended at `at`; `forget(id)` is called for every id that the cap pushes out now.
  template <class Forget>
  void add(std::string id, time_point at, Forget&& forget) {
    ended_.emplace_back(std::move(id), at);
    while (ended_.size() > max_kept_) pop(forget);
  }

  /// Calls `forget(id)` for every id that ended `retention` or longer before `now`.
  template <class Forget>
  void expire(time_point now, Forget&& forget) {
    while (!ended_.empty() && now - ended_.front().second >= retention_) pop(forget);
  }

  std::size_t size() const { return ended_.size(); }

private:
  template <class Forget>
  void pop(Forget& forget) {
    auto id = std::move(ended_.front().first);
    ended_.pop_front();
    forget(id);
  }

  std::chrono::seconds retention_;
  std::size_t max_kept_;
  std::deque<std::pair<std::string, time_point>> ended_; ///< oldest first
};

} // namespace mediagen
