#pragma once
// Reads the workflow config file and the base graphs it names from the workflows/ folder
// beside it (docs/WORKFLOWS.md); the catalog itself is built by generation/workflow.

#include <memory>
#include <string>

#include "generation/workflow.hpp"

namespace mediagen {

/// nullptr and one sentence in `error` when a file cannot be read, a base leaves workflows/,
/// or the config is wrong.
std::shared_ptr<const workflow_catalog> load_workflow_catalog(const std::string& config_path, std::string& error);

} // namespace mediagen
