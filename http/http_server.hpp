#pragma once
// The cpp-httplib server with the settings that docs/TOOLCHAIN.md measured as necessary (thread pool
// size, keep-alive, Nagle off, listen backlog), JSON errors everywhere, and every route.

#include <httplib.h>

#include <atomic>
#include <memory>

#include "http/http_context.hpp"
#include "http/request_edge.hpp"
#include "http/route_table.hpp"

namespace mediagen {

class http_server : public httplib::Server {
public:
  explicit http_server(http_context& ctx);

  /// Binds and widens the listen backlog (httplib's is 5). Returns the port, or -1.
  int bind(const std::string& host, int port);

  /// Stops listening and ends idle keep-alive connections at once (httplib's own stop() would
  /// wait out each one's keep-alive timeout), then joins the HTTP threads.
  void shut_down();

private:
  /// Serves one connection through a guarded_stream (httplib's own stream has no request
  /// deadline): keep-alive requests one after another, then closes the socket.
  bool process_and_close_socket(socket_t sock) override;
  /// Waits for the next request's first byte up to the keep-alive timeout; false when none
  /// comes, or the server stops.
  bool next_request_arrives(int sock) const;

  http_context& ctx_;
  std::atomic<bool> shutting_down_{false};
  route_table routes_;  ///< every route, as registered with httplib
  request_edge edge_;   ///< request id, OPTIONS, keys, 404/405 before routing; Date, Vary, CORS after
};

} // namespace mediagen
