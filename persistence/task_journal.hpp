#pragma once
// A small append-only journal of task starts and ends beside media-data.json, so tasks that were
// queued or running when the process died are reported as `lost` after a restart instead of being
// silently forgotten. Not thread-safe: the supervisor actor is its only writer.
//
// Lines: "S\t<id>\t<workflow>" (accepted), "E\t<id>\t<state>" (ended),
//        "L\t<id>\t<unix ms>\t<workflow>" (found lost at an earlier start).
// Appends are plain write()s with O_APPEND and no fsync: they survive a crash of the process
// (kill -9), which is what the journal is for, at a cost of microseconds per task.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mediagen {

struct lost_task {
  std::string id;
  std::string workflow;
  std::int64_t lost_at_ms = 0; ///< when a start found it lost (unix ms)
};

class task_journal {
public:
  /// Reads what an earlier run left at `path` and starts a fresh journal there holding only the
  /// lost tasks younger than `retention`. Returns nullptr and sets `error` when it cannot write.
  static std::unique_ptr<task_journal> open(const std::string& path, std::chrono::seconds retention,
                                            std::vector<lost_task>& lost, std::string& error);
  ~task_journal();

  void started(const std::string& id, const std::string& workflow);
  void ended(const std::string& id, const std::string& state);

  /// Lines appended since the journal was last rewritten.
  std::size_t lines() const { return lines_; }

  /// Rewrites the journal as the given live tasks plus the lost ones (keeps it small).
  std::string compact(const std::vector<std::pair<std::string, std::string>>& live, const std::vector<lost_task>& lost);

private:
  task_journal(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  void append(const std::string& line);
  std::string path_;
  int fd_ = -1;
  std::size_t lines_ = 0;
};

} // namespace mediagen
