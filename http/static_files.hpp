#pragma once
// A web front end served from a folder (config `staticDir`): GET / is its index.html, GET /a/b.js
// its file. Registered after every API route, so an API path is never shadowed by a file, and
// the pages it serves are same-origin with the API (no CORS needed).

#include <optional>
#include <string>

#include "http/http_context.hpp"
#include "http/route_table.hpp"

namespace mediagen {

/// Adds the catch-all GET route when `ctx.config.static_dir` is set; nothing otherwise.
void add_static_routes(route_table& svr, http_context& ctx);

/// The file a request path names inside `root` (an absolute, canonical folder): a folder stands
/// for its index.html. None for a path that leaves `root` (`..`, a link that points outside),
/// a hidden name (a segment starting with '.') or a file that does not exist.
std::optional<std::string> static_file_for(const std::string& root, const std::string& request_path);

/// The Content-Type of a front-end file, by its extension.
std::string static_content_type(const std::string& path);

} // namespace mediagen
