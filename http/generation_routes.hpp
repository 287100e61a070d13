#pragma once

#include <httplib.h>

#include "http/http_context.hpp"
#include "http/route_table.hpp"

namespace mediagen {

/// POST /generate, /generate/sync, /generate/cancel.
void add_generation_routes(route_table& svr, http_context& ctx);

} // namespace mediagen
