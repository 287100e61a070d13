#pragma once

#include <httplib.h>

#include "http/http_context.hpp"
#include "http/route_table.hpp"

namespace mediagen {

/// GET /media/:filename (files from storage), GET /media-data, GET /media-data/:uid, GET /workflows.
void add_media_routes(route_table& svr, http_context& ctx);

/// The Content-Type a media file is served with, by its extension (application/octet-stream
/// for one we do not know).
std::string media_content_type(const std::string& name);

} // namespace mediagen
