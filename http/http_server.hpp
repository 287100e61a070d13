#pragma once
// The cpp-httplib server with the settings that TOOLCHAIN.md measured as necessary (thread pool
// size, keep-alive, Nagle off, listen backlog), JSON errors everywhere, and every route.

#include <httplib.h>

#include "http/http_context.hpp"

namespace mediagen {

class http_server : public httplib::Server {
public:
  explicit http_server(http_context& ctx);

  /// Binds and widens the listen backlog (httplib's is 5). Returns the port, or -1.
  int bind(const std::string& host, int port);

private:
  http_context& ctx_;
};

} // namespace mediagen
