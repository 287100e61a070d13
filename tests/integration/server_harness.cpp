#include "server_harness.hpp"

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <doctest/doctest.h>

#include "persistence/crc32.hpp"

namespace mediagen::testing {

temp_folder::temp_folder(const std::string& tag) {
  static int counter = 0;
  path_ = fs::temp_directory_path() /
          ("mediagen-it-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

temp_folder::~temp_folder() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

server_process::server_process(const fs::path& data_dir, std::vector<std::string> flags) {
  static int counter = 0;
  log_path_ = data_dir.parent_path() / (data_dir.filename().string() + "-server-" + std::to_string(counter++) + ".log");
  std::vector<std::string> args = {MEDIAGEN_BINARY,
                                   std::string("--config=") + MEDIAGEN_SOURCE_DIR + "/config/server.json",
                                   "--data-dir=" + data_dir.string(), "--port=0"};
  for (auto& f : flags) args.push_back(f);
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    ::dup2(fd, 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // The server logs "listening ... port=N" once it accepts connections.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = log();
    auto at = text.find("listening");
    if (at != std::string::npos) {
      auto p = text.find("port=", at);
      port_ = std::atoi(text.c_str() + p + 5);
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL("mediagen exited at start: " << text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("mediagen did not start listening within 30 s: " << log());
}

server_process::~server_process() {
  if (pid_ > 0) stop(std::chrono::seconds(20));
  std::error_code ec;
  fs::remove(log_path_, ec);
}

httplib::Client server_process::client(int read_timeout_seconds) const {
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(read_timeout_seconds, 0);
  c.set_connection_timeout(5, 0);
  return c;
}

int server_process::stop(std::chrono::seconds patience) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + patience;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

void server_process::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string server_process::log() const { return read_file(log_path_); }

std::vector<sse_event> read_events(int port, const std::string& task_id, std::int64_t last_event_id,
                                   std::chrono::seconds timeout, int* status) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(timeout.count(), 0);
  httplib::Headers headers;
  if (last_event_id >= 0) headers.emplace("Last-Event-ID", std::to_string(last_event_id));
  std::string buffer;
  std::vector<sse_event> events;
  auto parse_ready = [&] {
    size_t end;
    while ((end = buffer.find("\n\n")) != std::string::npos) {
      std::string block = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      sse_event e;
      std::istringstream lines(block);
      std::string line;
      bool any = false;
      while (std::getline(lines, line)) {
        if (line.rfind("id: ", 0) == 0)
          e.id = std::atoll(line.c_str() + 4), any = true;
        else if (line.rfind("event: ", 0) == 0)
          e.event = line.substr(7), any = true;
        else if (line.rfind("data: ", 0) == 0)
          e.data = line.substr(6), any = true;
      }
      if (any) events.push_back(e);
    }
  };
  auto res = c.Get(("/progress/" + task_id).c_str(), headers, [&](const char* data, size_t len) {
    buffer.append(data, len);
    parse_ready();
    return true;
  });
  if (status) *status = res ? res->status : -1;
  return events;
}

json::document parse_json(const std::string& text) {
  json::document d;
  auto e = json::parse(text, d);
  INFO("body: " << text);
  REQUIRE(e.empty());
  return d;
}

httplib::Result post_json(httplib::Client& c, const std::string& path, const std::string& body) {
  return c.Post(path.c_str(), body, "application/json");
}

} // namespace mediagen::testing

namespace mediagen::testing {

std::string start_async(httplib::Client& c, const std::string& body) {
  auto res = post_json(c, "/generate", body);
  REQUIRE(res);
  INFO("body: " << res->body);
  REQUIRE(res->status == 202);
  return parse_json(res->body)["taskId"].GetString();
}

std::string fetch(httplib::Client& c, const std::string& url) {
  auto res = c.Get(url.c_str());
  REQUIRE(res);
  INFO(url << " answered " << res->body);
  REQUIRE(res->status == 200);
  return res->body;
}

std::string tiny_png(httplib::Client& c, int seed) {
  auto res = post_json(c, "/generate/sync",
                       R"({"workflow":"Builtin Tiny","prompt":"source","seed":)" + std::to_string(seed) + "}");
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  return fetch(c, parse_json(res->body)["imageUrl"].GetString());
}

std::pair<int, int> png_size(const std::string& bytes) {
  REQUIRE(bytes.size() > 24);
  REQUIRE(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  auto be32 = [&](size_t at) {
    return (static_cast<unsigned char>(bytes[at]) << 24) | (static_cast<unsigned char>(bytes[at + 1]) << 16) |
           (static_cast<unsigned char>(bytes[at + 2]) << 8) | static_cast<unsigned char>(bytes[at + 3]);
  };
  return {be32(16), be32(20)};
}

fs::path database_file(const fs::path& data) { return data / "database" / "media-data.json"; }

fs::path journal_file(const fs::path& data) { return data / "database" / "media-data.journal"; }

json::document durable_gallery(const fs::path& data) {
  json::document db;
  if (fs::exists(database_file(data)))
    db = parse_json(read_file(database_file(data)));
  else
    db.Parse(R"({"mediaData":[]})");
  REQUIRE(db.IsObject());
  REQUIRE(db.HasMember("mediaData"));
  REQUIRE(db["mediaData"].IsArray());
  auto& list = db["mediaData"];
  std::int64_t max_uid = 0;
  for (auto& e : list.GetArray()) max_uid = std::max<std::int64_t>(max_uid, e["uid"].GetInt64());
  // Lines "<length> <crc32 hex> <payload>\n"; the first one that is not whole ends the journal.
  std::string journal = fs::exists(journal_file(data)) ? read_file(journal_file(data)) : "";
  std::size_t pos = 0;
  while (pos < journal.size()) {
    auto space = journal.find(' ', pos);
    if (space == std::string::npos || space == pos || space - pos > 10) break;
    auto length = std::stoull(journal.substr(pos, space - pos));
    auto start = space + 10;
    if (start + length >= journal.size() || journal[start + length] != '\n') break;
    auto payload = journal.substr(start, length);
    if (mediagen::crc32(payload) != std::stoul(journal.substr(space + 1, 8), nullptr, 16)) break;
    pos = start + length + 1;
    auto record = parse_json(payload);
    std::string op = record["op"].GetString();
    auto& a = db.GetAllocator();
    auto position = [&](std::int64_t uid) -> json::value* {
      for (auto& e : list.GetArray())
        if (e["uid"].GetInt64() == uid) return &e;
      return nullptr;
    };
    if (op == "edit") { // whole new entries, by uid
      for (auto& e : record["entries"].GetArray())
        if (auto* old = position(e["uid"].GetInt64())) *old = json::value(e, a);
      continue;
    }
    if (op == "delete") {
      for (auto& u : record["uids"].GetArray())
        if (auto* old = position(u.GetInt64())) list.Erase(old);
      continue;
    }
    if (op == "folders") { // the whole folder list, the current one, and a folder whose entries go to Unsorted
      if (record.HasMember("unfile"))
        for (auto& e : list.GetArray())
          if (e["folder"] == record["unfile"]) e["folder"].SetString("", a);
      continue;
    }
    REQUIRE(op == "append");
    auto uid = record["entry"]["uid"].GetInt64();
    if (uid <= max_uid) continue; // already in media-data.json
    max_uid = uid;
    list.PushBack(json::value(record["entry"], a), a);
  }
  return db;
}

std::string durable_entries_text(const fs::path& data) { return json::stringify(durable_gallery(data)["mediaData"]); }

std::size_t entries_in(const fs::path& data) { return durable_gallery(data)["mediaData"].Size(); }

std::size_t files_in(const fs::path& folder) {
  std::error_code ec;
  if (!fs::exists(folder, ec)) return 0;
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(folder), fs::directory_iterator()));
}

bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return probe();
}

} // namespace mediagen::testing
