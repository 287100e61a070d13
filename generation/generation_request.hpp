#pragma once
// A validated generation request, and the validation that turns a client's fields into one.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "generation/input_files.hpp"
#include "generation/task_priority.hpp"
#include "generation/webhook_spec.hpp"
#include "generation/workflow.hpp"

namespace mediagen {

/// What the HTTP layer hands the supervisor: checked, typed, complete (defaults applied).
struct generation_request {
  std::string workflow; ///< its name, as the client sent it
  workflow_ref wf;      ///< the same workflow, resolved once at validation
  std::string prompt;
  std::string name;
  std::int64_t seed = 0;
  std::string orientation;
  /// What the client said about the media, kept in its gallery entry and result (the Node
  /// server's clients search and show them): free text, and tags (a list, or comma-separated).
  std::string description;
  std::string summary;
  std::vector<std::string> tags;
  /// Which client page started the task ("yaaiic", "inpaint", ...): a page reloaded mid-task
  /// finds its task again in /generation/tasks/active. "" when not given.
  std::string request_origin;
  /// The workflow's declared extra inputs as they were checked (defaults applied), a JSON
  /// object: stored with the entry so it can be shown and regenerated.
  std::string extra_inputs_json;
  bool silent = false; ///< sync: no gallery entry, no SSE events needed
  /// "previews": true — live preview events on the task's stream (async only: sync tasks
  /// publish no events, so they never ask their backend for previews).
  bool previews = false;
  std::int64_t timeout_ms = 0; ///< sync: how long the client waits
  bool cancel_on_disconnect = false;
  /// Which jobs its backend runs first: sync requests default to high, others to normal.
  task_priority priority = task_priority::normal;
  std::vector<input_file> files; ///< uploaded inputs, stored under the server's names
  bool inpaint = false;
  std::string inpaint_area_json; ///< {"x1","y1","x2","y2"} or ""
  std::string task_id;           ///< chosen before planning, so replace rules can read it; never changed
  std::string graph_json;        ///< the filled graph (pre-generation tasks, then replace)
  std::string planned_data_json; ///< the data after the pre-generation tasks (post tasks start here)
  /// "image" or "audio" for POST /upload/*: files[0] becomes a new entry, no backend runs
  /// (generation/upload_request.hpp). "" for a generation.
  std::string upload;
  /// Idempotency-Key / clientTaskId, prefixed with its scope (the API key's), or "" for none: a
  /// start whose key already names a task answers that task instead (actors/supervisor_actor).
  std::string idempotency_key;
  /// SHA-256 (hex) of the request as http/request_fingerprint canonicalizes it: a key reused
  /// with another fingerprint is refused (key_conflict).
  std::string fingerprint;
  /// Where the task's events are POSTed, signed ("" url: nowhere); checked against webhookHosts.
  webhook_spec webhook;
};

/// A workflow handle is inspected by its name only: requests never leave the process, so
/// nothing loads one (a loaded handle would be null).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workflow_ref& x) {
  std::string name = x ? x->name : std::string();
  return f(name);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, generation_request& x) {
  return f(x.workflow, x.wf, x.prompt, x.name, x.seed, x.orientation, x.description, x.summary, x.tags,
           x.request_origin, x.extra_inputs_json, x.silent, x.previews, x.timeout_ms, x.cancel_on_disconnect,
           x.priority, x.files, x.inpaint, x.inpaint_area_json, x.task_id, x.graph_json, x.planned_data_json, x.upload,
           x.idempotency_key, x.fingerprint, x.webhook);
}

/// Which endpoint a request came through.
enum class request_kind { async, sync, inpaint };

/// A file part of a multipart body, before it is stored.
struct uploaded_part {
  std::string field;
  const std::string* bytes = nullptr;
};

/// The answer of validation: a request, or an HTTP status with a one-sentence error.
struct validation_result {
  bool ok = false;
  int status = 400;
  std::string error;
  generation_request request;
  /// Every field a `replace` rule or task may read, as a JSON object: prompt, name, seed,
  /// orientation, workflow, and each declared extra input. Undeclared client fields never get
  /// here. Kept as a DOM through naming the files and planning: serialized once, when planned.
  json::document data;
};

/// A refusal: `status` with its one-sentence `error`.
validation_result refused(int status, std::string error);

/// The longest text a request's field may hold (a prompt, a name, tags ...).
inline constexpr std::size_t max_text_field_bytes = 64 * 1024;

struct validation_settings {
  bool comfyui_available = false;
  std::int64_t sync_timeout_cap_ms = 600000;
  std::function<std::int64_t()> draw_seed; ///< used when the request has no seed
};

/// Largest seed a client may send: 2^53, the largest integer a JSON double keeps exactly.
constexpr std::int64_t max_seed = (std::int64_t{1} << 53);

/// Validates `body` (a JSON object; multipart text parts arrive as strings) and the uploaded
/// `parts` for `catalog`. Writes nothing: the caller stores the files named in request.files
/// (their stored_name still empty) and then calls `name_stored_files`.
validation_result validate_generation(const workflow_catalog& catalog, const json::value& body,
                                      const std::vector<uploaded_part>& parts, request_kind kind,
                                      const validation_settings& settings);

/// Tags as clients send them: a JSON array of strings, or text (JSON text of such an array, or
/// comma-separated tags). Trimmed, blanks dropped. "" or a sentence naming what is wrong.
std::string parse_tags(const json::value& v, std::vector<std::string>& out);

/// Once the files are stored: makes each stored name readable by replace rules
/// (image_0_filename, mask_filename, ...) in the request's `data`.
void name_stored_files(const generation_request& request, json::document& data);

} // namespace mediagen
