#pragma once
// Where one ComfyUI instance lives: "http://host:port" with an optional path prefix
// ("http://gpu1:8188/comfy"). Shared by the HTTP client and the WebSocket listener so both
// talk to the same place. Pure value type, no I/O.

#include <optional>
#include <string>

namespace mediagen::comfyui {

struct base_url {
  std::string scheme = "http"; ///< "http" or "https" (the WebSocket listener speaks ws:// only)
  std::string host;            ///< name or address; an IPv6 literal is stored without brackets
  int port = 8188;             ///< explicit port, else 80 / 443 from the scheme
  std::string prefix;          ///< "" or a path starting with '/' and not ending with '/'

  /// "http://host:port" (brackets around an IPv6 host): what httplib::Client takes.
  std::string origin() const;
  /// origin() + prefix: the text used in error sentences, e.g. "http://127.0.0.1:8188".
  std::string to_string() const;
  /// prefix + path, where path starts with '/': "/comfy" + "/prompt".
  std::string path(const std::string& p) const;
  /// "ws://host:port<prefix>/ws?clientId=<id>" (wss for https). The id is percent-encoded.
  std::string ws_url(const std::string& client_id) const;
};

/// Parses "http://host:port[/prefix]" ("http://" may be omitted; default port 8188 when
/// the scheme is omitted too, else 80/443). Returns nullopt and sets `error` (one sentence)
/// when the text is not such a URL.
std::optional<base_url> parse_base_url(const std::string& text, std::string* error = nullptr);

/// Percent-encodes everything but RFC 3986 unreserved characters.
std::string percent_encode(const std::string& s);

} // namespace mediagen::comfyui
