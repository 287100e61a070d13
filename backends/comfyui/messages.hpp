#pragma once
// Pure parsing of what ComfyUI sends: WebSocket frames, the /prompt answer, the
// /history/{prompt_id} answer. No I/O, no exceptions out of these functions: malformed input
// yields an `unknown_frame` / a result whose `error` says what was wrong.
//
// Shapes (read from ComfyUI's server.py, execution.py, main.py):
//   every text frame is {"type": <event>, "data": {...}}
//   status                {"status": {"exec_info": {"queue_remaining": N}}, "sid": id?}
//   execution_start       {"prompt_id": id, "timestamp": ms?}
//   execution_cached      {"nodes": [ids], "prompt_id": id, "timestamp": ms?}
//   executing             {"node": id|null, "display_node": id?, "prompt_id": id?}
//                         (node null = the prompt finished; main.py sends it after the history
//                          is written, very early versions just before it;
//                          on socket reconnect the server sends {"node": id} without prompt_id)
//   progress              {"value": v, "max": m, "prompt_id": id?, "node": id?}
//   executed              {"node": id, "display_node": id?, "output": {...}|null, "prompt_id": id}
//   execution_success     {"prompt_id": id, "timestamp": ms}    (newer servers only)
//   execution_error       {"prompt_id", "node_id", "node_type", "executed", "exception_message",
//                          "exception_type", "traceback", "current_inputs", "current_outputs"}
//   execution_interrupted {"prompt_id", "node_id", "node_type", "executed"}
//   binary frames         4-byte big-endian event type, then payload (1 = preview image,
//                         3 = text, 4 = preview image with metadata)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mediagen::comfyui {

// ---------------------------------------------------------------------------------------------
// Output files (shared by `executed` frames and /history answers)

/// One file a node reported in its UI output: an entry with a `filename` in any list of the
/// node's output (`images`, `gifs`, `video`, `audio`, or any other key).
struct output_file {
  std::string node_id; ///< the graph's node id that produced it
  std::string key;     ///< the output list it came from ("images", "gifs", "audio", ...)
  std::string filename;
  std::string subfolder; ///< "" when absent
  std::string type;      ///< "output", "temp" (previews) or "input"; "output" when absent
  std::string kind;      ///< "image", "video", "audio" or "file" (from extension, else key)
  std::string format;    ///< the entry's "format" (e.g. VHS "video/h264-mp4"), else ""
};

/// Guesses "image" / "video" / "audio" / "file" from a file name's extension first, then from
/// the output key ("images" -> image, "gifs"/"video(s)" -> video, "audio" -> audio).
std::string guess_kind(const std::string& key, const std::string& filename);

// ---------------------------------------------------------------------------------------------
// WebSocket text frames

struct status_frame {
  int queue_remaining = -1; ///< -1 when the frame carried no exec_info.queue_remaining
  std::string sid;          ///< the session id ComfyUI assigned (first frame only), else ""
};
struct execution_start_frame {
  std::optional<std::string> prompt_id;
};
struct execution_cached_frame {
  std::optional<std::string> prompt_id;
  std::vector<std::string> nodes; ///< nodes whose cached output is reused
};
struct executing_frame {
  std::optional<std::string> prompt_id;
  std::optional<std::string> node; ///< nullopt: `node` was null, the prompt is finished
  std::string display_node;        ///< "" when absent (older servers)
};
struct progress_frame {
  std::optional<std::string> prompt_id;
  std::optional<std::string> node; ///< absent or null on older servers
  double value = 0;
  double max = 0;
};
struct executed_frame {
  std::optional<std::string> prompt_id;
  std::string node;
  std::string display_node;       ///< "" when absent
  std::string output_json;        ///< the "output" value re-serialized ("null" when null)
  std::vector<output_file> files; ///< files found in the output
};
struct execution_success_frame {
  std::optional<std::string> prompt_id;
};
struct execution_error_frame {
  std::optional<std::string> prompt_id;
  std::string node_id;
  std::string node_type;
  std::string exception_type;
  std::string exception_message; ///< also filled from a legacy {"message": ...} frame
};
struct execution_interrupted_frame {
  std::optional<std::string> prompt_id;
  std::string node_id;
  std::string node_type;
};
/// A frame we do not act on (e.g. "progress_state", custom node events), or one that could not
/// be parsed; `error` says why when it is malformed, and is "" for a merely unknown type.
struct unknown_frame {
  std::string type;  ///< the "type" string when there was one
  std::string error; ///< one sentence when the text was malformed
};

