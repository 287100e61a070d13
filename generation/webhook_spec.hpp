#pragma once
// A generation request's `webhook` field: where the server POSTs the task's events and which
// ones (docs/API.md "Webhooks"), and the check that the URL's host is one the operator allowed.

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.hpp"

namespace mediagen {

/// The events a webhook can ask for; a set of them is a bit mask.
enum class webhook_event : std::uint8_t { progress = 1, complete = 2, error = 4, cancelled = 8 };

/// "progress", "complete", "error", "cancelled": the names clients write in `events` and the
/// `type` of each delivery's body.
const char* to_string(webhook_event e);

/// What a request asked for; an empty url means no webhook.
struct webhook_spec {
  std::string url;
  /// Bits of webhook_event; default: the three terminal events.
  std::uint8_t events = static_cast<std::uint8_t>(webhook_event::complete) |
                        static_cast<std::uint8_t>(webhook_event::error) |
                        static_cast<std::uint8_t>(webhook_event::cancelled);

  bool wanted() const { return !url.empty(); }
  bool wants(webhook_event e) const { return wanted() && (events & static_cast<std::uint8_t>(e)) != 0; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, webhook_spec& x) {
  return f(x.url, x.events);
}

/// A webhook URL taken apart: what an HTTP client needs.
struct webhook_url {
  std::string scheme; ///< "http" or "https"
  std::string host;   ///< lower case; an IPv6 literal without its brackets
  int port = 0;       ///< explicit, else 80 / 443
  std::string target; ///< path and query, at least "/"

  /// "scheme://host:port" (brackets around an IPv6 host), what httplib::Client takes.
  std::string origin() const;
  /// "host:port": the unit of the per-host concurrency bound.
  std::string host_port() const;
};

/// Parses an absolute http(s) URL without user info or fragment. "" or one sentence.
std::string parse_webhook_url(const std::string& text, webhook_url& out);

/// True when `url`'s host is in `allowed` (entries "host", any port, or "host:port").
bool webhook_host_allowed(const webhook_url& url, const std::vector<std::string>& allowed);

/// Reads `webhook` from a request body (absent or null: none). Multipart text parts arrive as
/// strings, so JSON text of the object is accepted too. Returns "" or one sentence; a host not
/// in `allowed_hosts` (empty: no webhook allowed) is refused.
std::string parse_webhook_field(const json::value& body, const std::vector<std::string>& allowed_hosts,
                                webhook_spec& out);

} // namespace mediagen
