#pragma once
// API keys (server config `apiKeys`, `--api-key`): when any is set, a request must carry one as
// `Authorization: Bearer <key>`, or, on the routes a browser's EventSource and <img> reach
// (/progress/..., /media/...), as `?access_token=<key>`, since those cannot send headers.
// Keys are compared in constant time and never written to a log.

#include <string>
#include <vector>

#include <httplib.h>

namespace mediagen {

class api_key_check {
public:
  enum class verdict { allowed, missing, invalid };

  explicit api_key_check(std::vector<std::string> keys) : keys_(std::move(keys)) {}

  /// false: no key configured, every request is allowed.
  bool enabled() const { return !keys_.empty(); }

  /// Whether `req` may use `path` (the route path, after trailing-slash folding).
  verdict check(const httplib::Request& req, const std::string& path) const;

  /// Whether `given` is one of the keys; the time taken depends on the keys' lengths only.
  bool is_key(const std::string& given) const;

private:
  std::vector<std::string> keys_;
};

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive), or "".
std::string bearer_token(const std::string& header);

/// Routes that need no key: GET /healthz (load balancers and probes have none).
bool open_without_key(const std::string& path);

/// Routes that also accept `?access_token=` (EventSource and <img> cannot send a header).
bool takes_access_token(const std::string& path);

} // namespace mediagen
