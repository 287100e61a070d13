#pragma once
// Headers HTTP asks of every answer whatever route made it: Date (RFC 9110 6.6.1) and Vary,
// merged from its reasons (Accept-Encoding where httplib may gzip, Origin where CORS is on).

#include <ctime>
#include <string>

#include <httplib.h>

namespace mediagen {

/// IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::time_t when);

/// Whether httplib 0.11 would compress a body of this Content-Type for a client that accepts
/// gzip or br (its rule, restated here: text/* but event streams, JSON, JavaScript, XML, SVG).
bool compressible_content_type(const std::string& content_type);

/// Adds `token` to the answer's Vary header unless it is there already.
void add_vary(httplib::Response& res, const std::string& token);

} // namespace mediagen
