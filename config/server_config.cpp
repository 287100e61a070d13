#include "config/server_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>

#include "common/json.hpp"
#include "persistence/atomic_file.hpp"

namespace fs = std::filesystem;

namespace mediagen {

namespace {

/// One setting: its JSON key, its flag, and how to apply a text value.
struct setting {
  const char* key;
  const char* flag;
  std::function<std::string(server_config&, const std::string& value, const fs::path& base)> apply;
};

std::string parse_int(const std::string& text, std::int64_t min, std::int64_t max, std::int64_t& out) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || errno || *end != '\0') return "is not an integer";
  if (v < min || v > max) return "must be between " + std::to_string(min) + " and " + std::to_string(max);
  out = v;
  return {};
}

template <class T>
setting integer(const char* key, const char* flag, T server_config::*field, std::int64_t min, std::int64_t max) {
  return {key, flag, [=](server_config& c, const std::string& v, const fs::path&) {
            std::int64_t n = 0;
            auto e = parse_int(v, min, max, n);
            if (e.empty()) c.*field = static_cast<T>(n);
            return e;
          }};
}

std::string resolve(const std::string& v, const fs::path& base) {
  fs::path p(v);
  return p.is_absolute() || base.empty() ? v : (base / p).lexically_normal().string();
}

const std::vector<setting>& settings() {
  static const std::vector<setting> all = {
      {"host", "--host", [](server_config& c, const std::string& v, const fs::path&) {
         if (v.empty()) return std::string("must not be empty");
         c.host = v;
         return std::string();
       }},
      integer("port", "--port", &server_config::port, 0, 65535),
      {"dataDir", "--data-dir", [](server_config& c, const std::string& v, const fs::path& base) {
         if (v.empty()) return std::string("must not be empty");
         c.data_dir = resolve(v, base);
         return std::string();
       }},
      {"workflows", "--workflows", [](server_config& c, const std::string& v, const fs::path& base) {
         if (v.empty()) return std::string("must not be empty");
         c.workflows = resolve(v, base);
         return std::string();
       }},
      {"comfyuiUrls", "--comfyui-url", [](server_config& c, const std::string& v, const fs::path&) {
         if (v.rfind("http://", 0) != 0) return std::string("must start with http://");
         c.comfyui_urls.push_back(v);
         return std::string();
       }},
      integer("builtinWorkers", "--builtin-workers", &server_config::builtin_workers, 1, 1024),
      integer("maxQueuedTasks", "--max-queued-tasks", &server_config::max_queued_tasks, 1, 10000000),
      integer("syncTimeoutMs", "--sync-timeout-ms", &server_config::sync_timeout_ms, 1, 86400000),
      integer("taskRetentionSeconds", "--task-retention-seconds", &server_config::task_retention_seconds, 1, 604800),
      integer("maxUploadBytes", "--max-upload-bytes", &server_config::max_upload_bytes, 1024, 1ll << 34),
      integer("shutdownGraceSeconds", "--shutdown-grace-seconds", &server_config::shutdown_grace_seconds, 0, 3600),
      integer("httpThreads", "--http-threads", &server_config::http_threads, 4, 65536),
      integer("readTimeoutSeconds", "--read-timeout-seconds", &server_config::read_timeout_seconds, 1, 3600),
      integer("writeTimeoutSeconds", "--write-timeout-seconds", &server_config::write_timeout_seconds, 1, 3600),
      // httplib 0.11 refuses any single header line over 8 KiB by itself: a larger total limit
      // would promise what it cannot keep.
      integer("maxHeaderBytes", "--max-header-bytes", &server_config::max_header_bytes, 1024, 8192),
      integer("requestTimeoutSeconds", "--request-timeout-seconds", &server_config::request_timeout_seconds, 1, 3600),
      integer("sseHeartbeatSeconds", "--sse-heartbeat-seconds", &server_config::sse_heartbeat_seconds, 1, 3600),
      integer("sseSubscribersPerTask", "--sse-subscribers-per-task", &server_config::sse_subscribers_per_task, 1, 100000),
      integer("sseSubscribersTotal", "--sse-subscribers-total", &server_config::sse_subscribers_total, 1, 1000000),
  };
  return all;
}

const setting* by_key(const std::string& key) {
  for (auto& s : settings())
    if (key == s.key) return &s;
  return nullptr;
}

const setting* by_flag(const std::string& flag) {
  for (auto& s : settings())
    if (flag == s.flag) return &s;
  return nullptr;
}

std::string apply_file(const std::string& path, server_config& out) {
  std::string text;
  if (!read_whole_file(path, text)) return "cannot read the config file '" + path + "'.";
  json::document doc;
  if (auto e = json::parse(text, doc); !e.empty()) return "config file '" + path + "' is not valid JSON: " + e + ".";
  if (!doc.IsObject()) return "config file '" + path + "' must hold a JSON object.";
  fs::path base = fs::absolute(path).parent_path();
  for (auto& m : doc.GetObject()) {
    std::string key = m.name.GetString();
    auto* s = by_key(key);
    if (!s) return "config file '" + path + "' has an unknown key '" + key + "'.";
    std::vector<const json::value*> values;
    if (key == "comfyuiUrls") {
      if (!m.value.IsArray()) return "config key 'comfyuiUrls' must be an array of URLs.";
      out.comfyui_urls.clear();
      for (auto& v : m.value.GetArray()) values.push_back(&v);
    } else {
      values.push_back(&m.value);
    }
    for (auto* v : values) {
      std::string text_value = v->IsString() ? v->GetString() : json::stringify(*v);
      if (auto e = s->apply(out, text_value, base); !e.empty()) return "config key '" + key + "' " + e + ".";
    }
  }
  return {};
}

} // namespace

std::string load_server_config(int argc, char** argv, server_config& out) {
  std::string config_path = "config/server.json";
  bool config_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(9);
      config_given = true;
    }
  }
  if (config_given || fs::exists(config_path))
    if (auto e = apply_file(config_path, out); !e.empty()) return e;
  bool urls_from_flags = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--config=", 0) == 0) continue;
    auto eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos)
      return "unknown argument '" + arg + "' (flags are written --flag=value).";
    auto* s = by_flag(arg.substr(0, eq));
    if (!s) return "unknown flag '" + arg.substr(0, eq) + "'.";
    if (s->key == std::string("comfyuiUrls") && !urls_from_flags) {
      out.comfyui_urls.clear(); // flags replace the file's list
      urls_from_flags = true;
    }
    if (auto e = s->apply(out, arg.substr(eq + 1), {}); !e.empty()) return "flag '" + arg.substr(0, eq) + "' " + e + ".";
  }
  if (out.builtin_workers == 0) out.builtin_workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return {};
}

} // namespace mediagen
