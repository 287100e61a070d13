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

webhook_event webhook_event_of(task_state s) {
  switch (s) {
    case task_state::queued:
    case task_state::running:
    case task_state::cancelling: return webhook_event::progress; // still live: its end comes later
    case task_state::completed: return webhook_event::complete;
    case task_state::cancelled: return webhook_event::cancelled;
    case task_state::failed:
    case task_state::lost: return webhook_event::error;
  }
  return webhook_event::error;
}

const char* to_string(webhook_state s) {
  switch (s) {
    case webhook_state::pending: return "pending";
    case webhook_state::delivered: return "delivered";
    case webhook_state::failed: return "failed";
  }
  return "unknown";
}

} // namespace mediagen
