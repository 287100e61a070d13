#include "http/webhook_json.hpp"

#include "common/iso_time.hpp"
#include "common/json.hpp"
#include "http/task_json.hpp"

namespace mediagen {

std::string webhook_body_json(const task_event& event) {
  json::writer w;
  return w.begin_object()
      .field("type", to_string(webhook_event_of(event.task.state)))
      .field("taskId", event.task.task_id)
      .field("timestamp", iso_timestamp(event.at))
      .key("data")
      .raw(event_json(event))
      .end_object()
      .str();
}

std::string webhook_deliveries_json(const std::vector<webhook_delivery>& deliveries) {
  bool any_failed = false, any_pending = false;
  for (auto& d : deliveries) {
    any_failed |= d.state == webhook_state::failed;
    any_pending |= d.state == webhook_state::pending;
  }
  auto overall = any_failed ? webhook_state::failed : any_pending ? webhook_state::pending : webhook_state::delivered;
  json::writer w;
  w.begin_object().field("state", to_string(overall)).key("deliveries").begin_array();
  for (auto& d : deliveries) {
    w.begin_object()
        .field("id", d.id)
        .field("url", d.url)
        .field("event", to_string(d.event))
        .field("state", to_string(d.state))
        .field("attempts", static_cast<std::uint64_t>(d.attempts))
        .key("lastStatus");
    if (d.last_status > 0)
      w.value(d.last_status);
    else
      w.null();
    w.key("lastError");
    if (d.last_error.empty())
      w.null();
    else
      w.value(d.last_error);
    w.key("nextAttemptAt");
    if (d.next_attempt == wall_time{})
      w.null();
    else
      w.value(iso_timestamp(d.next_attempt));
    w.end_object();
  }
  return w.end_array().end_object().str();
}

std::string with_member(std::string object_json, const std::string& key, const std::string& value_json) {
  auto close = object_json.rfind('}');
  if (close == std::string::npos) return object_json;
  bool empty = object_json.find_first_not_of(" \t\n{", 0) == close;
  object_json.insert(close, (empty ? "" : ",") + json::quote(key) + ":" + value_json);
  return object_json;
}

} // namespace mediagen
