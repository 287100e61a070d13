#include "actors/comfyui_jobs.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/json.hpp"
#include "persistence/atomic_file.hpp"

namespace mediagen {

namespace {

// Every string input equal to a stored input name now names ComfyUI's copy of that file.
std::string rename_inputs(const std::string& graph_json, const std::string& from, const std::string& to) {
  json::document graph;
  if (!json::parse(graph_json, graph).empty() || !graph.IsObject()) return graph_json;
  auto& a = graph.GetAllocator();
  for (auto& node : graph.GetObject()) {
    if (!node.value.IsObject()) continue;
    auto inputs = node.value.FindMember("inputs");
    if (inputs == node.value.MemberEnd() || !inputs->value.IsObject()) continue;
    for (auto& in : inputs->value.GetObject())
      if (in.value.IsString() && from == in.value.GetString()) in.value = json::str(to, a);
  }
  return json::stringify(graph);
}

void write_detail(json::writer& w, const comfyui::prompt_error_detail& d) {
  w.begin_object().field("type", d.type).field("message", d.message).field("details", d.details).end_object();
}

// ComfyUI's `error` and `node_errors`, for the task's error.details.
std::string prompt_error_json(const comfyui::prompt_answer& answer) {
  json::writer w;
  w.begin_object().key("error");
  write_detail(w, answer.error);
  w.key("node_errors").begin_object();
  for (auto& n : answer.node_errors) {
    w.key(n.node_id).begin_object().field("class_type", n.class_type).key("errors").begin_array();
    for (auto& e : n.errors) write_detail(w, e);
    w.end_array().end_object();
  }
  return w.end_object().end_object().str();
}

std::string extension_of(const std::string& filename) {
  auto dot = filename.rfind('.');
  return dot == std::string::npos ? "bin" : filename.substr(dot + 1);
}

backend_outcome failed(std::string error, std::string details = {}) {
  backend_outcome o;
  o.error = std::move(error);
  o.details_json = std::move(details);
  return o;
}

} // namespace

submit_outcome submit_job(const comfyui::http_api& api, const submit_request& request) {
  submit_outcome out;
  std::string graph = request.job.graph_json;
  for (auto& input : request.job.inputs) {
    std::string bytes;
    if (!read_whole_file(request.inputs_folder + "/" + input.stored_name, bytes)) {
      out.error = "The uploaded file '" + input.field + "' is no longer available.";
      return out;
    }
    auto uploaded = api.upload_image(bytes, input.stored_name, "input", true);
    if (!uploaded.ok) {
      out.unreachable = uploaded.unreachable();
      out.error = uploaded.error;
      return out;
    }
    std::string name = uploaded.subfolder.empty() ? uploaded.name : uploaded.subfolder + "/" + uploaded.name;
    graph = rename_inputs(graph, input.stored_name, name);
  }
  // Another workflow than the last one here: let ComfyUI unload the previous models first.
  if (request.free_first) api.free(true, true);
  auto submitted = api.submit_prompt(graph, request.client_id, request.prompt_id);
  if (!submitted.ok) {
    if (submitted.http_status == 400) {
      out.error = submitted.answer.describe();
      out.details_json = prompt_error_json(submitted.answer);
    } else {
      out.unreachable = submitted.unreachable();
      out.error = submitted.error;
    }
    return out;
  }
  out.ok = true;
  // Older servers ignore the prompt_id we send: the answer's is the one frames will carry.
  out.prompt_id = submitted.answer.prompt_id.empty() ? request.prompt_id : submitted.answer.prompt_id;
  return out;
}

bool history_written(const comfyui::http_api& api, const std::string& prompt_id) {
  auto h = api.get_history(prompt_id);
  return h.ok && h.entry.found;
}

prompt_whereabouts locate_prompt(const comfyui::http_api& api, const std::string& prompt_id) {
  auto queue = api.get_queue();
  if (!queue.ok) return prompt_whereabouts::unreachable;
  if (std::find(queue.prompt_ids.begin(), queue.prompt_ids.end(), prompt_id) != queue.prompt_ids.end())
    return prompt_whereabouts::queued;
  auto h = api.get_history(prompt_id);
  if (!h.ok) return prompt_whereabouts::unreachable;
  return h.entry.found ? prompt_whereabouts::finished : prompt_whereabouts::vanished;
}

backend_outcome fetch_job_outputs(const comfyui::http_api& api, const std::string& prompt_id,
                                  const save_function& save) {
  comfyui::history_result history;
  // ComfyUI writes the history just after execution_success: retry while it answers {}.
  for (int attempt = 0; attempt < 50; ++attempt) {
    history = api.get_history(prompt_id);
    if (!history.ok) return failed(history.error);
    if (history.entry.found) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!history.entry.found) return failed("ComfyUI at " + api.describe() + " did not record prompt " + prompt_id + ".");
  if (history.entry.error) return execution_failure(*history.entry.error);
  if (!history.entry.succeeded()) return failed(history.entry.describe_failure());
  backend_outcome out;
  for (auto& f : history.entry.files) {
    if (f.type != "output") continue; // temp files are previews, not results
    auto view = api.view(f.filename, f.subfolder, f.type);
    if (!view.ok) return failed(view.error);
    try {
      auto name = save("comfyui", extension_of(f.filename), view.bytes);
      const std::string& kind = f.kind; // image, video, audio, or "file" for anything else
      out.outputs.push_back(output_file{name, kind, view.bytes.size()});
    } catch (const std::exception& e) {
      return failed(std::string("A ComfyUI output could not be stored: ") + e.what() + ".");
    }
  }
  if (out.outputs.empty()) return failed("ComfyUI finished prompt " + prompt_id + " without any output file.");
  out.ok = true;
  return out;
}

backend_outcome execution_failure(const comfyui::execution_error_frame& e) {
  std::string sentence = "ComfyUI failed at node " + e.node_id + " (" + e.node_type + "): " + e.exception_type +
                         (e.exception_type.empty() ? "" : ": ") + e.exception_message;
  while (!sentence.empty() && (sentence.back() == '\n' || sentence.back() == ' ')) sentence.pop_back();
  if (sentence.empty() || sentence.back() != '.') sentence += ".";
  json::writer details;
  details.begin_object()
      .field("node_id", e.node_id)
      .field("node_type", e.node_type)
      .field("exception_type", e.exception_type)
      .field("exception_message", e.exception_message)
      .end_object();
  return failed(sentence, details.str());
}

} // namespace mediagen
