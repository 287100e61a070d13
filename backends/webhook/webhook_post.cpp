#include "backends/webhook/webhook_post.hpp"

#include <httplib.h>

#include "backends/webhook/webhook_signature.hpp"

namespace mediagen {

webhook_attempt post_webhook(const webhook_url& url, const std::string& id, std::int64_t timestamp,
                             const std::string& key, const std::string& body, std::chrono::milliseconds timeout) {
  // https goes through httplib's SSLClient (Debian's libcpp-httplib is built with OpenSSL), which
  // verifies the receiver's certificate against the system's CA store.
  httplib::Client client(url.origin());
  auto seconds = static_cast<time_t>(timeout.count() / 1000);
  auto micros = static_cast<time_t>((timeout.count() % 1000) * 1000);
  client.set_connection_timeout(seconds, micros);
  client.set_read_timeout(seconds, micros);
  client.set_write_timeout(seconds, micros);
  client.set_keep_alive(false);
  httplib::Headers headers = {
      {"webhook-id", id},
      {"webhook-timestamp", std::to_string(timestamp)},
      {"webhook-signature", webhook_signature(key, id, timestamp, body)},
      {"User-Agent", "mediagen-webhooks"},
  };
  auto res = client.Post(url.target.c_str(), headers, body, "application/json");
  webhook_attempt out;
  if (!res) {
    out.error = "The receiver did not answer (" + httplib::to_string(res.error()) + ").";
    return out;
  }
  out.status = res->status;
  if (res->status < 200 || res->status > 299)
    out.error = "The receiver answered HTTP " + std::to_string(res->status) + ".";
  return out;
}

} // namespace mediagen

namespace mediagen {

webhook_verdict verdict_of(const webhook_attempt& a) {
  if (a.status >= 200 && a.status <= 299) return webhook_verdict::delivered;
  if (a.status >= 400 && a.status <= 499 && a.status != 408 && a.status != 429) return webhook_verdict::failed;
  return webhook_verdict::retry;
}

} // namespace mediagen
