#include "http/responses.hpp"

#include "common/json.hpp"

namespace mediagen {

void send_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& details_json) {
  std::string body = "{\"error\":" + json::quote(message);
  if (!details_json.empty()) body += ",\"details\":" + details_json;
  send_json(res, status, body + "}");
}

} // namespace mediagen
