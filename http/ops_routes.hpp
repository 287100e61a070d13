#pragma once

#include <httplib.h>

#include "http/http_context.hpp"

namespace mediagen {

/// GET /healthz, /status, /metrics, /debug/actors.
void add_ops_routes(httplib::Server& svr, http_context& ctx);

} // namespace mediagen
