#pragma once
// The cpp-httplib server with the settings that docs/TOOLCHAIN.md measured as necessary
// (keep-alive, Nagle off, listen backlog), JSON errors everywhere, and every route. httplib
// parses and routes; connections live in our connection loop and requests run on our growing
// worker pool (docs/DESIGN.md "Connections"), so an idle connection or an SSE stream holds no thread.

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>

#include "http/connection_loop.hpp"
#include "http/http_context.hpp"
#include "http/http_workers.hpp"
#include "http/request_edge.hpp"
#include "http/route_table.hpp"

namespace mediagen {

class http_server : public httplib::Server {
public:
  explicit http_server(http_context& ctx);
  ~http_server() override;

  /// Binds and widens the listen backlog (httplib's is 5). A port another process listens on is
  /// refused (no SO_REUSEPORT: the kernel would split connections between the two). Returns
  /// the port, or -1 (then bind_error() says why).
  int bind(const std::string& host, int port);
  const std::string& bind_error() const { return bind_error_; }

  /// Stops listening, closes idle connections and streams at once, and waits for the requests
  /// in flight on the workers.
  void shut_down();

private:
  /// httplib's accept loop calls this with each new socket (through an inline task queue): the
  /// connection loop takes it; no thread is spent until its first request arrives.
  bool process_and_close_socket(socket_t sock) override;
  /// On a worker: answers the requests `c` has buffered or arriving, one after another
  /// (pipelining), then hands it back to the loop or closes it.
  void serve(std::unique_ptr<connection> c);
  /// Hands a connection whose next request is arriving to a worker.
  void dispatch(std::unique_ptr<connection> c);

  http_context& ctx_;
  std::atomic<bool> shutting_down_{false};
  std::string bind_error_;
  http_workers workers_;
  /// Idle keep-alive connections wait in `loop_`; SSE streams are written by `stream_loop_`, so a
  /// busy fan-out to thousands of streams never delays handing the next request to a worker.
  connection_loop loop_, stream_loop_;
  route_table routes_; ///< every route, as registered with httplib
  request_edge edge_;  ///< request id, OPTIONS, keys, 404/405 before routing; Date, Vary, CORS after
};

} // namespace mediagen
