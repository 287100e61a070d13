#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "config/build_info.hpp"
#include "config/config_location.hpp"
#include "config/server_config.hpp"

using namespace mediagen;
namespace fs = std::filesystem;

namespace {

std::string load(std::vector<std::string> args, server_config& out) {
  args.insert(args.begin(), "mediagen");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return load_server_config(static_cast<int>(argv.size()), argv.data(), out);
}

fs::path config_file(const std::string& text) {
  auto dir = fs::temp_directory_path() / ("mediagen-unit-config-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto p = dir / "server.json";
  std::ofstream(p) << text;
  return p;
}

} // namespace

TEST_CASE("flags override the config file, and relative paths in it are relative to it") {
  auto file = config_file(R"({"port": 9000, "dataDir": "d", "maxQueuedTasks": 5, "comfyuiUrls": ["http://a:1"]})");
  server_config c;
  REQUIRE(load({"--config=" + file.string(), "--port=9100", "--comfyui-url=http://b:2", "--comfyui-url=http://c:3"},
               c) == "");
  CHECK(c.port == 9100);
  CHECK(c.max_queued_tasks == 5);
  CHECK(c.data_dir == (file.parent_path() / "d").string());
  CHECK(c.comfyui_urls == std::vector<std::string>{"http://b:2", "http://c:3"});
  CHECK(c.builtin_workers >= 1);
  fs::remove_all(file.parent_path());
}

TEST_CASE("unknown keys, unknown flags and bad values stop start-up, naming them") {
  server_config c;
  CHECK(load({"--bogus=1"}, c).find("--bogus") != std::string::npos);
  CHECK(load({"--port=abc"}, c).find("--port") != std::string::npos);
  CHECK(load({"--port=70000"}, c).find("--port") != std::string::npos);
  CHECK(load({"--max-header-bytes=65536"}, c).find("--max-header-bytes") != std::string::npos);
  CHECK(load({"--comfyui-url=ftp://x"}, c).find("--comfyui-url") != std::string::npos);
  CHECK(load({"positional"}, c).find("positional") != std::string::npos);
  auto file = config_file(R"({"port": 1, "colour": "blue"})");
  CHECK(load({"--config=" + file.string()}, c).find("colour") != std::string::npos);
  auto bad = config_file("{not json");
  CHECK(load({"--config=" + bad.string()}, c).find("not valid JSON") != std::string::npos);
  CHECK(load({"--config=/nonexistent/server.json"}, c).find("cannot read") != std::string::npos);
  fs::remove_all(file.parent_path());
}

TEST_CASE("--help names every setting, and every flag it names is one the parser accepts") {
  auto help = server_config_help();
  CHECK(help.find(std::string("mediagen ") + build_info::version) == 0);
  std::size_t flags = 0;
  for (std::size_t at = help.find("\n  --"); at != std::string::npos; at = help.find("\n  --", at + 1)) {
    auto end = help.find_first_of("=\n", at + 3);
    std::string flag = help.substr(at + 3, end - at - 3);
    if (flag == "--help" || flag == "--version" || flag == "--config") continue;
    ++flags;
    CAPTURE(flag);
    // each flag line names its config key, or says it has none
    auto line_end = help.find('\n', end);
    CHECK((help.find("(key \"", end) < line_end || help.find("(flag only)", end) < line_end));
    server_config c;
    auto e = load({flag + "=1"}, c); // a bad value or fine, but never an unknown flag
    CHECK(e.find("unknown flag") == std::string::npos);
  }
  CHECK(flags == 33);
  server_config c;
  CHECK(load({"--no-such-flag=1"}, c).find("unknown flag") != std::string::npos);
}

TEST_CASE("without --config the shipped config is looked for beside the binary, after the working folder") {
  auto candidates = config_candidates();
  REQUIRE(candidates.size() == 4);
  CHECK(candidates.front() == "config/server.json");
  auto exe = fs::read_symlink("/proc/self/exe");
  CHECK(candidates[1] == (exe.parent_path().parent_path() / "share/mediagen/server.json").string());
  CHECK(candidates[2] == (exe.parent_path().parent_path() / "config/server.json").string());
  CHECK(candidates.back() == build_info::installed_config);
  // The unit tests run from build/: the source tree's config is found from there.
  auto here = fs::current_path();
  fs::current_path(exe.parent_path());
  CHECK(fs::equivalent(find_default_config(), fs::path(MEDIAGEN_SOURCE_DIR) / "config/server.json"));
  fs::current_path(here);
}

TEST_CASE("CORS origins, API keys, the SSE retry and the access log are read from the file and flags") {
  auto dir = fs::temp_directory_path() / ("mediagen-unit-keys-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "keys.txt") << "# one key per line\n  first-key-123  \n\nsecond-key-456\r\n";
  auto file = config_file(R"({"corsOrigins": ["https://a.example", "http://b.example:8000"], "apiKeys": ")" +
                          (dir / "keys.txt").string() + R"(", "accessLog": true, "sseRetryMs": 250})");
  server_config c;
  REQUIRE(load({"--config=" + file.string(), "--api-key=flag-key-789"}, c) == "");
  CHECK(c.cors_origins == std::vector<std::string>{"https://a.example", "http://b.example:8000"});
  CHECK(c.api_keys == std::vector<std::string>{"first-key-123", "second-key-456", "flag-key-789"});
  CHECK(c.access_log);
  CHECK(c.sse_retry_ms == 250);
  // Flags replace the file's origins.
  server_config d;
  REQUIRE(load({"--config=" + file.string(), "--cors-origin=*"}, d) == "");
  CHECK(d.cors_origins == std::vector<std::string>{"*"});
  server_config defaults;
  REQUIRE(load({}, defaults) == "");
  CHECK(defaults.cors_origins.empty());
  CHECK(defaults.api_keys.empty());
  CHECK_FALSE(defaults.access_log);
  CHECK(defaults.sse_retry_ms == 3000);
  CHECK(defaults.preview_interval_ms == 500);
  fs::remove_all(file.parent_path());
  fs::remove_all(dir);
}

TEST_CASE("bad origins and keys stop start-up, and the message never repeats a key") {
  server_config c;
  CHECK(load({"--cors-origin=https://a.example/"}, c).find("--cors-origin") != std::string::npos);
  CHECK(load({"--cors-origin=a.example"}, c).find("--cors-origin") != std::string::npos);
  auto spaced = load({"--api-key=has space-secret"}, c);
  CHECK(spaced.find("--api-key") != std::string::npos);
  CHECK(spaced.find("secret") == std::string::npos);
  CHECK(load({"--api-key="}, c).find("--api-key") != std::string::npos);
  CHECK(load({"--access-log=yes"}, c).find("--access-log") != std::string::npos);
  CHECK(load({"--api-keys-file=/nonexistent/keys"}, c).find("cannot be read") != std::string::npos);
  // A key file that holds no key would leave the server open without anyone noticing.
  auto dir = fs::temp_directory_path() / ("mediagen-unit-nokeys-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "keys.txt") << "# nothing yet\n\n";
  CHECK(load({"--api-keys-file=" + (dir / "keys.txt").string()}, c).find("holds no keys") != std::string::npos);
  // "apiKeys" names a file; the flag-only --api-key has no key in server.json.
  auto file = config_file(R"({"": "x"})");
  CHECK(load({"--config=" + file.string()}, c).find("unknown key") != std::string::npos);
  fs::remove_all(dir);
  fs::remove_all(file.parent_path());
}

TEST_CASE("staticDir: a folder, relative to the config file, and a missing one stops start-up") {
  auto file = config_file(R"({"staticDir": "site"})");
  server_config c;
  CHECK(load({"--config=" + file.string()}, c).find("staticDir") != std::string::npos); // not there yet
  fs::create_directories(file.parent_path() / "site");
  REQUIRE(load({"--config=" + file.string()}, c) == "");
  CHECK(c.static_dir == (file.parent_path() / "site").string());
  server_config d;
  CHECK(load({"--static-dir=/nonexistent/mediagen-site"}, d).find("--static-dir") != std::string::npos);
  CHECK(server_config{}.static_dir.empty()); // none by default
  fs::remove_all(file.parent_path());
}

TEST_CASE("comfyuiRetries and cancelGraceSeconds: defaults, flags and ranges") {
  server_config defaults;
  CHECK(defaults.comfyui_retries == 1);
  CHECK(defaults.cancel_grace_seconds == 10);
  server_config c;
  REQUIRE(load({"--comfyui-retries=3", "--cancel-grace-seconds=2"}, c) == "");
  CHECK(c.comfyui_retries == 3);
  CHECK(c.cancel_grace_seconds == 2);
  CHECK(load({"--comfyui-retries=11"}, c).find("--comfyui-retries") != std::string::npos);
  CHECK(load({"--cancel-grace-seconds=-1"}, c).find("--cancel-grace-seconds") != std::string::npos);
}
