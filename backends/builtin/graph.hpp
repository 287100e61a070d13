#pragma once
// A parsed and checked API-format graph: every node a supported type, every link pointing at an
// existing output of the right kind, no cycles. Checking and running share this, so a graph
// check_graph accepts never fails to run for a structural reason.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "backends/builtin/node_runtime.hpp"

namespace mediagen::builtin {

struct graph_link {
  std::string node; ///< id of the node whose output feeds this input
  int output = 0;   ///< which of its outputs
};

struct graph_node {
  std::string id;
  std::string class_type;
  std::string title; ///< _meta.title, else class_type
  const node_type* type = nullptr;
  const rapidjson::Value* inputs = nullptr;              ///< the "inputs" object, null when absent
  std::vector<std::pair<std::string, graph_link>> links; ///< input name -> upstream output
};

class graph {
public:
  /// Parses and checks `json`. Returns "" when the graph is sound, else one sentence that
  /// names the node at fault.
  std::string load(const std::string& json);

  /// The nodes an output node depends on (and the output nodes), each after its inputs;
  /// ties are broken by node id, so the order is the same on every run.
  std::vector<const graph_node*> execution_order() const;

  const std::vector<graph_node>& nodes() const { return nodes_; }

private:
  std::string check_links() const;
  std::string check_cycles() const;
  const graph_node* find(const std::string& id) const;

  std::unique_ptr<rapidjson::Document> doc_; ///< owns the JSON the nodes point into
  std::vector<graph_node> nodes_;            ///< sorted by node id
  std::map<std::string, std::size_t> index_; ///< id -> position in nodes_
};

/// "Node 3 (ImageBlur)": how every message names a node.
std::string node_label(const graph_node& node);

/// Orders node ids numerically when both are numbers ("2" before "10"), else as text.
bool node_id_less(const std::string& a, const std::string& b);

} // namespace mediagen::builtin
