#pragma once
// Turns a validated request into the graph a backend runs: pre-generation tasks, then `replace`.

#include <optional>
#include <string>
#include <vector>

#include "generation/generation_request.hpp"
#include "generation/workflow.hpp"

namespace mediagen {

struct planned_graph {
  bool ok = false;
  std::string error;       ///< one sentence when !ok
  std::string graph_json;  ///< the filled graph
  std::string data_json;   ///< the request data after the pre-generation tasks
};

/// `data_json` is generation_request::data_json plus `taskId`.
planned_graph plan_graph(const workflow& wf, const std::string& data_json);

/// Plans `request` (its task_id set) in place: graph_json and planned_data_json, with `taskId`
/// readable by the rules. Returns "" or one sentence.
std::string plan_request(const workflow& wf, generation_request& request);

/// What post-generation tasks may set on the stored result: they run on the request data once
/// the outputs are stored, and their `name`, `description` and `tags` fields become the entry's.
struct post_task_fields {
  std::string error;          ///< "" or one sentence (the result is still kept; this is a warning)
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::vector<std::string> tags;
};

post_task_fields run_post_tasks(const workflow& wf, const std::string& data_json);

} // namespace mediagen
