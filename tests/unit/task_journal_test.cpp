// The task journal: what a restart finds lost, what it forgets, and compaction.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <unistd.h>

#include "persistence/atomic_file.hpp"
#include "persistence/task_journal.hpp"

using namespace mediagen;
namespace fs = std::filesystem;

namespace {

struct journal_folder {
  fs::path dir = fs::temp_directory_path() / ("mediagen-unit-journal-" + std::to_string(::getpid()));
  journal_folder() {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~journal_folder() { fs::remove_all(dir); }
  std::string path() const { return (dir / "task-journal").string(); }
};

std::vector<std::string> ids(const std::vector<lost_task>& lost) {
  std::vector<std::string> out;
  for (auto& t : lost) out.push_back(t.id);
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("task journal: started but never ended is lost at the next start, once only per retention") {
  journal_folder f;
  std::vector<lost_task> lost;
  std::string error;
  {
    auto j = task_journal::open(f.path(), std::chrono::seconds(300), lost, error);
    REQUIRE(j != nullptr);
    CHECK(lost.empty());
    j->started("a", "Builtin Tiny");
    j->started("b", "Builtin\tTiny"); // a tab in a name must not break the line
    j->started("c", "Builtin Tiny");
    j->ended("a", "completed");
  } // the process "dies" here
  auto j = task_journal::open(f.path(), std::chrono::seconds(300), lost, error);
  REQUIRE(j != nullptr);
  CHECK(ids(lost) == std::vector<std::string>{"b", "c"});
  for (auto& t : lost) CHECK(t.workflow == "Builtin Tiny");
  j.reset();
  // Still reported after another restart within retention (the journal keeps them as L lines)...
  REQUIRE(task_journal::open(f.path(), std::chrono::seconds(300), lost, error) != nullptr);
  CHECK(ids(lost) == std::vector<std::string>{"b", "c"});
  // ...and forgotten once retention has passed.
  REQUIRE(task_journal::open(f.path(), std::chrono::seconds(0), lost, error) != nullptr);
  CHECK(lost.empty());
}

TEST_CASE("task journal: a torn last line is ignored") {
  journal_folder f;
  REQUIRE(write_file_atomically(f.path(), "S\tx\tW\nE\tx\tcompleted\nS\ty\tW\nS\tz\tW").empty()); // z torn
  std::vector<lost_task> lost;
  std::string error;
  REQUIRE(task_journal::open(f.path(), std::chrono::seconds(300), lost, error) != nullptr);
  CHECK(ids(lost) == std::vector<std::string>{"y"});
}

TEST_CASE("task journal: compaction keeps only what is open, and replays the same") {
  journal_folder f;
  std::vector<lost_task> lost;
  std::string error;
  auto j = task_journal::open(f.path(), std::chrono::seconds(300), lost, error);
  REQUIRE(j != nullptr);
  for (int i = 0; i < 100; ++i) {
    j->started("t" + std::to_string(i), "W");
    if (i != 42) j->ended("t" + std::to_string(i), "completed");
  }
  CHECK(j->lines() == 199);
  REQUIRE(j->compact({{"t42", "W"}}, {lost_task{"old", "W", 0}}).empty());
  CHECK(j->lines() == 0);
  std::string text;
  REQUIRE(read_whole_file(f.path(), text));
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);
  j->started("new", "W"); // appends continue after a compaction
  j.reset();
  REQUIRE(task_journal::open(f.path(), std::chrono::seconds(300), lost, error) != nullptr);
  CHECK(ids(lost) == std::vector<std::string>{"new", "t42"}); // "old" was lost too long ago
}