using ws_frame = std::variant<status_frame, execution_start_frame, execution_cached_frame, executing_frame,
                              progress_frame, executed_frame, execution_success_frame, execution_error_frame,
                              execution_interrupted_frame, unknown_frame>;

/// Parses one text frame. Never throws; garbage becomes an `unknown_frame` with `error` set.
ws_frame parse_ws_text(const std::string& text);

/// The event name of a parsed frame ("status", "executing", ..., or the unknown type).
std::string frame_type(const ws_frame& frame);

/// The prompt_id a frame carries, if any (status and unknown frames carry none).
std::optional<std::string> frame_prompt_id(const ws_frame& frame);

/// How a frame ends the prompt `prompt_id`, if it does.
enum class prompt_end {
  success,     ///< execution_success (newer servers)
  error,       ///< execution_error
  interrupted, ///< execution_interrupted
  finished,    ///< executing{node: null}: done, outcome unknown -> read /history
};

/// Whether `frame` ends the prompt `prompt_id`. Frames without a prompt_id (older servers)
/// count as matching only for executing{node: null}, which older servers send right after the
/// history is written; error/interrupted frames with another prompt_id do not match.
std::optional<prompt_end> ends_prompt(const ws_frame& frame, const std::string& prompt_id);

// ---------------------------------------------------------------------------------------------
// WebSocket binary frames

enum class binary_kind {
  preview_image,               ///< event 1: 4-byte image type (1 JPEG, 2 PNG) + image bytes
  text,                        ///< event 3: progress text from some nodes
  preview_image_with_metadata, ///< event 4: 4-byte metadata length + JSON + image
  unknown,                     ///< another event number
  too_short,                   ///< fewer than 4 bytes: not even an event type
};

/// Classifies a binary frame by its leading big-endian event number.
binary_kind classify_binary(std::string_view bytes);

/// True for the preview image frames (events 1, 2 and 4), which the client skips.
bool is_binary_preview(std::string_view bytes);

// ---------------------------------------------------------------------------------------------
// POST /prompt answers

/// One entry of `error` or of a node's `errors`: {type, message, details}.
struct prompt_error_detail {
  std::string type;
  std::string message;
  std::string details;
};

/// One entry of `node_errors`: {"<node id>": {"errors": [...], "dependent_outputs": [...],
/// "class_type": "..."}}.
struct node_error {
  std::string node_id;
  std::string class_type;
  std::vector<prompt_error_detail> errors;
};

struct prompt_answer {
  bool accepted = false;               ///< 200 with a prompt_id
  std::string prompt_id;               ///< the id ComfyUI queued the prompt under (trust this one:
                                       ///< servers older than mid-2025 ignore the id we send)
  double number = 0;                   ///< queue position number
  prompt_error_detail error;           ///< when refused; `error` given as a plain string lands in
                                       ///< `message` (older servers: "no prompt")
  std::vector<node_error> node_errors; ///< also on success: outputs that were dropped
  std::string parse_error;             ///< "" unless the body was not a /prompt answer

  /// One sentence for a refused prompt, naming the reason and the first node errors.
  std::string describe() const;
};

/// Parses the body of a POST /prompt answer given its HTTP status (200 or 400 in practice).
prompt_answer parse_prompt_answer(int http_status, const std::string& body);

// ---------------------------------------------------------------------------------------------
// GET /history/{prompt_id} answers

struct history_entry {
  bool found = false; ///< false: the answer was {} (not finished / not written yet)
  std::string prompt_id;
  std::string status_str;                     ///< "success", "error", or "" when the server writes no status
  bool completed = false;                     ///< status.completed (true when the server writes no status)
  bool has_status = false;                    ///< whether the entry had a "status" object at all
  std::vector<output_file> files;             ///< every file of every node's outputs, in answer order
  std::vector<std::string> message_types;     ///< status.messages event names, in order
  std::optional<execution_error_frame> error; ///< from an "execution_error" status message
  std::optional<execution_interrupted_frame> interrupted; ///< from "execution_interrupted"
  std::string parse_error;                                ///< "" unless the body was not a /history answer

  /// True when the entry exists and did not fail (status "success", or no status at all).
  bool succeeded() const;
  /// One sentence describing why the prompt failed ("" when it did not).
  std::string describe_failure() const;
};

/// Parses GET /history/{prompt_id}. With an empty `prompt_id`, the first entry is taken.
history_entry parse_history(const std::string& body, const std::string& prompt_id);

/// Collects the files of one node's UI output object (the value of "output" in an `executed`
/// frame, or of outputs[node] in /history) into `out`.
void collect_output_files(const std::string& node_id, const std::string& output_json, std::vector<output_file>& out);

} // namespace mediagen::comfyui
