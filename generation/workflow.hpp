#pragma once
// The workflow catalog: workflows.json entries with their base graphs, loaded once at start
// and read-only afterwards (so any thread may read it without locks).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"

namespace mediagen {

/// One `options.extraInputs[]` entry.
struct extra_input {
  std::string id;
  std::string type;                 ///< text | textarea | number | select | checkbox
  std::string default_json;         ///< the default as JSON text; "" when there is none
  std::vector<std::string> choices; ///< select: each option's `value` as JSON text
  std::optional<double> min, max;
};

/// A workflow as the config declares it.
struct workflow {
  std::string name;
  std::string backend; ///< builtin | comfyui
  std::string base;    ///< file name of the graph inside workflows/
  bool hidden = false;
  std::string type = "image"; ///< image | video | audio | inpaint
  int input_images = 0;
  int input_audios = 0;
  bool optional_prompt = false;
  bool name_required = false;
  std::string orientation = "portrait";
  std::vector<extra_input> extra_inputs;
  std::string graph_json; ///< the base graph, API format
  /// The whole config entry; replace, preGenerationTasks, postGenerationTasks and options
  /// are read from it where needed.
  std::shared_ptr<const json::document> definition;
  std::vector<std::string> warnings; ///< things skipped at load (LLM tasks)

  const json::value* replace_rules() const;
  const json::value* pre_tasks() const;
  const json::value* post_tasks() const;
  const json::value* options() const;
};

/// A workflow that keeps its catalog alive: resolved once from the name at validation, then
/// carried by every request, task and result-maker instead of the name.
using workflow_ref = std::shared_ptr<const workflow>;

class workflow_catalog : public std::enable_shared_from_this<workflow_catalog> {
public:
  /// Builds a catalog from the config's text and its graphs (base name → graph JSON); reading
  /// the files is config/workflow_files' job. nullptr and one sentence in `error` on failure.
  static std::shared_ptr<const workflow_catalog> from_text(
      const std::string& config_json, const std::vector<std::pair<std::string, std::string>>& graphs,
      std::string& error);

  const workflow* find(const std::string& name) const;
  /// The workflow of that name as a handle sharing the catalog's lifetime; null when absent.
  workflow_ref find_ref(const std::string& name) const;
  const std::vector<workflow>& all() const { return workflows_; }

private:
  std::vector<workflow> workflows_;
};

} // namespace mediagen
