#pragma once
// The server's settings: config/server.json, overridden by --flag=value (docs/OPERATIONS.md
// "Configuration"). Each setting is one entry of the table in server_config.cpp, which also
// writes `mediagen --help`.

#include <cstdint>
#include <string>
#include <vector>

namespace mediagen {

struct server_config {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string data_dir = "./data";
  std::string workflows = "config/workflows.json";
  /// A folder served at / (a web front end, same-origin with the API); "" serves none.
  std::string static_dir;
  std::vector<std::string> comfyui_urls;
  int builtin_workers = 0; ///< 0: the machine's hardware threads
  int render_nice = 10;    ///< renders and other bulk work yield the CPU to the request path
  std::int64_t max_queued_tasks = 1000;
  std::int64_t sync_timeout_ms = 600000;
  std::int64_t task_retention_seconds = 300;
  std::int64_t max_upload_bytes = 52428800;
  std::int64_t shutdown_grace_seconds = 30;
  std::int64_t comfyui_retries = 1;            ///< moves of a task to another ComfyUI when its instance dies
  std::int64_t cancel_grace_seconds = 10;      ///< a cancelled task ends `cancelled` after this at the latest
  int http_workers = 0;                        ///< request threads kept ready; 0: 4 per hardware thread
  int http_workers_max = 1024;                 ///< the pool grows to this under load (a sync wait holds one)
  std::int64_t keep_alive_timeout_seconds = 5; ///< an idle keep-alive connection is closed after this
  std::int64_t read_timeout_seconds = 10;      ///< one read waits at most this
  std::int64_t write_timeout_seconds = 10;
  std::int64_t max_header_bytes = 8192;      ///< all request headers together; more gets 431 (one
                                             ///< line over 8 KiB is refused by httplib itself, 400)
  std::int64_t request_timeout_seconds = 30; ///< a whole request (head and body) must arrive within this
  std::int64_t sse_heartbeat_seconds = 15;   ///< a comment line after this much silence on a stream
  std::int64_t sse_subscribers_per_task = 1000;
  std::int64_t sse_subscribers_total = 10000; ///< streams cost no thread: bounded by memory and fds
  /// media-data.json is rewritten from memory (and the gallery journal cut) once the journal
  /// holds this many records or its oldest record is this old, and at shutdown.
  std::int64_t compact_every = 10000;
  std::int64_t compact_seconds = 30;
  std::int64_t preview_interval_ms = 500; ///< live previews of a task at most this often
  std::int64_t sse_retry_ms = 3000;       ///< the `retry:` every stream starts with (EventSource's reconnect delay)
  std::vector<std::string> cors_origins;  ///< origins whose pages may call us ("*": any); none: no CORS headers
  std::vector<std::string> api_keys;      ///< none: open (no Authorization needed)
  std::string api_keys_file;              ///< where api_keys were read from ("" : flags only)
  bool access_log = false;                ///< one key=value line per request on stderr
  /// Webhooks (docs/API.md "Webhooks"): the hosts a request's webhook may name ("host" or
  /// "host:port"; none: webhooks refused), the signing secret, and how deliveries are retried.
  std::vector<std::string> webhook_hosts;
  std::string webhook_secret;                ///< "whsec_<base64>" or any text (its bytes are the key)
  std::int64_t webhook_attempts = 5;         ///< attempts per message, then it fails
  std::int64_t webhook_retry_base_ms = 1000; ///< before retry n: this × 2^(n-1), at most 10 minutes
  std::int64_t webhook_per_host = 4;         ///< attempts under way at once per host:port
  std::int64_t webhook_timeout_ms = 10000;   ///< to connect, and to wait for the answer
};

/// Reads `--config` (default: the first server.json that config_location finds) and applies
/// flags. Returns "" or one sentence naming the bad key, flag or value.
std::string load_server_config(int argc, char** argv, server_config& out);

/// `mediagen --help`: usage, then every flag with its config key, meaning and default, written
/// from the settings table so it cannot drift from what is parsed.
std::string server_config_help();

/// One row of the settings table, by its names: the config key ("" for a flag-only setting)
/// and the flag. In table order; what --help lists and the parser accepts (tests count them).
struct setting_names {
  std::string key;
  std::string flag;
};
std::vector<setting_names> server_config_settings();

} // namespace mediagen
