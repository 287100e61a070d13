#pragma once
// The gallery routes the Node server's clients use besides listing: folders (GET, POST, PUT
// /folder, DELETE /folder/:uid), POST /edit, DELETE /media-data/delete and GET /tags. Reads come
// from the published snapshot; every change goes to the media store, which writes it as one
// journal record before anyone sees it (docs/API.md "Gallery changes").

#include <httplib.h>

#include "http/http_context.hpp"
#include "http/route_table.hpp"

namespace mediagen {

void add_gallery_routes(route_table& svr, http_context& ctx);

} // namespace mediagen
