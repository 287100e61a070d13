#pragma once

#include <string>

#include <httplib.h>

#include "http/http_context.hpp"

namespace mediagen {

/// Answers GET /progress/:id: 404 JSON for an unknown task, 204 when Last-Event-ID is at or past an
/// ended task's terminal event (EventSource stops reconnecting), else an event stream (its first line
/// `retry: sseRetryMs`) fed by the hub through a bounded queue and written by the connection loop,
/// which adds a heartbeat comment after sseHeartbeatSeconds (default 15) of silence.
void stream_task_events(http_context& ctx, const std::string& task_id, const httplib::Request& req,
                        httplib::Response& res);

} // namespace mediagen
