#pragma once
// POST /upload/image and POST /upload/audio: the web client's "upload a file" action. The file is
// checked here (its bytes, not its name), kept in inputs/ and handed to the supervisor as an
// upload task, which stores it as a new gallery entry (docs/API.md "Uploads").

#include <httplib.h>

#include "http/http_context.hpp"
#include "http/route_table.hpp"

namespace mediagen {

void add_upload_routes(route_table& svr, http_context& ctx);

} // namespace mediagen
