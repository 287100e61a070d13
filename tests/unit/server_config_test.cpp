#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

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
  REQUIRE(load({"--config=" + file.string(), "--port=9100", "--comfyui-url=http://b:2", "--comfyui-url=http://c:3"}, c) == "");
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
