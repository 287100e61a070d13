#include "generation/plan.hpp"

#include "generation/workflow_tasks.hpp"

namespace mediagen {

std::string plan_request(generation_request& request, json::document& data) {
  if (!request.wf) return "The request names no workflow.";
  const workflow& wf = *request.wf;
  if (!data.IsObject()) return "The request data is not a JSON object.";
  json::set(data, "taskId", json::str(request.task_id, data.GetAllocator()), data.GetAllocator());
  if (auto e = run_workflow_tasks(wf.pre_tasks(), data); !e.empty())
    return "Workflow '" + wf.name + "' pre-generation " + e + ".";
  json::document graph;
  if (auto e = json::parse(wf.graph_json, graph); !e.empty())
    return "Workflow '" + wf.name + "' has a graph that is not valid JSON.";
  if (auto e = apply_replace(wf.replace_rules(), data, graph); !e.empty())
    return "Workflow '" + wf.name + "': " + e + ".";
  request.graph_json = json::stringify(graph);
  request.planned_data_json = json::stringify(data);
  return {};
}

post_task_fields run_post_tasks(const workflow& wf, const std::string& data_json) {
  post_task_fields out;
  if (!wf.post_tasks()) return out;
  json::document data;
  if (!json::parse(data_json, data).empty() || !data.IsObject()) return out;
  if (auto e = run_workflow_tasks(wf.post_tasks(), data); !e.empty()) {
    out.error = "Workflow '" + wf.name + "' post-generation " + e + ".";
    return out;
  }
  out.name = json::get_string(data, "name");
  out.description = json::get_string(data, "description");
  if (auto* tags = json::member(data, "tags")) {
    if (tags->IsArray()) {
      for (auto& t : tags->GetArray())
        if (t.IsString()) out.tags.emplace_back(t.GetString(), t.GetStringLength());
    } else if (tags->IsString()) { // "a, b" from a template
      std::string text(tags->GetString(), tags->GetStringLength());
      std::size_t start = 0;
      while (start <= text.size()) {
        auto comma = text.find(',', start);
        std::string tag = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        tag.erase(0, tag.find_first_not_of(' '));
        tag.erase(tag.find_last_not_of(' ') + 1);
        if (!tag.empty()) out.tags.push_back(tag);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
  return out;
}

} // namespace mediagen
