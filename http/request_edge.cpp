#include "http/request_edge.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>

#include "http/access_log.hpp"
#include "http/guarded_stream.hpp"
#include "http/request_id.hpp"
#include "http/responses.hpp"
#include "http/standard_headers.hpp"

namespace mediagen {

namespace {

using clock = std::chrono::steady_clock;

/// When the request on this thread was routed: before() and after() run on the thread that
/// handles the request, one request at a time. Unset for requests httplib refused unrouted.
thread_local std::optional<clock::time_point> routed_at;

/// A body we answer before reading would be taken for the next request: end the connection.
void close_if_body_unread(const httplib::Request& req) {
  bool has_body = req.has_header("Transfer-Encoding") ||
                  (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
  auto* stream = guarded_stream::current();
  if (has_body && stream) stream->close_after_answer();
}

} // namespace

request_edge::request_edge(const server_config& config, const route_table& routes)
    : routes_(routes), cors_(config.cors_origins), keys_(config.api_keys), access_log_(config.access_log) {}

httplib::Server::HandlerResponse request_edge::before(const httplib::Request& req, httplib::Response& res) const {
  routed_at = clock::now();
  res.set_header("X-Request-Id", request_id_from(req.get_header_value("X-Request-Id")));
  // "/tasks/abc/" is "/tasks/abc". httplib routes on req.path, which the request owns (it is
  // const only in this handler's signature).
  auto& path = const_cast<httplib::Request&>(req).path;
  if (path.size() > 1 && path.back() == '/') path.pop_back();

  auto allow = routes_.allowed_methods(path);
  if (allow.empty()) {
    close_if_body_unread(req);
    // No route, no need for a key to learn it: 404 for everyone, the same as for an unknown id.
    send_error(res, 404, "No route matches " + req.method + " " + path + ".");
    return httplib::Server::HandlerResponse::Handled;
  }
  if (req.method == "OPTIONS") { // and CORS preflights, which carry no key
    close_if_body_unread(req);
    res.status = 204;
    res.set_header("Allow", allow);
    cors_.add_preflight_headers(req, res, allow);
    return httplib::Server::HandlerResponse::Handled;
  }
  auto verdict = keys_.check(req, path);
  if (verdict != api_key_check::verdict::allowed) {
    close_if_body_unread(req);
    res.set_header("WWW-Authenticate", verdict == api_key_check::verdict::invalid
                                           ? "Bearer realm=\"mediagen\", error=\"invalid_token\""
                                           : "Bearer realm=\"mediagen\"");
    send_error(
        res, 401,
        verdict == api_key_check::verdict::invalid
            ? "The API key is not valid."
            : "An API key is required (Authorization: Bearer <key>, or ?access_token= on /progress and /media).");
    return httplib::Server::HandlerResponse::Handled;
  }
  if (!allows(allow, req.method)) {
    close_if_body_unread(req);
    res.set_header("Allow", allow);
    send_error(res, 405, "Method " + req.method + " is not allowed on " + path + "; use " + allow + ".");
    return httplib::Server::HandlerResponse::Handled;
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

void request_edge::after(const httplib::Request& req, httplib::Response& res) const {
  if (!res.has_header("X-Request-Id")) res.set_header("X-Request-Id", new_request_id());
  if (!res.has_header("Date")) {
    // One formatting per second and thread: glibc's gmtime_r takes a process-wide lock.
    thread_local std::time_t date_second = 0;
    thread_local std::string date_text;
    auto now = std::time(nullptr);
    if (now != date_second) date_text = http_date(date_second = now);
    res.set_header("Date", date_text);
  }
  // A 204 has no body and must not say how long it is (RFC 9110 8.6); httplib adds "0".
  if (res.status == 204) res.headers.erase("Content-Length");
  if (compressible_content_type(res.get_header_value("Content-Type"))) add_vary(res, "Accept-Encoding");
  if (cors_.enabled()) {
    add_vary(res, "Origin"); // the answer differs by Origin, for caches too
    cors_.add_headers(req, res);
  }
  if (access_log_) {
    double ms = routed_at ? std::chrono::duration<double, std::milli>(clock::now() - *routed_at).count() : -1;
    auto line = access_log_line(req, res, ms);
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  routed_at.reset();
}

} // namespace mediagen
