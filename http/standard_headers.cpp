#include "http/standard_headers.hpp"

#include <cstdio>

namespace mediagen {

std::string http_date(std::time_t when) {
  std::tm utc{};
  gmtime_r(&when, &utc);
  char text[40];
  // HTTP wants the English names; strftime's %a and %b follow the process locale, so spell them out.
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[utc.tm_wday], utc.tm_mday,
                months[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return text;
}

bool compressible_content_type(const std::string& content_type) {
  return (content_type.rfind("text/", 0) == 0 && content_type != "text/event-stream") ||
         content_type == "image/svg+xml" || content_type == "application/javascript" ||
         content_type == "application/json" || content_type == "application/xml" ||
         content_type == "application/xhtml+xml";
}

void add_vary(httplib::Response& res, const std::string& token) {
  auto current = res.get_header_value("Vary");
  if (current.empty()) return res.set_header("Vary", token);
  std::size_t at = 0;
  while (at < current.size()) {
    auto end = current.find(',', at);
    if (end == std::string::npos) end = current.size();
    auto first = current.find_first_not_of(' ', at);
    if (first < end && current.compare(first, end - first, token) == 0) return;
    at = end + 1;
  }
  res.headers.erase("Vary");
  res.set_header("Vary", current + ", " + token);
}

} // namespace mediagen
