#pragma once
// What every request meets before its route and every answer after it, whichever route (or
// httplib itself) answers: a request id, the trailing-slash fold, OPTIONS, API keys, 404 and 405
// in JSON; then Date, Vary, CORS headers and the access log line. docs/API.md "HTTP conventions".

#include <httplib.h>

#include "config/server_config.hpp"
#include "http/api_keys.hpp"
#include "http/cors.hpp"
#include "http/route_table.hpp"

namespace mediagen {

class request_edge {
public:
  request_edge(const server_config& config, const route_table& routes);

  /// From the pre-routing handler, after the framing checks. Handled when it answered itself
  /// (OPTIONS, 401, 404, 405); may rewrite req.path (a trailing slash is folded away).
  httplib::Server::HandlerResponse before(const httplib::Request& req, httplib::Response& res) const;

  /// From the post-routing handler: every answer just before its head goes out, errors
  /// httplib made itself (400, 414) included.
  void after(const httplib::Request& req, httplib::Response& res) const;

private:
  const route_table& routes_;
  cors_policy cors_;
  api_key_check keys_;
  bool access_log_;
};

} // namespace mediagen
