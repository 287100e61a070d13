#pragma once
// Turns a validated request into the graph a backend runs: pre-generation tasks, then `replace`.

#include <optional>
#include <string>
#include <vector>

#include "generation/generation_request.hpp"
#include "generation/workflow.hpp"

namespace mediagen {

/// Plans `request` (its task_id set and its workflow resolved) in place: runs the
/// pre-generation tasks over `data` (the validated fields, with `taskId` added here), fills the
/// graph with the `replace` rules, and stores graph_json and planned_data_json, each serialized
/// once. Returns "" or one sentence.
std::string plan_request(generation_request& request, json::document& data);

/// What post-generation tasks may set on the stored result: they run on the request data once
/// the outputs are stored, and their `name`, `description` and `tags` fields become the entry's.
struct post_task_fields {
  std::string error; ///< "" or one sentence (the result is still kept; this is a warning)
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::vector<std::string> tags;
};

post_task_fields run_post_tasks(const workflow& wf, const std::string& data_json);

} // namespace mediagen
