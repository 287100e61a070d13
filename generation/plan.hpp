#pragma once
// Turns a validated request into the graph a backend runs: pre-generation tasks, then `replace`.

#include <string>

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

} // namespace mediagen
