#include "generation/workflow_tasks.hpp"

#include <cmath>
#include <cstdlib>

#include "generation/conditions.hpp"

namespace mediagen {

namespace {

std::string to_text(const json::value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsNull()) return "";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  return json::stringify(v);
}

// A template result that is a decimal number is stored as a number (docs/WORKFLOWS.md).
json::value text_or_number(const std::string& s, json::allocator& a) {
  if (!s.empty()) {
    char* end = nullptr;
    long long i = std::strtoll(s.c_str(), &end, 10);
    if (end == s.c_str() + s.size()) return json::value(static_cast<int64_t>(i));
    double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str() + s.size() && std::isfinite(d)) return json::value(d);
  }
  return json::str(s, a);
}

bool number_of(const json::value& v, double& out) {
  if (v.IsNumber()) {
    out = v.GetDouble();
    return true;
  }
  if (!v.IsString()) return false;
  char* end = nullptr;
  out = std::strtod(v.GetString(), &end);
  return v.GetStringLength() > 0 && end == v.GetString() + v.GetStringLength();
}

std::string run_math(const json::value& steps, double& v) {
  if (!steps.IsArray()) return "math must be an array of steps";
  for (auto& s : steps.GetArray()) {
    double offset = json::get_number(s, "offset").value_or(0);
    double scale = json::get_number(s, "scale").value_or(1);
    double bias = json::get_number(s, "bias").value_or(0);
    v = (v + offset) * scale + bias;
    auto round = json::get_string(s, "round").value_or("none");
    if (round == "floor")
      v = std::floor(v);
    else if (round == "ceil")
      v = std::ceil(v);
    else if (round == "round")
      v = std::round(v);
    else if (round != "none")
      return "unknown rounding '" + round + "'";
  }
  return {};
}

json::value number_value(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9e15) return json::value(static_cast<int64_t>(v));
  return json::value(v);
}

} // namespace

std::string fill_template(const std::string& text, const json::value& data) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find("{{", i);
    if (open == std::string::npos) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(text, i, open - i);
    std::string field = text.substr(open + 2, close - open - 2);
    while (!field.empty() && field.front() == ' ') field.erase(field.begin());
    while (!field.empty() && field.back() == ' ') field.pop_back();
    if (auto* v = json::member(data, field.c_str())) out += to_text(*v);
    i = close + 2;
  }
  out.append(text, i, std::string::npos);
  return out;
}

std::string run_workflow_tasks(const json::value* tasks, json::document& data) {
  if (!tasks) return {};
  if (!tasks->IsArray()) return "the task list is not an array";
  auto& a = data.GetAllocator();
  int index = 0;
  for (auto& t : tasks->GetArray()) {
    ++index;
    if (!t.IsObject()) return "task " + std::to_string(index) + " is not an object";
    if (json::member(t, "model")) continue; // LLM tasks are not run by this server
    if (!condition_holds(json::member(t, "condition"), data)) continue;
    auto to = json::get_string(t, "to");
    if (!to || to->empty()) return "task " + std::to_string(index) + " has no 'to' field";
    if (auto tmpl = json::get_string(t, "template")) {
      json::set(data, *to, text_or_number(fill_template(*tmpl, data), a), a);
      continue;
    }
    auto from = json::get_string(t, "from");
    if (!from) return "task " + std::to_string(index) + " has neither 'template' nor 'from'";
    auto* source = json::member(data, from->c_str());
    if (!source) continue; // nothing to copy
    if (auto* math = json::member(t, "math")) {
      double v;
      if (!number_of(*source, v))
        return "task " + std::to_string(index) + " applies math to '" + *from + "', which is not a number";
      if (auto e = run_math(*math, v); !e.empty()) return "task " + std::to_string(index) + ": " + e;
      json::set(data, *to, number_value(v), a);
    } else {
      json::value copy(*source, a);
      json::set(data, *to, std::move(copy), a);
    }
  }
  return {};
}

std::string apply_replace(const json::value* rules, const json::value& data, json::document& graph) {
  if (!rules) return {};
  auto& a = graph.GetAllocator();
  int index = 0;
  for (auto& r : rules->GetArray()) {
    ++index;
    if (!condition_holds(json::member(r, "condition"), data)) continue;
    const json::value* source = nullptr;
    if (auto from = json::get_string(r, "from")) {
      source = json::member(data, from->c_str());
      if (!source) continue; // an absent field leaves the graph's own value
    } else {
      source = json::member(r, "value");
    }
    if (!source) continue;
    auto* to = json::member(r, "to");
    if (!to || !to->IsArray() || to->Empty()) return "replace rule " + std::to_string(index) + " has no path";
    json::value* node = &graph;
    for (rapidjson::SizeType k = 0; k < to->Size(); ++k) {
      const auto& step = (*to)[k];
      bool last = k + 1 == to->Size();
      if (step.IsNumber() && node->IsArray()) {
        auto i = static_cast<rapidjson::SizeType>(step.GetInt());
        if (i >= node->Size()) return "replace rule " + std::to_string(index) + " indexes past an array";
        if (last)
          (*node)[i].CopyFrom(*source, a);
        else
          node = &(*node)[i];
        continue;
      }
      std::string key = step.IsString() ? step.GetString() : to_text(step);
      if (!node->IsObject())
        return "replace rule " + std::to_string(index) + " walks into a value that is not an object";
      auto it = node->FindMember(key.c_str());
      if (last) {
        json::value copy(*source, a);
        json::set(*node, key, std::move(copy), a);
      } else {
        if (it == node->MemberEnd()) {
          node->AddMember(json::str(key, a), json::value(rapidjson::kObjectType), a);
          it = node->FindMember(key.c_str());
        }
        node = &it->value;
      }
    }
  }
  return {};
}

} // namespace mediagen
