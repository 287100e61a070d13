#pragma once

#include <string>

#include <httplib.h>

#include "http/http_context.hpp"
#include "http/route_table.hpp"

namespace mediagen {

/// GET /tasks/:id, DELETE /tasks/:id, GET /generation/tasks/active, GET /progress/:id (SSE).
void add_task_routes(route_table& svr, http_context& ctx);

/// DELETE /tasks/:id and POST /generate/cancel share this: 202, 404 or 409.
void cancel_task(http_context& ctx, const std::string& task_id, httplib::Response& res);

} // namespace mediagen
