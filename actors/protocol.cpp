#include "actors/protocol.hpp"

namespace mediagen {

const char* to_string(task_state s) {
  switch (s) {
    case task_state::queued: return "queued";
    case task_state::running: return "running";
    case task_state::cancelling: return "cancelling";
    case task_state::completed: return "completed";
    case task_state::failed: return "failed";
    case task_state::cancelled: return "cancelled";
    case task_state::lost: return "lost";
  }
  return "unknown";
}

} // namespace mediagen
