#pragma once

#include <httplib.h>

#include "http/http_context.hpp"
#include "http/route_table.hpp"

namespace mediagen {

/// GET /healthz, /status, /metrics, /debug/actors.
void add_ops_routes(route_table& svr, http_context& ctx);

} // namespace mediagen
