#include "http/http_server.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/guarded_stream.hpp"

#include "http/gallery_routes.hpp"
#include "http/generation_routes.hpp"
#include "http/media_routes.hpp"
#include "http/ops_routes.hpp"
#include "http/static_files.hpp"
#include "http/responses.hpp"
#include "http/task_routes.hpp"
#include "http/upload_routes.hpp"

namespace mediagen {

namespace {

std::string message_for(int status) {
  switch (status) {
    case 400: return "The request is malformed.";
    case 404: return "No such route.";
    case 405: return "Method not allowed.";
    case 413: return "The request body is larger than the server accepts.";
    case 414: return "The request URI is too long.";
    case 415: return "Unsupported content type.";
    case 416: return "The requested range is not satisfiable.";
    case 431: return "The request headers are larger than the server accepts.";
    default: return status >= 500 ? "The server failed to handle the request." : "The request was refused.";
  }
}

} // namespace

http_server::http_server(http_context& ctx) : ctx_(ctx), routes_(*this), edge_(ctx.config, routes_) {
  auto threads = static_cast<std::size_t>(ctx.config.http_threads);
  new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  set_tcp_nodelay(true);
  set_keep_alive_max_count(100000);
  set_keep_alive_timeout(5);
  set_read_timeout(static_cast<time_t>(ctx.config.read_timeout_seconds), 0);
  set_write_timeout(static_cast<time_t>(ctx.config.write_timeout_seconds), 0);
  set_payload_max_length(static_cast<std::size_t>(ctx.config.max_upload_bytes));
  // Every error is JSON, including those httplib makes itself (404 route, 413, 400 parse).
  set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    // httplib would cut the error body down to a requested Range; an error is sent whole.
    const_cast<httplib::Request&>(req).ranges.clear();
    if (res.body.empty()) send_error(res, res.status, message_for(res.status));
  });
  set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    std::fprintf(stderr, "error http handler exception what=\"%s\"\n", what.c_str());
    send_error(res, 500, "The server failed to handle the request.");
  });
  // Checks every request passes before routing: ambiguous framing and oversized headers.
  auto max_header_bytes = static_cast<std::size_t>(ctx.config.max_header_bytes);
  set_pre_routing_handler([this, max_header_bytes](const httplib::Request& req, httplib::Response& res) {
    auto* stream = guarded_stream::current();
    if (stream) stream->request_read();
    // Two Content-Length headers make the body's end ambiguous (request smuggling): refuse, and
    // read nothing more from this connection (RFC 9112 6.3).
    if (req.get_header_value_count("Content-Length") > 1) {
      if (stream) stream->close_after_answer();
      send_error(res, 400, "The request has more than one Content-Length header.");
      return HandlerResponse::Handled;
    }
    std::size_t header_bytes = 0;
    for (auto& [name, value] : req.headers) header_bytes += name.size() + value.size() + 4;
    if (header_bytes > max_header_bytes) {
      send_error(res, 431, "The request headers are larger than the server accepts.");
      return HandlerResponse::Handled;
    }
    return edge_.before(req, res);
  });
  set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) { edge_.after(req, res); });
  add_generation_routes(routes_, ctx);
  add_task_routes(routes_, ctx);
  add_media_routes(routes_, ctx);
  add_gallery_routes(routes_, ctx);
  add_upload_routes(routes_, ctx);
  add_ops_routes(routes_, ctx);
  add_static_routes(routes_, ctx); // last: a file never shadows an API route
}

bool http_server::next_request_arrives(int sock) const {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
  while (!shutting_down_ && std::chrono::steady_clock::now() < until) {
    pollfd p{sock, POLLIN, 0};
    int rc = ::poll(&p, 1, 100);
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
  return false;
}

bool http_server::process_and_close_socket(socket_t sock) {
  guarded_stream stream(sock, std::chrono::seconds(read_timeout_sec_), std::chrono::seconds(write_timeout_sec_),
                        std::chrono::seconds(ctx_.config.request_timeout_seconds));
  guarded_stream::set_current(&stream);
  bool ok = true;
  // A pipelined request may already sit in the stream's buffer, where polling the socket
  // would not see it.
  for (auto left = keep_alive_max_count_; left > 0 && (stream.has_buffered() || next_request_arrives(sock)); --left) {
    stream.start_request();
    bool closed = false;
    ok = process_request(stream, left == 1, closed, nullptr);
    if (!ok || closed || stream.closing()) break;
  }
  guarded_stream::set_current(nullptr);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

void http_server::shut_down() {
  shutting_down_ = true;
  stop();
}

int http_server::bind(const std::string& host, int port) {
  int bound = port;
  if (port == 0) bound = bind_to_any_port(host);
  else if (!bind_to_port(host, port)) bound = -1;
  if (bound < 0) return -1;
  // Connection bursts overflow a backlog of 5 and stall for seconds; listen again, wider.
  ::listen(svr_sock_, 1024);
  return bound;
}

} // namespace mediagen
