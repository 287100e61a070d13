#pragma once
// How tasks look on the wire (docs/API.md): GET /tasks/:id, the active list, the SSE events,
// the sync answers. Actors hand over typed snapshots (actors/protocol.hpp); all of their JSON
// is written here.

#include <cstdint>
#include <string>
#include <vector>

#include "actors/protocol.hpp"

namespace mediagen {

/// GET /tasks/:id.
std::string task_json(const task_snapshot& task);

/// GET /generation/tasks/active: [{taskId, workflow, state, progress}].
std::string active_tasks_json(const std::vector<task_snapshot>& tasks);

/// The event's name: progress | complete | cancelled | error-event.
const char* event_name(const task_event& event);

/// The event's `data:` JSON.
std::string event_json(const task_event& event);

/// The whole SSE frame of event number `id` (the hub's sse_frame_renderer).
std::string render_sse_frame(std::int64_t id, const task_event& event);

/// A live preview's `data:` JSON: {taskId, image (a data: URL), step, max}.
std::string preview_json(const task_preview& preview);

/// The SSE frame of a live preview: `event: preview`, no id (the hub's sse_preview_renderer).
std::string render_preview_frame(const task_preview& preview);

/// The body of a sync request's failure: {error, details?, taskId}. The caller picks the status.
std::string sync_failure_json(const std::string& sentence, const std::string& details_json, const std::string& task_id);

} // namespace mediagen
