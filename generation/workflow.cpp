#include "generation/workflow.hpp"

namespace mediagen {

namespace {

const json::value* entry_member(const workflow& w, const char* name) {
  return w.definition ? json::member(*w.definition, name) : nullptr;
}

// Reads options.extraInputs; returns "" or an error sentence.
std::string read_extra_inputs(const json::value& options, workflow& w) {
  auto* list = json::member(options, "extraInputs");
  if (!list) return {};
  if (!list->IsArray()) return "options.extraInputs must be an array";
  for (auto& item : list->GetArray()) {
    extra_input in;
    auto id = json::get_string(item, "id");
    if (!id || id->empty()) return "an extra input has no id";
    in.id = *id;
    in.type = json::get_string(item, "type").value_or("text");
    if (in.type != "text" && in.type != "textarea" && in.type != "number" && in.type != "select" &&
        in.type != "checkbox")
      return "extra input '" + in.id + "' has unknown type '" + in.type + "'";
    if (auto* d = json::member(item, "default")) in.default_json = json::stringify(*d);
    in.min = json::get_number(item, "min");
    in.max = json::get_number(item, "max");
    if (auto* opts = json::member(item, "options"); opts && opts->IsArray()) {
      for (auto& o : opts->GetArray()) {
        auto* v = json::member(o, "value");
        in.choices.push_back(json::stringify(v ? *v : o));
      }
    }
    w.extra_inputs.push_back(std::move(in));
  }
  return {};
}

// A replace target names a node the graph must have.
std::string check_replace_targets(const workflow& w, const json::document& graph) {
  auto* rules = w.replace_rules();
  if (!rules) return {};
  if (!rules->IsArray()) return "replace must be an array";
  for (auto& r : rules->GetArray()) {
    auto* to = json::member(r, "to");
    if (!to || !to->IsArray() || to->Empty()) return "a replace rule has no 'to' path";
    auto& first = (*to)[0];
    std::string node = first.IsString() ? first.GetString() : json::stringify(first);
    if (!graph.HasMember(node.c_str()))
      return "a replace rule targets node '" + node + "', which the graph does not have";
    if (!json::member(r, "from") && !json::member(r, "value")) return "a replace rule has neither 'from' nor 'value'";
  }
  return {};
}

std::string note_llm_tasks(workflow& w) {
  for (auto* tasks : {w.pre_tasks(), w.post_tasks()}) {
    if (!tasks) continue;
    if (!tasks->IsArray()) return "preGenerationTasks and postGenerationTasks must be arrays";
    for (auto& t : tasks->GetArray())
      if (json::member(t, "model"))
        w.warnings.push_back("workflow '" + w.name + "' has an LLM task, which this server skips");
  }
  return {};
}

} // namespace

const json::value* workflow::replace_rules() const { return entry_member(*this, "replace"); }
const json::value* workflow::pre_tasks() const { return entry_member(*this, "preGenerationTasks"); }
const json::value* workflow::post_tasks() const { return entry_member(*this, "postGenerationTasks"); }
const json::value* workflow::options() const { return entry_member(*this, "options"); }

std::shared_ptr<const workflow_catalog> workflow_catalog::from_text(
    const std::string& config_json, const std::vector<std::pair<std::string, std::string>>& graphs,
    std::string& error) {
  json::document doc;
  if (auto e = json::parse(config_json, doc); !e.empty()) {
    error = "workflow config is not valid JSON: " + e;
    return nullptr;
  }
  auto* list = json::member(doc, "workflows");
  if (!list || !list->IsArray()) {
    error = "workflow config has no 'workflows' array";
    return nullptr;
  }
  auto catalog = std::make_shared<workflow_catalog>();
  for (auto& entry : list->GetArray()) {
    workflow w;
    auto name = json::get_string(entry, "name");
    if (!name || name->empty()) {
      error = "a workflow in the config has no name";
      return nullptr;
    }
    w.name = *name;
    auto fail = [&](const std::string& why) {
      error = "workflow '" + w.name + "': " + why + ".";
      return nullptr;
    };
    if (catalog->find(w.name)) return fail("the name is used twice");
    w.backend = json::get_string(entry, "backend").value_or("comfyui");
    if (w.backend != "builtin" && w.backend != "comfyui") return fail("backend must be builtin or comfyui");
    w.hidden = json::get_bool(entry, "hidden").value_or(false);
    auto base = json::get_string(entry, "base");
    if (!base || base->empty()) return fail("it has no 'base' graph file");
    w.base = *base;
    auto def = std::make_shared<json::document>();
    def->CopyFrom(entry, def->GetAllocator());
    w.definition = def;
    if (auto* opts = w.options()) {
      if (!opts->IsObject()) return fail("options must be an object");
      w.type = json::get_string(*opts, "type").value_or("image");
      if (w.type != "image" && w.type != "video" && w.type != "audio" && w.type != "inpaint")
        return fail("options.type must be image, video, audio or inpaint");
      w.input_images = static_cast<int>(json::get_int(*opts, "inputImages").value_or(0));
      w.input_audios = static_cast<int>(json::get_int(*opts, "inputAudios").value_or(0));
      w.optional_prompt = json::get_bool(*opts, "optionalPrompt").value_or(false);
      w.name_required = json::get_bool(*opts, "nameRequired").value_or(false);
      w.orientation = json::get_string(*opts, "orientation").value_or("portrait");
      if (auto e = read_extra_inputs(*opts, w); !e.empty()) return fail(e);
    }
    const std::string* graph_text = nullptr;
    for (auto& g : graphs)
      if (g.first == w.base) graph_text = &g.second;
    if (!graph_text) return fail("its base graph '" + w.base + "' was not found");
    json::document graph;
    if (auto e = json::parse(*graph_text, graph); !e.empty())
      return fail("its base graph '" + w.base + "' is not valid JSON (" + e + ")");
    if (!graph.IsObject()) return fail("its base graph must be a JSON object of nodes");
    w.graph_json = *graph_text;
    if (auto e = check_replace_targets(w, graph); !e.empty()) return fail(e);
    if (auto e = note_llm_tasks(w); !e.empty()) return fail(e);
    catalog->workflows_.push_back(std::move(w));
  }
  return catalog;
}

workflow_ref workflow_catalog::find_ref(const std::string& name) const {
  const workflow* wf = find(name);
  return wf ? workflow_ref(shared_from_this(), wf) : nullptr;
}

const workflow* workflow_catalog::find(const std::string& name) const {
  for (auto& w : workflows_)
    if (w.name == name) return &w;
  return nullptr;
}

} // namespace mediagen
