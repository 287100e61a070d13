#include "persistence/task_journal.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sstream>
#include <unistd.h>

#include "persistence/atomic_file.hpp"

namespace mediagen {

namespace {

std::string clean(std::string s) {
  for (auto& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string lost_line(const lost_task& t) {
  return "L\t" + t.id + "\t" + std::to_string(t.lost_at_ms) + "\t" + clean(t.workflow) + "\n";
}

} // namespace

std::unique_ptr<task_journal> task_journal::open(const std::string& path, std::chrono::seconds retention,
                                                 std::vector<lost_task>& lost, std::string& error) {
  std::string text;
  read_whole_file(path, text); // absent: nothing was lost
  // Replay: a start without an end is a task the previous process never finished.
  std::map<std::string, lost_task> open_tasks;
  std::vector<lost_task> earlier;
  std::int64_t now = now_ms();
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break; // a torn last line (no newline) is ignored
    auto f = fields_of(line);
    if (f.size() >= 3 && f[0] == "S")
      open_tasks[f[1]] = lost_task{f[1], f[2], now};
    else if (f.size() >= 3 && f[0] == "E")
      open_tasks.erase(f[1]);
    else if (f.size() >= 4 && f[0] == "L") {
      lost_task t{f[1], f[3], std::atoll(f[2].c_str())};
      if (now - t.lost_at_ms < static_cast<std::int64_t>(retention.count()) * 1000) earlier.push_back(t);
    }
  }
  lost = earlier;
  for (auto& [id, t] : open_tasks) lost.push_back(t);
  std::string fresh;
  for (auto& t : lost) fresh += lost_line(t);
  if (auto e = write_file_atomically(path, fresh); !e.empty()) {
    error = "cannot write the task journal: " + e;
    return nullptr;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open the task journal '" + path + "': " + std::strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<task_journal>(new task_journal(path, fd));
}

task_journal::~task_journal() {
  if (fd_ >= 0) ::close(fd_);
}

void task_journal::append(const std::string& line) {
  // One write() per line with O_APPEND: a crash leaves whole lines, or a torn last one.
  if (fd_ >= 0 && ::write(fd_, line.data(), line.size()) == static_cast<ssize_t>(line.size())) ++lines_;
}

void task_journal::started(const std::string& id, const std::string& workflow) {
  append("S\t" + id + "\t" + clean(workflow) + "\n");
}

void task_journal::ended(const std::string& id, const std::string& state) {
  append("E\t" + id + "\t" + clean(state) + "\n");
}

std::string task_journal::compact(const std::vector<std::pair<std::string, std::string>>& live,
                                  const std::vector<lost_task>& lost) {
  std::string text;
  for (auto& t : lost) text += lost_line(t);
  for (auto& [id, workflow] : live) text += "S\t" + id + "\t" + clean(workflow) + "\n";
  if (auto e = write_file_atomically(path_, text); !e.empty()) return e;
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return "cannot reopen the task journal: " + std::string(std::strerror(errno));
  ::close(fd_);
  fd_ = fd;
  lines_ = 0;
  return {};
}

} // namespace mediagen
