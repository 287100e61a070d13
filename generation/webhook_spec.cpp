#include "generation/webhook_spec.hpp"

#include <algorithm>
#include <cctype>

namespace mediagen {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool parse_port(const std::string& text, int& port) {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  port = std::stoi(text);
  return port >= 1 && port <= 65535;
}

// Splits "host[:port]" or "[v6][:port]". False when it is not one.
bool split_authority(const std::string& authority, std::string& host, std::string& port) {
  if (authority.empty()) return false;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos || close == 1) return false;
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    port = rest.empty() ? "" : rest.substr(1);
    return true;
  }
  auto colon = authority.rfind(':');
  host = colon == std::string::npos ? authority : authority.substr(0, colon);
  port = colon == std::string::npos ? "" : authority.substr(colon + 1);
  if (host.empty() || host.find(':') != std::string::npos) return false;
  for (unsigned char c : host)
    if (!std::isalnum(c) && c != '-' && c != '.' && c != '_') return false;
  return true;
}

} // namespace

const char* to_string(webhook_event e) {
  switch (e) {
    case webhook_event::progress: return "progress";
    case webhook_event::complete: return "complete";
    case webhook_event::error: return "error";
    case webhook_event::cancelled: return "cancelled";
  }
  return "unknown";
}

std::string webhook_url::origin() const {
  bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string webhook_url::host_port() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string parse_webhook_url(const std::string& text, webhook_url& out) {
  if (text.empty() || text.size() > 2048) return "webhook.url must be a URL of 1 to 2048 characters.";
  for (unsigned char c : text)
    if (c <= 0x20 || c >= 0x7f) return "webhook.url must not contain spaces or control characters.";
  auto scheme_end = text.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : lower(text.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return "webhook.url must be an http:// or https:// URL.";
  auto rest = text.substr(scheme_end + 3);
  auto path_at = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, path_at);
  std::string target = path_at == std::string::npos ? "/" : rest.substr(path_at);
  if (authority.find('@') != std::string::npos) return "webhook.url must not carry user information.";
  if (target.find('#') != std::string::npos) return "webhook.url must not have a fragment.";
  if (target.front() == '?') target = "/" + target;
  std::string host, port;
  if (!split_authority(authority, host, port)) return "webhook.url has no valid host.";
  webhook_url u;
  u.scheme = scheme;
  u.host = lower(host);
  u.port = scheme == "https" ? 443 : 80;
  if (!port.empty() && !parse_port(port, u.port)) return "webhook.url has an invalid port.";
  u.target = target;
  out = std::move(u);
  return {};
}

bool webhook_host_allowed(const webhook_url& url, const std::vector<std::string>& allowed) {
  for (auto& entry : allowed) {
    std::string host, port;
    if (!split_authority(lower(entry), host, port)) continue;
    if (host != url.host) continue;
    int p = 0;
    if (port.empty() || (parse_port(port, p) && p == url.port)) return true;
  }
  return false;
}

std::string parse_webhook_field(const json::value& body, const std::vector<std::string>& allowed_hosts,
                                webhook_spec& out) {
  out = webhook_spec{};
  auto* v = json::member(body, "webhook");
  if (!v || v->IsNull()) return {};
  const char* shape = "webhook must be an object {\"url\": \"...\", \"events\": [...]}.";
  json::document parsed;
  if (v->IsString()) {
    if (v->GetStringLength() == 0) return {};
    if (!json::parse(v->GetString(), parsed).empty()) return shape;
    v = &parsed;
  }
  if (!v->IsObject()) return shape;
  for (auto& m : v->GetObject()) {
    std::string key = m.name.GetString();
    if (key != "url" && key != "events") return "webhook has an unknown field '" + key + "'.";
  }
  auto* url = json::member(*v, "url");
  if (!url || !url->IsString()) return "webhook.url must be a string.";
  webhook_url parts;
  if (auto e = parse_webhook_url(url->GetString(), parts); !e.empty()) return e;
  if (!webhook_host_allowed(parts, allowed_hosts))
    return "webhook.url's host " + parts.host_port() + " is not in the server's webhookHosts.";
  webhook_spec spec;
  spec.url = url->GetString();
  if (auto* events = json::member(*v, "events"); events && !events->IsNull()) {
    const char* bad =
        "webhook.events must be a non-empty array of \"complete\", \"error\", \"cancelled\", \"progress\".";
    if (!events->IsArray() || events->Empty()) return bad;
    spec.events = 0;
    for (auto& e : events->GetArray()) {
      if (!e.IsString()) return bad;
      std::string name = e.GetString();
      bool known = false;
      for (auto kind :
           {webhook_event::progress, webhook_event::complete, webhook_event::error, webhook_event::cancelled})
        if (name == to_string(kind)) {
          spec.events |= static_cast<std::uint8_t>(kind);
          known = true;
        }
      if (!known) return bad;
    }
  }
  out = std::move(spec);
  return {};
}

} // namespace mediagen
