#pragma once
// Jobs waiting for a backend, by priority: the highest level first, each level first come, first
// served. Positions count the jobs ahead across all levels. No actors here: a backend actor owns
// one and is its only user.

#include <array>
#include <cstddef>
#include <deque>

namespace mediagen {

/// How many waiting jobs hear about each move of a queue: the ones near its head. Telling all
/// of them on every dispatch would cost O(n²) messages for a burst of n tasks.
inline constexpr std::size_t queue_positions_reported = 8;

template <class Job, std::size_t Levels>
class job_queue {
public:
  /// Queues `job` behind every job of its level and of the levels above it (0 is the highest);
  /// returns its position (jobs ahead of it).
  std::size_t push(std::size_t level, Job job) {
    if (level >= Levels) level = Levels - 1;
    levels_[level].push_back(std::move(job));
    std::size_t position = 0;
    for (std::size_t l = 0; l <= level; ++l) position += levels_[l].size();
    return position - 1;
  }

  bool empty() const { return size() == 0; }

  std::size_t size() const {
    std::size_t n = 0;
    for (auto& l : levels_) n += l.size();
    return n;
  }

  /// Takes the job to run next. Only when !empty().
  Job pop() {
    for (auto& l : levels_)
      if (!l.empty()) {
        Job job = std::move(l.front());
        l.pop_front();
        return job;
      }
    return Job{};
  }

  /// Removes the first job `match` holds for; false when none does.
  template <class Match, class Removed>
  bool remove_first(Match match, Removed removed) {
    for (auto& l : levels_)
      for (auto it = l.begin(); it != l.end(); ++it)
        if (match(*it)) {
          Job job = std::move(*it);
          l.erase(it);
          removed(job);
          return true;
        }
    return false;
  }

  /// Calls `visit(job, position)` for at most `count` jobs from `position` `first` on, in order.
  template <class Visit>
  void visit_from(std::size_t first, std::size_t count, Visit visit) const {
    std::size_t position = 0;
    for (auto& l : levels_) {
      if (count == 0) return;
      if (first >= position + l.size()) {
        position += l.size();
        continue;
      }
      for (std::size_t i = first > position ? first - position : 0; i < l.size() && count > 0; ++i, --count)
        visit(l[i], position + i);
      position += l.size();
    }
  }

  /// Every job, in the order they would run (shutdown: each must hear that it never will).
  template <class Visit>
  void for_each(Visit visit) {
    for (auto& l : levels_)
      for (auto& job : l) visit(job);
  }

private:
  std::array<std::deque<Job>, Levels> levels_;
};

} // namespace mediagen
