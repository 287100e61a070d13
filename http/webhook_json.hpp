#pragma once
// How webhooks look on the wire (docs/API.md "Webhooks"): the body POSTed to a receiver and the
// `webhook` member of GET /tasks/:id.

#include <string>
#include <vector>

#include "actors/protocol.hpp"

namespace mediagen {

/// {"type": "complete", "taskId": ..., "timestamp": ..., "data": <the SSE event's data>}: what a
/// receiver gets (the webhook actor's renderer).
std::string webhook_body_json(const task_event& event);

/// {"state": "pending" | "delivered" | "failed", "deliveries": [...]}: a task's webhook
/// messages; the state is failed when one failed, else pending while one is, else delivered.
std::string webhook_deliveries_json(const std::vector<webhook_delivery>& deliveries);

/// `object_json` (a JSON object's text) with one more member `key` holding `value_json`.
std::string with_member(std::string object_json, const std::string& key, const std::string& value_json);

} // namespace mediagen
