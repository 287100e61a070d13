#pragma once
// The result of a finished generation (docs/API.md "Result") and task progress.

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.hpp"

namespace mediagen {

struct output_file {
  std::string name; ///< its storage name; clients fetch it as /media/<name>
  std::string kind; ///< image | video | audio
  std::uint64_t bytes = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, output_file& x) {
  return f(x.name, x.kind, x.bytes);
}

struct generation_result {
  std::string task_id;
  std::string workflow;
  std::string type; ///< image | video | audio (inpaint is stored as image)
  std::string prompt;
  std::string name;
  std::int64_t seed = 0;
  std::vector<output_file> outputs;
  bool inpaint = false;
  std::string inpaint_area_json; ///< "" when none
  double time_taken = 0;         ///< seconds
  std::string timestamp;
  std::vector<std::string> warnings;
  std::string description;       ///< the request's, or what post-generation tasks made
  std::vector<std::string> tags; ///< the request's, or what post-generation tasks made
  std::string summary;           ///< the request's ("" = none)
  std::string orientation;       ///< portrait | landscape | square, as the graph was made
  std::string request_origin;    ///< the client page that asked ("" = none given)
  /// The declared extra inputs the task ran with, a JSON object whose members become members
  /// of the result ("" = none).
  std::string extra_inputs_json;
  std::int64_t uid = -1; ///< set only once stored in the gallery
  std::string folder;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, generation_result& x) {
  return f(x.task_id, x.workflow, x.type, x.prompt, x.name, x.seed, x.outputs, x.inpaint, x.inpaint_area_json,
           x.time_taken, x.timestamp, x.warnings, x.description, x.tags, x.summary, x.orientation, x.request_origin,
           x.extra_inputs_json, x.uid, x.folder);
}

/// Writes the result as docs/API.md's JSON object into `out`.
void result_to_json(const generation_result& r, json::value& out, json::allocator& a);
std::string result_to_json(const generation_result& r);

/// Where a task is: a percentage across the whole task and the step it is on.
struct progress_info {
  double percentage = 0;
  std::string current_step;
  std::int64_t current_value = 0;
  std::int64_t max_value = 0;
  /// Something that happened to the task itself, on the one event that reports it ("" = none):
  /// a resubmission to another ComfyUI instance, a cancel under way.
  std::string message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, progress_info& x) {
  return f(x.percentage, x.current_step, x.current_value, x.max_value, x.message);
}

void progress_to_json(const progress_info& p, json::value& out, json::allocator& a);

} // namespace mediagen
