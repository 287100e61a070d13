#pragma once

#include <httplib.h>

#include "http/http_context.hpp"

namespace mediagen {

/// POST /generate, /generate/sync, /generate/cancel.
void add_generation_routes(httplib::Server& svr, http_context& ctx);

} // namespace mediagen
