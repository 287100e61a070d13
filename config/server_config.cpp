#include "config/server_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>

#include "common/json.hpp"
#include "config/build_info.hpp"
#include "config/config_location.hpp"
#include "persistence/atomic_file.hpp"

namespace fs = std::filesystem;

namespace mediagen {

namespace {

/// One setting: its JSON key, its flag, its help line, how to show its current value (for the
/// defaults --help prints) and how to apply a text value.
struct setting {
  const char* key;
  const char* flag;
  const char* help;
  std::string value_name; ///< what --help writes after the '=': N (min..max), PATH, TEXT, URL
  std::function<std::string(const server_config&)> show;
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

/// An integer in [min, max]. `default_text` replaces the shown default where the field's initial
/// value is a placeholder (builtinWorkers' 0 means "the hardware threads").
template <class T>
setting integer(const char* key, const char* flag, T server_config::*field, std::int64_t min, std::int64_t max,
                const char* help, const char* default_text = nullptr) {
  return {key,
          flag,
          help,
          "N (" + std::to_string(min) + ".." + std::to_string(max) + ")",
          [=](const server_config& c) { return default_text ? std::string(default_text) : std::to_string(c.*field); },
          [=](server_config& c, const std::string& v, const fs::path&) {
            std::int64_t n = 0;
            auto e = parse_int(v, min, max, n);
            if (e.empty()) c.*field = static_cast<T>(n);
            return e;
          }};
}

/// A CORS origin as browsers send it: "*", or scheme://host[:port] with no path.
std::string check_origin(const std::string& v) {
  if (v == "*") return {};
  auto scheme_end = v.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : v.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return "must be \"*\" or an origin such as https://example.com";
  auto rest = v.substr(scheme_end + 3);
  if (rest.empty() || rest.find_first_of("/?# \t") != std::string::npos)
    return "must be an origin (scheme://host[:port], no path or trailing slash)";
  return {};
}

/// A key travels in an Authorization header and a query string: printable, no spaces. The
/// message never repeats the key.
std::string add_api_key(server_config& c, const std::string& key) {
  if (key.empty() || key.size() > 256) return "must hold keys of 1 to 256 characters";
  for (unsigned char ch : key)
    if (ch <= 0x20 || ch >= 0x7f) return "must hold keys of printable ASCII characters without spaces";
  c.api_keys.push_back(key);
  return {};
}

/// One key per line; blank lines and lines starting with '#' are skipped.
std::string read_api_keys_file(server_config& c, const std::string& path) {
  std::string text;
  if (!read_whole_file(path, text)) return "names a file that cannot be read ('" + path + "')";
  std::size_t found = 0, at = 0;
  while (at <= text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    at = end + 1;
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    if (auto e = add_api_key(c, line); !e.empty()) return e + " (one key per line in '" + path + "')";
    ++found;
  }
  // An empty file would silently leave the server open.
  if (found == 0) return "names a file that holds no keys ('" + path + "')";
  c.api_keys_file = path;
  return {};
}

std::string resolve(const std::string& v, const fs::path& base) {
  fs::path p(v);
  return p.is_absolute() || base.empty() ? v : (base / p).lexically_normal().string();
}

/// A non-empty text; a path when `is_path` (relative to the config file when it comes from one).
setting text(const char* key, const char* flag, std::string server_config::*field, bool is_path, const char* help) {
  return {key,
          flag,
          help,
          is_path ? "PATH" : "TEXT",
          [=](const server_config& c) { return c.*field; },
          [=](server_config& c, const std::string& v, const fs::path& base) {
            if (v.empty()) return std::string("must not be empty");
            c.*field = is_path ? resolve(v, base) : v;
            return std::string();
          }};
}

/// The settings, one entry each: adding a setting is adding a line here (and a field above).
const std::vector<setting>& settings() {
  static const std::vector<setting> all = {
      text("host", "--host", &server_config::host, false, "address to listen on"),
      integer("port", "--port", &server_config::port, 0, 65535, "port to listen on; 0 picks a free one (logged)"),
      text("dataDir", "--data-dir", &server_config::data_dir, true,
           "holds storage/, inputs/ and database/ (media-data.json, task-journal, webhook-journal)"),
      text("workflows", "--workflows", &server_config::workflows, true, "the workflow config (docs/WORKFLOWS.md)"),
      {"staticDir", "--static-dir", "a folder of static files served at / (a web front end); API routes come first",
       "PATH", [](const server_config& c) { return c.static_dir.empty() ? std::string("none") : c.static_dir; },
       [](server_config& c, const std::string& v, const fs::path& base) {
         if (v.empty()) return std::string("must not be empty");
         auto dir = resolve(v, base);
         std::error_code ec;
         if (!fs::is_directory(dir, ec)) return "names no folder ('" + dir + "')";
         c.static_dir = dir;
         return std::string();
       }},
      {"comfyuiUrls", "--comfyui-url", "a ComfyUI instance; repeat the flag for more (none: builtin only)", "URL",
       [](const server_config& c) { return c.comfyui_urls.empty() ? std::string("none") : c.comfyui_urls.front(); },
       [](server_config& c, const std::string& v, const fs::path&) {
         if (v.rfind("http://", 0) != 0) return std::string("must start with http://");
         c.comfyui_urls.push_back(v);
         return std::string();
       }},
      integer("comfyuiRetries", "--comfyui-retries", &server_config::comfyui_retries, 0, 10,
              "times a task moves to another healthy ComfyUI instance when its own dies before any output"),
      integer("builtinWorkers", "--builtin-workers", &server_config::builtin_workers, 1, 1024,
              "builtin renders at once", "the hardware threads"),
      integer("renderNice", "--render-nice", &server_config::render_nice, 0, 19,
              "nice value of the builtin render threads and other bulk work (0: as the request path)"),
      integer("maxQueuedTasks", "--max-queued-tasks", &server_config::max_queued_tasks, 1, 10000000,
              "tasks not yet ended before new ones get 429"),
      integer("syncTimeoutMs", "--sync-timeout-ms", &server_config::sync_timeout_ms, 1, 86400000,
              "default and cap of a sync request's timeoutMs"),
      integer("taskRetentionSeconds", "--task-retention-seconds", &server_config::task_retention_seconds, 1, 604800,
              "how long ended tasks and their events stay queryable"),
      integer("maxUploadBytes", "--max-upload-bytes", &server_config::max_upload_bytes, 1024, 1ll << 34,
              "request body limit (then 413)"),
      integer("shutdownGraceSeconds", "--shutdown-grace-seconds", &server_config::shutdown_grace_seconds, 0, 3600,
              "running tasks' time to finish on SIGTERM/SIGINT"),
      integer("cancelGraceSeconds", "--cancel-grace-seconds", &server_config::cancel_grace_seconds, 0, 3600,
              "a cancelled task waits this long at most for its backend to stop, then ends cancelled"),
      integer("httpWorkers", "--http-workers", &server_config::http_workers, 1, 65536,
              "HTTP worker threads at start (they read and answer requests)", "4 per hardware thread"),
      integer("httpWorkersMax", "--http-workers-max", &server_config::http_workers_max, 1, 65536,
              "the most HTTP worker threads the pool grows to under load"),
      integer("keepAliveTimeoutSeconds", "--keep-alive-timeout-seconds", &server_config::keep_alive_timeout_seconds, 1,
              3600, "how long an idle keep-alive connection is kept open"),
      integer("readTimeoutSeconds", "--read-timeout-seconds", &server_config::read_timeout_seconds, 1, 3600,
              "longest wait for one read from a client"),
      integer("writeTimeoutSeconds", "--write-timeout-seconds", &server_config::write_timeout_seconds, 1, 3600,
              "longest wait for one write to a client"),
      // httplib 0.11 refuses any single header line over 8 KiB by itself: a larger total limit
      // would promise what it cannot keep.
      integer("maxHeaderBytes", "--max-header-bytes", &server_config::max_header_bytes, 1024, 8192,
              "all request headers together (then 431)"),
      integer("requestTimeoutSeconds", "--request-timeout-seconds", &server_config::request_timeout_seconds, 1, 3600,
              "a whole request (head and body) must arrive within this"),
      integer("sseHeartbeatSeconds", "--sse-heartbeat-seconds", &server_config::sse_heartbeat_seconds, 1, 3600,
              "a heartbeat comment after this much silence on a progress stream"),
      integer("sseSubscribersPerTask", "--sse-subscribers-per-task", &server_config::sse_subscribers_per_task, 1,
              100000, "open progress streams per task (then 503)"),
      integer("sseSubscribersTotal", "--sse-subscribers-total", &server_config::sse_subscribers_total, 1, 1000000,
              "open progress streams in all (then 503)"),
      integer("compactEvery", "--compact-every", &server_config::compact_every, 1, 100000000,
              "gallery journal records before media-data.json is rewritten (docs/OPERATIONS.md)"),
      integer("compactSeconds", "--compact-seconds", &server_config::compact_seconds, 1, 86400,
              "longest time a gallery journal record waits for the rewrite of media-data.json"),
      integer("previewIntervalMs", "--preview-interval-ms", &server_config::preview_interval_ms, 1, 3600000,
              "a task that asked for live previews (\"previews\": true) gets one at most this often"),
      integer("sseRetryMs", "--sse-retry-ms", &server_config::sse_retry_ms, 0, 86400000,
              "the retry: every progress stream starts with (EventSource's reconnect delay)"),
      {"corsOrigins", "--cors-origin", "an origin whose pages may call the server (\"*\": any); repeat for more",
       "ORIGIN",
       [](const server_config& c) {
         return c.cors_origins.empty() ? std::string("none: no CORS headers") : c.cors_origins.front();
       },
       [](server_config& c, const std::string& v, const fs::path&) {
         auto e = check_origin(v);
         if (e.empty()) c.cors_origins.push_back(v);
         return e;
       }},
      {"apiKeys", "--api-keys-file", "a file of API keys, one per line ('#' comments); with any key, requests need one",
       "PATH",
       [](const server_config& c) { return c.api_keys_file.empty() ? std::string("none: open") : c.api_keys_file; },
       [](server_config& c, const std::string& v, const fs::path& base) {
         if (v.empty()) return std::string("must not be empty");
         return read_api_keys_file(c, resolve(v, base));
       }},
      // Flag only: keys do not belong in server.json, which is often shared.
      {"", "--api-key", "an API key; repeat for more (flag only: keys do not belong in server.json)", "KEY",
       [](const server_config&) { return std::string("none"); },
       [](server_config& c, const std::string& v, const fs::path&) { return add_api_key(c, v); }},
      {"accessLog", "--access-log", "one key=value line per request on stderr", "true|false",
       [](const server_config& c) { return std::string(c.access_log ? "true" : "false"); },
       [](server_config& c, const std::string& v, const fs::path&) {
         if (v != "true" && v != "false") return std::string("must be true or false");
         c.access_log = v == "true";
         return std::string();
       }},
      {"webhookHosts", "--webhook-host",
       "a host (host or host:port) a request's webhook may POST to; repeat for more (none: webhooks refused)", "HOST",
       [](const server_config& c) {
         return c.webhook_hosts.empty() ? std::string("none: webhooks refused") : c.webhook_hosts.front();
       },
       [](server_config& c, const std::string& v, const fs::path&) {
         if (v.empty() || v.find_first_of("/?#@ \t") != std::string::npos)
           return std::string("must be a host name or address, with an optional :port");
         c.webhook_hosts.push_back(v);
         return std::string();
       }},
      {"webhookSecret", "--webhook-secret",
       "the key webhook deliveries are signed with (Standard Webhooks): whsec_<base64>, or any text", "SECRET",
       [](const server_config& c) { return c.webhook_secret.empty() ? std::string("none") : std::string("(set)"); },
       [](server_config& c, const std::string& v, const fs::path&) {
         if (v.empty()) return std::string("must not be empty");
         c.webhook_secret = v;
         return std::string();
       }},
      integer("webhookAttempts", "--webhook-attempts", &server_config::webhook_attempts, 1, 100,
              "attempts per webhook message before it fails"),
      integer("webhookRetryBaseMs", "--webhook-retry-base-ms", &server_config::webhook_retry_base_ms, 1, 3600000,
              "delay before a webhook's first retry; each further one doubles it (at most 10 minutes)"),
      integer("webhookConcurrencyPerHost", "--webhook-concurrency-per-host", &server_config::webhook_per_host, 1, 256,
              "webhook attempts under way at once per receiver host:port"),
      integer("webhookTimeoutMs", "--webhook-timeout-ms", &server_config::webhook_timeout_ms, 100, 600000,
              "a webhook attempt's limit to connect, and to wait for the answer"),
  };
  return all;
}

const setting* by_key(const std::string& key) {
  for (auto& s : settings())
    if (*s.key && key == s.key) return &s;
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
    if (key == "comfyuiUrls" || key == "corsOrigins" || key == "webhookHosts") {
      if (!m.value.IsArray()) return "config key '" + key + "' must be an array of strings.";
      (key == "comfyuiUrls" ? out.comfyui_urls : key == "corsOrigins" ? out.cors_origins : out.webhook_hosts).clear();
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
  std::string config_path = find_default_config();
  bool config_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(9);
      config_given = true;
    }
  }
  if (config_given || !config_path.empty())
    if (auto e = apply_file(config_path, out); !e.empty()) return e;
  // A list flag replaces the file's list (the first time it appears).
  bool urls_from_flags = false, origins_from_flags = false, hooks_from_flags = false;
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
    if (s->key == std::string("corsOrigins") && !origins_from_flags) {
      out.cors_origins.clear();
      origins_from_flags = true;
    }
    if (s->key == std::string("webhookHosts") && !hooks_from_flags) {
      out.webhook_hosts.clear();
      hooks_from_flags = true;
    }
    if (auto e = s->apply(out, arg.substr(eq + 1), {}); !e.empty())
      return "flag '" + arg.substr(0, eq) + "' " + e + ".";
  }
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (out.builtin_workers == 0) out.builtin_workers = static_cast<int>(cores);
  if (out.http_workers == 0)
    out.http_workers = static_cast<int>(std::min(4 * cores, static_cast<unsigned>(out.http_workers_max)));
  if (out.http_workers > out.http_workers_max)
    return "httpWorkers (" + std::to_string(out.http_workers) + ") must not exceed httpWorkersMax (" +
           std::to_string(out.http_workers_max) + ").";
  // Unsigned deliveries would let anyone forge them to the receiver.
  if (!out.webhook_hosts.empty() && out.webhook_secret.empty())
    return "webhookHosts needs a webhookSecret to sign deliveries with.";
  return {};
}

std::string server_config_help() {
  std::string out = std::string("mediagen ") + build_info::version +
                    ", a media-generation server (docs/OPERATIONS.md).\n\n"
                    "Usage: mediagen [--config=FILE] [--flag=value ...]\n"
                    "       mediagen --help | --version\n\n"
                    "Settings come from a JSON config file, overridden by flags. Without --config the first of\n"
                    "these that exists is read (none: the defaults below):\n";
  for (auto& c : config_candidates()) out += "  " + c + "\n";
  out += "\n  --config=FILE\n      the JSON config file; its relative paths are relative to it\n";
  server_config defaults;
  for (auto& s : settings()) {
    out += std::string("  ") + s.flag + "=" + s.value_name +
           (*s.key ? std::string("   (key \"") + s.key + "\")" : std::string("   (flag only)")) + "\n";
    out += std::string("      ") + s.help + "; default: " + s.show(defaults) + "\n";
  }
  out += "  --help\n      this text\n  --version\n      the version\n";
  return out;
}

std::vector<setting_names> server_config_settings() {
  std::vector<setting_names> out;
  for (auto& s : settings()) out.push_back(setting_names{s.key, s.flag});
  return out;
}

} // namespace mediagen
