#include "http/cors.hpp"

#include <algorithm>

namespace mediagen {

std::string cors_policy::allow_origin(const std::string& origin) const {
  if (origin.empty()) return {};
  for (auto& o : origins_) {
    if (o == "*") return "*";
    if (o == origin) return origin;
  }
  return {};
}

void cors_policy::add_headers(const httplib::Request& req, httplib::Response& res) const {
  auto allowed = allow_origin(req.get_header_value("Origin"));
  if (allowed.empty()) return;
  res.set_header("Access-Control-Allow-Origin", allowed);
  // Headers a page's script may read beyond the safelisted ones.
  res.set_header("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, ETag, Content-Range, WWW-Authenticate");
}

void cors_policy::add_preflight_headers(const httplib::Request& req, httplib::Response& res,
                                        const std::string& allow) const {
  if (!req.has_header("Access-Control-Request-Method")) return;
  if (allow_origin(req.get_header_value("Origin")).empty()) return;
  res.set_header("Access-Control-Allow-Methods", allow);
  // Last-Event-ID: an EventSource reconnecting to /progress sends it.
  res.set_header("Access-Control-Allow-Headers",
                 "Authorization, Content-Type, Last-Event-ID, X-Request-Id, Range, Cache-Control");
  res.set_header("Access-Control-Max-Age", "600");
}

} // namespace mediagen
