#pragma once
// Runs tests/fakes/webhook_receiver.py (verifies signatures with Python's hmac, records each
// delivery, answers scripted statuses) as a child process on a free loopback port.

#include <string>
#include <sys/types.h>
#include <vector>

#include "server_harness.hpp"

namespace mediagen::testing {

class webhook_receiver_process {
public:
  /// With `tls_cert` and `tls_key` (PEM files) it speaks https.
  explicit webhook_receiver_process(const std::string& secret, const std::string& tls_cert = "",
                                    const std::string& tls_key = "");
  ~webhook_receiver_process(); ///< SIGKILL and reap
  webhook_receiver_process(const webhook_receiver_process&) = delete;
  webhook_receiver_process& operator=(const webhook_receiver_process&) = delete;

  int port() const { return port_; }
  /// "http(s)://127.0.0.1:<port><path>".
  std::string url(const std::string& path = "/hook") const;
  /// The next answers (then `fallback` for every later one), each after `delay_ms`.
  void answer(const std::vector<int>& statuses, int fallback = 200, int delay_ms = 0) const;
  /// Every delivery so far, oldest first: [{id, timestamp, valid, fresh, answered, body,
  /// concurrent (deliveries being answered when it arrived, itself included)}].
  json::document received() const;

private:
  /// A client to the receiver itself (https without verification when it speaks TLS).
  httplib::Client client() const;
  bool tls_ = false;
  pid_t pid_ = -1;
  int port_ = 0;
};

} // namespace mediagen::testing
