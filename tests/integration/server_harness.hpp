#pragma once
// Starts the real mediagen binary on a free loopback port with its own data folder, talks to it
// over HTTP, and stops it. Tests never depend on anything already running on the machine.

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <httplib.h>

#include "common/json.hpp"

namespace mediagen::testing {

namespace fs = std::filesystem;

/// A fresh, empty folder under the system temp folder, removed by the destructor.
class temp_folder {
public:
  explicit temp_folder(const std::string& tag);
  ~temp_folder();
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

class server_process {
public:
  /// Starts mediagen with `--data-dir=data_dir --port=0` and the shipped config, plus `flags`.
  server_process(const fs::path& data_dir, std::vector<std::string> flags = {});
  ~server_process(); ///< SIGTERM, then SIGKILL after 20 s

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  httplib::Client client(int read_timeout_seconds = 60) const;

  /// Sends SIGTERM and waits; returns the exit status (or -1 when it had to be killed).
  int stop(std::chrono::seconds patience = std::chrono::seconds(40));
  /// SIGKILL, as a crash.
  void kill_hard();
  /// What the server wrote to stderr so far.
  std::string log() const;

private:
  pid_t pid_ = -1;
  int port_ = 0;
  fs::path log_path_;
};

/// One parsed SSE event.
struct sse_event {
  std::int64_t id = 0;
  std::string event;
  std::string data;
};

/// Reads /progress/:id until the server closes the stream (or `timeout`); `last_event_id` >= 0
/// sends Last-Event-ID.
std::vector<sse_event> read_events(int port, const std::string& task_id, std::int64_t last_event_id = -1,
                                   std::chrono::seconds timeout = std::chrono::seconds(60), int* status = nullptr);

json::document parse_json(const std::string& text);
std::string read_file(const fs::path& p);

/// POSTs a JSON body.
httplib::Result post_json(httplib::Client& c, const std::string& path, const std::string& body);

/// POST /generate, REQUIRE 202; the task id.
std::string start_async(httplib::Client& c, const std::string& body);

/// GET `url`, REQUIRE 200; the body.
std::string fetch(httplib::Client& c, const std::string& url);

/// A 64×64 PNG made by the server itself (a sync "Builtin Tiny" generation).
std::string tiny_png(httplib::Client& c, int seed);

/// Width and height from a PNG's header.
std::pair<int, int> png_size(const std::string& bytes);

/// <data>/database/media-data.json, how many entries it holds (0 when absent), and how many
/// files a folder holds (0 when absent).
fs::path database_file(const fs::path& data);
/// The gallery journal beside it (docs/OPERATIONS.md "Gallery durability").
fs::path journal_file(const fs::path& data);
/// What is durable on disk, read without the server's code: media-data.json (which must parse)
/// with the journal's whole records after it, as {"mediaData": [...]}, the way a start-up sees it.
json::document durable_gallery(const fs::path& data);
/// The durable entries as one JSON text, to compare before and after.
std::string durable_entries_text(const fs::path& data);
/// How many entries are durable.
std::size_t entries_in(const fs::path& data);
std::size_t files_in(const fs::path& folder);

/// Polls `probe` every 20 ms until it holds or `within` passes.
bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds within);

/// A string member of a JSON object; the test stops when it is missing or not a string.
inline std::string string_field(const json::value& v, const char* key) {
  REQUIRE(v.HasMember(key));
  REQUIRE(v[key].IsString());
  return v[key].GetString();
}

} // namespace mediagen::testing
