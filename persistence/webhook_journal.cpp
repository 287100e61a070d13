#include "persistence/webhook_journal.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

#include "common/json.hpp"
#include "persistence/atomic_file.hpp"
#include "persistence/record_framing.hpp"

namespace mediagen {

namespace {

std::string sentence(const std::string& what, const std::string& path) {
  return what + " '" + std::filesystem::path(path).filename().string() + "' failed: " + std::strerror(errno) + ".";
}

std::string pending_payload(const webhook_message& m) {
  json::writer w;
  return w.begin_object()
      .field("op", "pending")
      .field("id", m.id)
      .field("task", m.task_id)
      .field("url", m.url)
      .field("event", m.event)
      .field("body", m.body)
      .field("createdMs", m.created_ms)
      .field("attempts", static_cast<std::uint64_t>(m.attempts))
      .field("status", m.last_status)
      .field("error", m.last_error)
      .end_object()
      .str();
}

std::string progress_payload(const char* op, const webhook_message& m, const bool* delivered) {
  json::writer w;
  w.begin_object().field("op", op).field("id", m.id);
  if (delivered) w.field("delivered", *delivered);
  return w.field("attempts", static_cast<std::uint64_t>(m.attempts))
      .field("status", m.last_status)
      .field("error", m.last_error)
      .end_object()
      .str();
}

// Applies one record to the pending list; false when it is not one we wrote.
bool apply_record(const json::value& r, std::vector<webhook_message>& pending) {
  auto op = json::get_string(r, "op");
  auto id = json::get_string(r, "id");
  if (!op || !id) return false;
  auto find = [&]() {
    for (auto it = pending.begin(); it != pending.end(); ++it)
      if (it->id == *id) return it;
    return pending.end();
  };
  auto attempts = json::get_int(r, "attempts").value_or(0);
  auto status = json::get_int(r, "status").value_or(0);
  auto error = json::get_string(r, "error").value_or("");
  if (*op == "pending") {
    webhook_message m;
    m.id = *id;
    m.task_id = json::get_string(r, "task").value_or("");
    m.url = json::get_string(r, "url").value_or("");
    m.event = json::get_string(r, "event").value_or("");
    m.body = json::get_string(r, "body").value_or("");
    m.created_ms = json::get_int(r, "createdMs").value_or(0);
    m.attempts = static_cast<std::uint32_t>(attempts);
    m.last_status = static_cast<int>(status);
    m.last_error = error;
    if (m.url.empty() || find() != pending.end()) return false;
    pending.push_back(std::move(m));
    return true;
  }
  auto it = find();
  if (it == pending.end()) return *op == "attempt" || *op == "ended"; // ended before a compaction
  if (*op == "attempt") {
    it->attempts = static_cast<std::uint32_t>(attempts);
    it->last_status = static_cast<int>(status);
    it->last_error = error;
    return true;
  }
  if (*op == "ended") {
    pending.erase(it);
    return true;
  }
  return false;
}

} // namespace

std::unique_ptr<webhook_journal> webhook_journal::open(const std::string& path, std::vector<webhook_message>& pending,
                                                       replay_result& replayed, std::string& error) {
  std::unique_ptr<webhook_journal> j(new webhook_journal(path));
  std::string text;
  read_whole_file(path, text); // absent: nothing to replay
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::string_view payload;
    if (auto why = parse_record(text, pos, payload); !why.empty()) {
      replayed.dropped_bytes = text.size() - pos;
      replayed.dropped_reason = why;
      break;
    }
    json::document record;
    if (!json::parse(std::string(payload), record).empty() || !record.IsObject() || !apply_record(record, pending)) {
      // The checksum matched, so this was written as it is: a record of another version. Keep
      // what came before it rather than guess.
      replayed.dropped_bytes = text.size() - pos;
      replayed.dropped_reason = "a record is not a webhook journal record";
      break;
    }
    ++replayed.records;
  }
  // The rewrite holds only what is still owed, and drops a torn tail with everything else.
  if (auto e = j->compact(pending); !e.empty()) {
    error = e;
    return nullptr;
  }
  return j;
}

webhook_journal::~webhook_journal() {
  if (fd_ >= 0) ::close(fd_);
}

std::string webhook_journal::append(const std::string& payload) {
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return sentence("opening the webhook journal", path_);
  }
  // One write() per record with O_APPEND: a crash can tear only the last line, which the next
  // replay cuts.
  std::string line = frame_record(payload);
  std::size_t done = 0;
  while (done < line.size()) {
    auto n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sentence("appending to the webhook journal", path_);
    }
    done += static_cast<std::size_t>(n);
  }
  ++records_;
  return {};
}

std::string webhook_journal::pending(const webhook_message& m) { return append(pending_payload(m)); }

std::string webhook_journal::attempted(const webhook_message& m) {
  return append(progress_payload("attempt", m, nullptr));
}

std::string webhook_journal::ended(const webhook_message& m, bool delivered) {
  return append(progress_payload("ended", m, &delivered));
}

std::string webhook_journal::compact(const std::vector<webhook_message>& still_pending) {
  std::string text;
  for (auto& m : still_pending) text += frame_record(pending_payload(m));
  if (auto e = write_file_atomically(path_, text); !e.empty()) return e;
  // The old descriptor points at the replaced file.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  records_ = still_pending.size();
  return {};
}

} // namespace mediagen
