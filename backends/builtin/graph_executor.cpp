// Runs a checked graph node by node. This is the only place that turns exceptions into
// outcomes: nodes throw node_error / run_cancelled, and nothing leaves execute_graph.

#include "backends/builtin/graph_executor.hpp"

#include <exception>
#include <map>
#include <new>

#include "backends/builtin/graph.hpp"

namespace mediagen::builtin {

std::string check_graph(const std::string& graph_json) {
  try {
    graph g;
    return g.load(graph_json);
  } catch (const std::bad_alloc&) {
    return "The graph is too large to check.";
  } catch (const std::exception& e) {
    return end_sentence(std::string("The graph could not be checked: ") + e.what());
  }
}

namespace {

bool cancel_requested(const execution_context& ctx) {
  return ctx.cancel_requested && ctx.cancel_requested->load(std::memory_order_relaxed);
}

/// Runs one node; returns "" or the error sentence. Sets `cancelled` instead when asked to stop.
std::string run_node(const graph_node& node, node_call& call, std::vector<node_value>& results, bool& cancelled) {
  const std::string label = node_label(node);
  try {
    results = node.type->run(call);
    if (results.size() != node.type->outputs.size()) return label + ": the node produced the wrong number of outputs.";
    return "";
  } catch (const run_cancelled&) {
    cancelled = true;
    return "";
  } catch (const node_error& e) {
    return label + ": " + e.what();
  } catch (const std::bad_alloc&) {
    return label + ": ran out of memory.";
  } catch (const std::exception& e) {
    return label + ": " + end_sentence(e.what());
  } catch (...) {
    return label + ": failed for an unknown reason.";
  }
}

} // namespace

execution_outcome execute_graph(const std::string& graph_json, const execution_context& ctx) {
  execution_outcome out;
  try {
    graph g;
    if (std::string error = g.load(graph_json); !error.empty()) {
      out.error = error;
      return out;
    }
    const std::vector<const graph_node*> order = g.execution_order();
    const int node_count = static_cast<int>(order.size());

    // An output is dropped as soon as its last consumer has run, so a long chain of full-size
    // images holds only what is still needed.
    std::map<std::string, int> uses_left;
    for (const graph_node* n : order)
      for (const auto& entry : n->links) ++uses_left[entry.second.node];
    std::map<std::string, std::vector<node_value>> results;

    for (int index = 0; index < node_count; ++index) {
      const graph_node& node = *order[static_cast<std::size_t>(index)];
      if (cancel_requested(ctx)) {
        out.cancelled = true;
        return out;
      }
      std::map<std::string, const node_value*> links;
      for (const auto& [input, link] : node.links)
        links[input] = &results.at(link.node).at(static_cast<std::size_t>(link.output));

      auto report = [&](int value, int max) {
        if (!ctx.on_progress) return;
        node_progress p;
        p.node_id = node.id;
        p.title = node.title;
        p.value = value;
        p.max = max;
        p.node_index = index;
        p.node_count = node_count;
        ctx.on_progress(p);
      };
      node_call call(node.inputs, std::move(links), ctx, report);
      std::vector<node_value> produced;
      bool cancelled = false;
      std::string error = run_node(node, call, produced, cancelled);
      // Files already written belong to the caller even when the run stops here.
      for (produced_file& f : call.outputs()) out.outputs.push_back(std::move(f));
      if (cancelled) {
        out.cancelled = true;
        return out;
      }
      if (!error.empty()) {
        out.error = error;
        return out;
      }
      if (!call.progress_reported()) report(1, 1);

      results[node.id] = std::move(produced);
      for (const auto& entry : node.links)
        if (--uses_left[entry.second.node] == 0) results.erase(entry.second.node);
    }
    out.ok = true;
  } catch (const std::bad_alloc&) {
    out.error = "The graph ran out of memory.";
  } catch (const std::exception& e) {
    out.error = end_sentence(std::string("The graph could not be run: ") + e.what());
  } catch (...) {
    out.error = "The graph could not be run for an unknown reason.";
  }
  return out;
}

} // namespace mediagen::builtin
