#pragma once
// CORS for pages on other origins (server config `corsOrigins`): which origins may read our
// answers, and the preflight answer browsers ask for before a non-simple request (a JSON POST,
// an Authorization header, EventSource's Last-Event-ID).

#include <string>
#include <vector>

#include <httplib.h>

namespace mediagen {

class cors_policy {
public:
  explicit cors_policy(std::vector<std::string> origins) : origins_(std::move(origins)) {}

  /// false: no origin configured, no CORS header is ever sent.
  bool enabled() const { return !origins_.empty(); }

  /// The Access-Control-Allow-Origin value for a request from `origin`: "*", the origin itself,
  /// or "" when it is not allowed.
  std::string allow_origin(const std::string& origin) const;

  /// Headers every answer carries: Access-Control-Allow-Origin and -Expose-Headers for an
  /// allowed Origin. (Vary: Origin is the caller's, who merges Vary values.)
  void add_headers(const httplib::Request& req, httplib::Response& res) const;

  /// The extra headers of a preflight (OPTIONS with Access-Control-Request-Method) from an
  /// allowed origin: the methods `allow` names, the request headers we accept, how long to cache.
  void add_preflight_headers(const httplib::Request& req, httplib::Response& res, const std::string& allow) const;

private:
  std::vector<std::string> origins_;
};

} // namespace mediagen
