#include "config/workflow_files.hpp"

#include <filesystem>

#include "persistence/atomic_file.hpp"

namespace fs = std::filesystem;

namespace mediagen {

std::shared_ptr<const workflow_catalog> load_workflow_catalog(const std::string& config_path, std::string& error) {
  std::string text;
  if (!read_whole_file(config_path, text)) {
    error = "cannot read the workflow config '" + config_path + "'.";
    return nullptr;
  }
  json::document doc;
  if (auto e = json::parse(text, doc); !e.empty()) {
    error = "workflow config '" + config_path + "' is not valid JSON: " + e;
    return nullptr;
  }
  // Read every base graph named by the config, refusing any that would leave workflows/.
  fs::path folder = fs::weakly_canonical(fs::absolute(config_path)).parent_path() / "workflows";
  std::vector<std::pair<std::string, std::string>> graphs;
  if (auto* list = json::member(doc, "workflows"); list && list->IsArray()) {
    for (auto& entry : list->GetArray()) {
      auto base = json::get_string(entry, "base");
      if (!base) continue;
      fs::path p = fs::weakly_canonical(folder / *base);
      auto rel = p.lexically_relative(folder);
      if (fs::path(*base).is_absolute() || rel.empty() || *rel.begin() == "..") {
        error = "workflow base '" + *base + "' leaves the workflows folder.";
        return nullptr;
      }
      std::string graph;
      if (read_whole_file(p.string(), graph)) graphs.emplace_back(*base, std::move(graph));
    }
  }
  return workflow_catalog::from_text(text, graphs, error);
}

} // namespace mediagen
