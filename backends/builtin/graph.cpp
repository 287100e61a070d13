#include "backends/builtin/graph.hpp"

#include <algorithm>
#include <set>

#include <rapidjson/error/en.h>

namespace mediagen::builtin {

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

const char* kind_name(value_kind k) {
  switch (k) {
    case value_kind::image: return "an image";
    case value_kind::mask: return "a mask";
    default: return "a value";
  }
}

std::string plural(std::size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

/// Reads ["<node id>", <output index>]; ComfyUI writes the id as a string, some tools as a number.
bool parse_link(const rapidjson::Value& v, graph_link& out) {
  if (!v.IsArray() || v.Size() != 2) return false;
  const rapidjson::Value& id = v[0];
  const rapidjson::Value& index = v[1];
  if (id.IsString() && id.GetStringLength() > 0)
    out.node.assign(id.GetString(), id.GetStringLength());
  else if (id.IsUint64())
    out.node = std::to_string(id.GetUint64());
  else
    return false;
  if (!index.IsInt() || index.GetInt() < 0) return false;
  out.output = index.GetInt();
  return true;
}

} // namespace

std::string node_label(const graph_node& node) { return "Node " + node.id + " (" + node.class_type + ")"; }

bool node_id_less(const std::string& a, const std::string& b) {
  bool na = all_digits(a), nb = all_digits(b);
  if (na != nb) return na; // numbered nodes first
  if (na) {
    std::string ta = a.substr(std::min(a.find_first_not_of('0'), a.size()));
    std::string tb = b.substr(std::min(b.find_first_not_of('0'), b.size()));
    if (ta.size() != tb.size()) return ta.size() < tb.size();
    if (ta != tb) return ta < tb;
  }
  return a < b;
}

std::string graph::load(const std::string& json) {
  doc_ = std::make_unique<rapidjson::Document>();
  nodes_.clear();
  index_.clear();
  doc_->Parse(json.c_str(), json.size());
  if (doc_->HasParseError())
    return std::string("The graph is not valid JSON (") + rapidjson::GetParseError_En(doc_->GetParseError()) +
           " at offset " + std::to_string(doc_->GetErrorOffset()) + ").";
  if (!doc_->IsObject()) return "The graph must be a JSON object of nodes keyed by id.";
  if (doc_->MemberCount() == 0) return "The graph has no nodes.";

  std::set<std::string> seen;
  for (auto& member : doc_->GetObject()) {
    graph_node n;
    n.id.assign(member.name.GetString(), member.name.GetStringLength());
    if (n.id.empty()) return "The graph has a node with an empty id.";
    if (!seen.insert(n.id).second) return "Node " + n.id + " appears twice in the graph.";
    const rapidjson::Value& body = member.value;
    if (!body.IsObject()) return "Node " + n.id + " is not a JSON object.";
    auto ct = body.FindMember("class_type");
    if (ct == body.MemberEnd() || !ct->value.IsString() || ct->value.GetStringLength() == 0)
      return "Node " + n.id + " has no class_type.";
    n.class_type.assign(ct->value.GetString(), ct->value.GetStringLength());
    n.title = n.class_type;
    auto meta = body.FindMember("_meta");
    if (meta != body.MemberEnd() && meta->value.IsObject()) {
      auto title = meta->value.FindMember("title");
      if (title != meta->value.MemberEnd() && title->value.IsString() && title->value.GetStringLength() > 0)
        n.title.assign(title->value.GetString(), title->value.GetStringLength());
    }
    n.type = find_node_type(n.class_type);
    const std::string label = node_label(n);
    if (!n.type) return label + ": class_type " + n.class_type + " is not supported by the builtin backend.";

    auto inputs = body.FindMember("inputs");
    if (inputs != body.MemberEnd() && !inputs->value.IsNull()) {
      if (!inputs->value.IsObject()) return label + ": inputs must be a JSON object.";
      n.inputs = &inputs->value;
    }
    // Only declared inputs are looked at: ComfyUI tolerates extra ones, and so do we.
    for (const input_spec& spec : n.type->inputs) {
      const rapidjson::Value* v = nullptr;
      if (n.inputs) {
        auto it = n.inputs->FindMember(spec.name);
        if (it != n.inputs->MemberEnd() && !it->value.IsNull()) v = &it->value;
      }
      if (spec.kind == value_kind::literal) {
        if (v && v->IsArray()) return label + ": input " + spec.name + " must be a value, not a link.";
        continue;
      }
      if (!v) {
        if (spec.required) return label + ": input " + spec.name + " is not connected.";
        continue;
      }
      graph_link link;
      if (!v->IsArray()) return label + ": input " + spec.name + " must be a link to another node's output.";
      if (!parse_link(*v, link))
        return label + ": input " + spec.name + " is not a valid link (expected [\"<node id>\", <output index>]).";
      n.links.emplace_back(spec.name, std::move(link));
    }
    nodes_.push_back(std::move(n));
  }

  std::sort(nodes_.begin(), nodes_.end(),
            [](const graph_node& a, const graph_node& b) { return node_id_less(a.id, b.id); });
  for (std::size_t i = 0; i < nodes_.size(); ++i) index_[nodes_[i].id] = i;

  if (std::string e = check_links(); !e.empty()) return e;
  if (std::none_of(nodes_.begin(), nodes_.end(), [](const graph_node& n) { return n.type->is_output; }))
    return "The graph has no SaveImage node, so it would produce nothing.";
  return check_cycles();
}

const graph_node* graph::find(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &nodes_[it->second];
}

std::string graph::check_links() const {
  for (const graph_node& n : nodes_) {
    for (const auto& [input, link] : n.links) {
      const std::string where = node_label(n) + ": input " + input;
      const graph_node* from = find(link.node);
      if (!from) return where + " links to node " + link.node + ", which does not exist.";
      const auto& outputs = from->type->outputs;
      if (static_cast<std::size_t>(link.output) >= outputs.size())
        return where + " links to output " + std::to_string(link.output) + " of " + node_label(*from) + ", which has " +
               (outputs.empty() ? std::string("no outputs") : plural(outputs.size(), "output")) + ".";
      value_kind wanted = value_kind::literal;
      for (const input_spec& spec : n.type->inputs)
        if (input == spec.name) wanted = spec.kind;
      value_kind given = outputs[static_cast<std::size_t>(link.output)];
      if (given != wanted)
        return where + " needs " + kind_name(wanted) + " but output " + std::to_string(link.output) + " of " +
               node_label(*from) + " is " + kind_name(given) + ".";
    }
  }
  return "";
}

std::string graph::check_cycles() const {
  // Kahn's algorithm over the whole graph: whatever never becomes ready sits on or behind a cycle.
  const std::size_t count = nodes_.size();
  std::vector<int> pending(count, 0);
  std::vector<std::vector<std::size_t>> consumers(count);
  for (std::size_t i = 0; i < count; ++i)
    for (const auto& entry : nodes_[i].links) {
      consumers[index_.at(entry.second.node)].push_back(i);
      ++pending[i];
    }
  std::vector<std::size_t> ready;
  for (std::size_t i = 0; i < count; ++i)
    if (pending[i] == 0) ready.push_back(i);
  while (!ready.empty()) {
    std::size_t i = ready.back();
    ready.pop_back();
    for (std::size_t c : consumers[i])
      if (--pending[c] == 0) ready.push_back(c);
  }
  auto stuck = std::find_if(pending.begin(), pending.end(), [](int p) { return p > 0; });
  if (stuck == pending.end()) return "";

  // A stuck node may only be downstream of a cycle: walk upstream through stuck nodes until one
  // repeats, and name that one, which is on the cycle itself.
  std::size_t at = static_cast<std::size_t>(stuck - pending.begin());
  std::vector<bool> visited(count, false);
  while (!visited[at]) {
    visited[at] = true;
    for (const auto& entry : nodes_[at].links) {
      std::size_t up = index_.at(entry.second.node);
      if (pending[up] > 0) {
        at = up;
        break;
      }
    }
  }
  return node_label(nodes_[at]) + " is part of a cycle of links.";
}

std::vector<const graph_node*> graph::execution_order() const {
  const std::size_t count = nodes_.size();
  std::vector<bool> needed(count, false);
  std::vector<std::size_t> stack;
  for (std::size_t i = 0; i < count; ++i)
    if (nodes_[i].type->is_output) stack.push_back(i);
  while (!stack.empty()) {
    std::size_t i = stack.back();
    stack.pop_back();
    if (needed[i]) continue;
    needed[i] = true;
    for (const auto& entry : nodes_[i].links) stack.push_back(index_.at(entry.second.node));
  }

  std::vector<int> pending(count, 0);
  std::vector<std::vector<std::size_t>> consumers(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (!needed[i]) continue;
    for (const auto& entry : nodes_[i].links) {
      consumers[index_.at(entry.second.node)].push_back(i);
      ++pending[i];
    }
  }
  // nodes_ is sorted by id, so the smallest ready index is the smallest ready id.
  std::set<std::size_t> ready;
  for (std::size_t i = 0; i < count; ++i)
    if (needed[i] && pending[i] == 0) ready.insert(i);
  std::vector<const graph_node*> order;
  while (!ready.empty()) {
    std::size_t i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(&nodes_[i]);
    for (std::size_t c : consumers[i])
      if (--pending[c] == 0) ready.insert(c);
  }
  return order;
}

} // namespace mediagen::builtin
