#pragma once
// A thin blocking HTTP client for one ComfyUI instance (base URL "http://host:port[/prefix]").
//
// Threading: every method is const and thread-safe. Each call opens its own connection
// (httplib::Client per call, TCP_NODELAY on, no keep-alive), so an /interrupt can go out while
// another thread is blocked in a long /view. Calls block for at most the configured timeouts:
// connect <= 3 s, then a read timeout per socket read (not a total deadline).
//
// Errors are values: every result says ok / the HTTP status (0 when no answer came) / one
// sentence naming the URL, e.g. "ComfyUI at http://127.0.0.1:8188 is unreachable: connection
// refused." Nothing here throws.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "backends/comfyui/base_url.hpp"
#include "backends/comfyui/messages.hpp"

namespace mediagen::comfyui {

struct http_options {
  std::chrono::milliseconds connect_timeout{3000};     ///< capped at 3 s
  std::chrono::milliseconds read_timeout{30000};       ///< JSON endpoints
  std::chrono::milliseconds write_timeout{30000};      ///< request bodies (graphs, uploads)
  std::chrono::milliseconds view_read_timeout{120000}; ///< /view may stream a large video
  std::uint64_t max_view_bytes = 4ull << 30;           ///< a /view body larger than this is refused
};

/// What every call answers.
struct call_status {
  bool ok = false;
  int http_status = 0; ///< 0 when no HTTP answer arrived (unreachable, timeout, bad URL)
  std::string error;   ///< one sentence when !ok, naming the URL
  /// True when the failure was in transport (no answer): worth retrying later.
  bool unreachable() const { return !ok && http_status == 0; }
};

struct submit_result : call_status {
  prompt_answer answer; ///< parsed answer (on 200 and on 400)
};
struct history_result : call_status {
  history_entry entry; ///< entry.found == false: not written yet (ok is still true)
};
struct view_result : call_status {
  std::string bytes;
  std::string content_type;
};
struct upload_result : call_status {
  std::string name; ///< the file name ComfyUI stored it under (may differ: "x (1).png")
  std::string subfolder;
  std::string type; ///< "input", "temp" or "output"
};
struct queue_result : call_status {
  std::vector<std::string> prompt_ids; ///< running and pending, as GET /queue lists them
};

struct json_result : call_status {
  std::string json; ///< the body as received
};

class http_api {
public:
  /// `base` as parse_base_url accepts it. A malformed URL makes every call fail with a
  /// sentence saying so (check valid()).
  explicit http_api(const std::string& base, http_options options = {});
  http_api(base_url base, http_options options = {});

  bool valid() const { return valid_; }
  const base_url& url() const { return url_; }
  /// "http://host:port[/prefix]" for logs and error sentences.
  std::string describe() const;

  /// POST /prompt {"prompt": graph, "client_id": ..., "prompt_id": ...}. ok only when the
  /// prompt was queued; a 400 answer gives ok=false, http_status=400, answer.error/node_errors
  /// and `error` = answer.describe(). Empty client_id / prompt_id are left out of the body.
  /// Use answer.prompt_id afterwards: older servers ignore the prompt_id we send.
  submit_result submit_prompt(const std::string& graph_json, const std::string& client_id,
                              const std::string& prompt_id) const;

  /// GET /history/{prompt_id}; `{}` gives ok with entry.found == false.
  history_result get_history(const std::string& prompt_id) const;

  /// GET /view?filename=&subfolder=&type= -> the file's bytes.
  view_result view(const std::string& filename, const std::string& subfolder, const std::string& type) const;

  /// POST /upload/image (multipart: image, type, overwrite, subfolder) -> stored name.
  upload_result upload_image(const std::string& bytes, const std::string& filename, const std::string& type = "input",
                             bool overwrite = false, const std::string& subfolder = "") const;

  /// POST /free {"unload_models": .., "free_memory": ..}. ComfyUI applies it between prompts.
  call_status free(bool unload_models, bool free_memory) const;

  /// POST /interrupt, with {"prompt_id": id} when given (newer servers interrupt only that
  /// prompt when it is the running one; older servers interrupt whatever runs).
  call_status interrupt(const std::string& prompt_id = "") const;

  /// POST /queue {"delete": [ids]}: drops queued (not running) prompts.
  call_status queue_delete(const std::vector<std::string>& prompt_ids) const;

  /// GET /queue: the prompt ids of `queue_running` and `queue_pending` (each item is
  /// [number, prompt_id, prompt, extra_data, outputs] in ComfyUI's server.py).
  queue_result get_queue() const;

  /// GET /system_stats, the raw JSON (also a cheap liveness probe).
  json_result system_stats() const;

private:
  base_url url_;
  bool valid_ = false;
  std::string invalid_reason_;
  http_options options_;
};

} // namespace mediagen::comfyui
