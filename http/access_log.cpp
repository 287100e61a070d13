#include "http/access_log.hpp"

#include <cstdio>

namespace mediagen {

std::string log_quoted(const std::string& text) {
  std::string out = "\"";
  for (unsigned char ch : text) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch == 0x7f) { // a decoded %0A must not start a forged log line
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", ch);
      out += hex;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

std::string access_log_line(const httplib::Request& req, const httplib::Response& res, double ms) {
  std::string line = "info access id=" + res.get_header_value("X-Request-Id");
  line += " remote=" + (req.remote_addr.empty() ? std::string("-") : req.remote_addr);
  line += " method=" + (req.method.empty() ? std::string("-") : req.method);
  line += " path=" + log_quoted(req.path); // the path only: the query may hold an access_token
  line += " status=" + std::to_string(res.status);
  if (!res.body.empty()) line += " bytes=" + std::to_string(res.body.size());
  if (ms >= 0) {
    char figure[32];
    std::snprintf(figure, sizeof figure, " ms=%.2f", ms);
    line += figure;
  }
  return line;
}

} // namespace mediagen
