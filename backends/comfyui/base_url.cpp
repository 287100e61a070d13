#include "backends/comfyui/base_url.hpp"

#include <cctype>

namespace mediagen::comfyui {

namespace {

std::string bracketed(const std::string& host) {
  if (host.find(':') != std::string::npos) return "[" + host + "]";
  return host;
}

bool set_error(std::string* error, const std::string& text) {
  if (error) *error = text;
  return false;
}

} // namespace

std::string base_url::origin() const { return scheme + "://" + bracketed(host) + ":" + std::to_string(port); }

std::string base_url::to_string() const { return origin() + prefix; }

std::string base_url::path(const std::string& p) const {
  if (p.empty() || p.front() != '/') return prefix + "/" + p;
  return prefix + p;
}

std::string base_url::ws_url(const std::string& client_id) const {
  const std::string ws_scheme = scheme == "https" ? "wss" : "ws";
  return ws_scheme + "://" + bracketed(host) + ":" + std::to_string(port) + prefix +
         "/ws?clientId=" + percent_encode(client_id);
}

std::optional<base_url> parse_base_url(const std::string& text_in, std::string* error) {
  std::string text = text_in;
  // Trim surrounding blanks: config files and environment variables carry them.
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  text = text.substr(start);

  base_url url;
  bool scheme_given = false;
  std::string rest = text;
  const auto sep = text.find("://");
  if (sep != std::string::npos) {
    std::string scheme = text.substr(0, sep);
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "http" && scheme != "https") {
      set_error(error, "The ComfyUI URL '" + text_in + "' must start with http:// or https://.");
      return std::nullopt;
    }
    url.scheme = scheme;
    scheme_given = true;
    rest = text.substr(sep + 3);
  }

  // Split authority and path.
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (path.find_first_of("?#") != std::string::npos) {
    set_error(error, "The ComfyUI URL '" + text_in + "' must not carry a query or fragment.");
    return std::nullopt;
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  url.prefix = path;

  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) {
      set_error(error, "The ComfyUI URL '" + text_in + "' has an unclosed IPv6 bracket.");
      return std::nullopt;
    }
    url.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        set_error(error, "The ComfyUI URL '" + text_in + "' has text after the IPv6 host.");
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    if (colon != std::string::npos) {
      url.host = authority.substr(0, colon);
      port_text = authority.substr(colon + 1);
    } else {
      url.host = authority;
    }
  }
  if (url.host.empty() || url.host.find_first_of(" @") != std::string::npos) {
    set_error(error, "The ComfyUI URL '" + text_in + "' names no usable host.");
    return std::nullopt;
  }
  if (!port_text.empty()) {
    long port = 0;
    for (char c : port_text) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535) {
        port = -1;
        break;
      }
      port = port * 10 + (c - '0');
    }
    if (port <= 0 || port > 65535) {
      set_error(error, "The ComfyUI URL '" + text_in + "' has an invalid port '" + port_text + "'.");
      return std::nullopt;
    }
    url.port = static_cast<int>(port);
  } else if (scheme_given) {
    url.port = url.scheme == "https" ? 443 : 80;
  } else {
    url.port = 8188; // ComfyUI's default
  }
  return url;
}

std::string percent_encode(const std::string& s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

} // namespace mediagen::comfyui
