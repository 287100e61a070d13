#pragma once
// The access log (`--access-log=true`): one `info access key=value ...` line per answered
// request on stderr. It names the request by its X-Request-Id, and never holds a header value
// or the query string, where API keys travel.

#include <string>

#include <httplib.h>

namespace mediagen {

/// The line for `req` answered with `res` (without a trailing newline); `ms` < 0 leaves the
/// duration out (a request httplib refused before it was routed).
std::string access_log_line(const httplib::Request& req, const httplib::Response& res, double ms);

/// `text` made safe for a quoted log value: quotes, backslashes and control bytes escaped.
std::string log_quoted(const std::string& text);

} // namespace mediagen
