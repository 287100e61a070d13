#pragma once
// Wraps a route handler so its latency and status are recorded under a route name.

#include <chrono>
#include <string>

#include <httplib.h>

#include "http/http_context.hpp"

namespace mediagen {

template <class Handler>
httplib::Server::Handler timed(http_context& ctx, std::string route, Handler handler) {
  return [&ctx, route = std::move(route), handler = std::move(handler)](const httplib::Request& req,
                                                                        httplib::Response& res) {
    auto begin = std::chrono::steady_clock::now();
    handler(req, res);
    // A status left unset is httplib's to choose (200, or 206 for ranges).
    ctx.stats.record(route, res.status == -1 ? (req.ranges.empty() ? 200 : 206) : res.status,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  };
}

} // namespace mediagen
