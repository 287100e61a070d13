#pragma once

#include <httplib.h>

#include "http/http_context.hpp"

namespace mediagen {

/// GET /media/:filename (files from storage), GET /media-data, GET /media-data/:uid, GET /workflows.
void add_media_routes(httplib::Server& svr, http_context& ctx);

} // namespace mediagen
