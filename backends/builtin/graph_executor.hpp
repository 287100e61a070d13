#pragma once
// Runs a ComfyUI API-format graph made of the builtin image nodes on the CPU.
// No actors and no HTTP here: the builtin backend actor calls this on its own render threads.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "backends/builtin/image.hpp"

namespace mediagen::builtin {

/// One step of progress inside the node being executed.
struct node_progress {
  std::string node_id; ///< the graph's id of the running node
  std::string title;   ///< _meta.title of the node, else its class_type
  int value = 0;       ///< steps done in this node
  int max = 1;         ///< steps this node takes
  int node_index = 0;  ///< 0-based index of the node in execution order
  int node_count = 1;  ///< nodes in the graph that execute
};

/// A file the graph produced (written through `save_output`).
struct produced_file {
  std::string filename; ///< the storage name `save_output` returned
  std::string kind;     ///< "image"
  std::uint64_t bytes = 0;
  int width = 0;
  int height = 0;
};

/// What running a graph ended with.
struct execution_outcome {
  bool ok = false;
  bool cancelled = false;
  std::string error; ///< one sentence when !ok && !cancelled
  std::vector<produced_file> outputs;
};

/// What the executor needs from its caller.
struct execution_context {
  /// Called after each step of each node (from the executing thread).
  std::function<void(const node_progress&)> on_progress;
  /// Checked between steps; when it turns true the run stops with `cancelled`.
  const std::atomic<bool>* cancel_requested = nullptr;
  /// Stores `bytes` as a new file whose name starts with `prefix` and ends in `.ext`;
  /// returns the chosen storage file name. Throws std::runtime_error when it cannot.
  std::function<std::string(const std::string& prefix, const std::string& ext, const std::string& bytes)> save_output;
  /// Reads an uploaded input file by the name the graph gives it; throws when absent.
  std::function<std::string(const std::string& name)> load_input;
  /// Live previews, both optional (unset: nodes do no preview work at all). A node that draws in
  /// steps asks `preview_due` after a step and, only when it answers true, hands the picture so
  /// far to `on_preview` (from the executing thread; it must not throw).
  std::function<bool()> preview_due;
  std::function<void(const image&)> on_preview;
};

/// Node types this executor runs.
const std::vector<std::string>& supported_node_types();

/// Checks that every node of `graph_json` is a supported type and every link points at an
/// existing node. Returns "" when fine, else one sentence naming the node id and its type.
std::string check_graph(const std::string& graph_json);

/// Executes the graph. Never throws: failures come back as `execution_outcome::error`.
execution_outcome execute_graph(const std::string& graph_json, const execution_context& ctx);

} // namespace mediagen::builtin
