#include "generation/task_priority.hpp"

namespace mediagen {

const char* to_string(task_priority p) {
  switch (p) {
    case task_priority::high: return "high";
    case task_priority::normal: return "normal";
    case task_priority::low: return "low";
  }
  return "normal";
}

std::optional<task_priority> parse_priority(const std::string& text) {
  for (auto p : {task_priority::high, task_priority::normal, task_priority::low})
    if (text == to_string(p)) return p;
  return std::nullopt;
}

} // namespace mediagen
