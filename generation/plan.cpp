#include "generation/plan.hpp"

#include "generation/workflow_tasks.hpp"

namespace mediagen {

planned_graph plan_graph(const workflow& wf, const std::string& data_json) {
  planned_graph out;
  json::document data;
  if (auto e = json::parse(data_json, data); !e.empty() || !data.IsObject()) {
    out.error = "The request data is not a JSON object.";
    return out;
  }
  if (auto e = run_workflow_tasks(wf.pre_tasks(), data); !e.empty()) {
    out.error = "Workflow '" + wf.name + "' pre-generation " + e + ".";
    return out;
  }
  json::document graph;
  if (auto e = json::parse(wf.graph_json, graph); !e.empty()) {
    out.error = "Workflow '" + wf.name + "' has a graph that is not valid JSON.";
    return out;
  }
  if (auto e = apply_replace(wf.replace_rules(), data, graph); !e.empty()) {
    out.error = "Workflow '" + wf.name + "': " + e + ".";
    return out;
  }
  out.graph_json = json::stringify(graph);
  out.data_json = json::stringify(data);
  out.ok = true;
  return out;
}

} // namespace mediagen
