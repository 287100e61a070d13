#include "http/http_server.hpp"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/guarded_stream.hpp"

#include "http/gallery_routes.hpp"
#include "http/generation_routes.hpp"
#include "http/media_routes.hpp"
#include "http/ops_routes.hpp"
#include "http/responses.hpp"
#include "http/static_files.hpp"
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

/// httplib's accept loop hands each accepted socket to a task queue; ours runs the hand-over at
/// once on the accept thread (it only passes the socket to the connection loop).
class inline_task_queue : public httplib::TaskQueue {
public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

connection_settings connection_settings_of(const server_config& c) {
  connection_settings s;
  s.keep_alive_timeout = std::chrono::seconds(c.keep_alive_timeout_seconds);
  s.read_timeout = std::chrono::seconds(c.read_timeout_seconds);
  s.write_timeout = std::chrono::seconds(c.write_timeout_seconds);
  s.request_timeout = std::chrono::seconds(c.request_timeout_seconds);
  s.heartbeat = std::chrono::seconds(c.sse_heartbeat_seconds);
  s.keep_alive_max = 100000;
  return s;
}

enum class next_bytes { arrived, none, closed };

// Whether the client already sent more: a worker keeps a connection only while it has.
next_bytes peek_socket(int sock) {
  char byte;
  ssize_t n;
  do n = ::recv(sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n > 0) return next_bytes::arrived;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return next_bytes::none;
  return next_bytes::closed;
}

// Whether a request starting with `head` asks to read (GET, HEAD, OPTIONS), not to change.
bool is_read_method(const std::string& head) {
  for (const char* method : {"GET ", "HEAD ", "OPTIONS "})
    if (head.rfind(method, 0) == 0) return true;
  return false;
}

} // namespace

http_server::http_server(http_context& ctx)
    : ctx_(ctx),
      workers_(static_cast<std::size_t>(ctx.config.http_workers), static_cast<std::size_t>(ctx.config.http_workers_max),
               std::chrono::seconds(30), std::chrono::milliseconds(10), ctx.connections),
      loop_(connection_settings_of(ctx.config), ctx.connections,
            [this](std::unique_ptr<connection> c) { dispatch(std::move(c)); }),
      stream_loop_(connection_settings_of(ctx.config), ctx.connections,
                   [this](std::unique_ptr<connection> c) { dispatch(std::move(c)); }),
      routes_(*this), edge_(ctx.config, routes_) {
  new_task_queue = [] { return new inline_task_queue; };
  // Only SO_REUSEADDR (a restart binds despite TIME_WAIT); httplib's default also sets
  // SO_REUSEPORT, which let a second server bind the same port and take half the connections.
  set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  set_tcp_nodelay(true);
  set_keep_alive_max_count(loop_.settings().keep_alive_max);
  set_keep_alive_timeout(std::chrono::duration_cast<std::chrono::seconds>(loop_.settings().keep_alive_timeout).count());
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
    } catch (...) {}
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

http_server::~http_server() { shut_down(); }

void http_server::dispatch(std::unique_ptr<connection> c) {
  // Reads go ahead of queued writes (http_workers' first lane). Only the method of the request
  // arriving now is looked at; a request line not arrived that far waits in the normal lane.
  auto lane = is_read_method(c->stream.peek(8)) ? http_workers::lane::first : http_workers::lane::normal;
  auto* raw = c.release(); // std::function needs a copyable job: the worker takes it back
  workers_.submit([this, raw] { serve(std::unique_ptr<connection>(raw)); }, lane);
}

bool http_server::process_and_close_socket(socket_t sock) {
  loop_.adopt(sock);
  return true;
}

void http_server::serve(std::unique_ptr<connection> c) {
  auto& stream = c->stream;
  guarded_stream::set_current(&stream);
  bool keep = true;
  do {
    stream.start_request();
    bool closed = false;
    bool ok = process_request(stream, c->requests_left == 1, closed, nullptr);
    --c->requests_left;
    // An SSE answer: its headers are written, the loop writes the rest (even though httplib
    // counts the provider's early return as a failed write), then closes if the request asked to.
    if (stream.handed_over()) {
      if (closed) stream.close_after_answer();
      break;
    }
    keep = ok && !closed && !stream.closing() && c->requests_left > 0 && !shutting_down_;
    // A pipelined request may already sit in the stream's buffer, where the socket shows nothing.
  } while (keep && (stream.has_buffered() || peek_socket(c->fd) == next_bytes::arrived));
  guarded_stream::set_current(nullptr);
  if (stream.handed_over())
    stream_loop_.give_back(std::move(c));
  else if (keep && peek_socket(c->fd) != next_bytes::closed)
    loop_.give_back(std::move(c));
  else
    loop_.close(std::move(c));
}

void http_server::shut_down() {
  if (shutting_down_.exchange(true)) return;
  stop();       // the accept loop ends
  loop_.stop(); // idle connections and streams close now
  stream_loop_.stop();
  workers_.stop(); // requests in flight finish; their connections close
}

int http_server::bind(const std::string& host, int port) {
  int bound = port;
  errno = 0;
  if (port == 0)
    bound = bind_to_any_port(host);
  else if (!bind_to_port(host, port))
    bound = -1;
  if (bound < 0) {
    bind_error_ = errno == EADDRINUSE ? "the port is already in use"
                  : errno             ? std::strerror(errno)
                                      : "the address cannot be bound";
    return -1;
  }
  // Connection bursts overflow a backlog of 5 and stall for seconds; listen again, wider.
  ::listen(svr_sock_, 1024);
  return bound;
}

} // namespace mediagen
