#include "http/responses.hpp"

#include "common/json.hpp"

namespace mediagen {

void send_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& details_json) {
  json::writer w;
  w.begin_object().field("error", message);
  if (!details_json.empty()) w.key("details").raw(details_json);
  send_json(res, status, w.end_object().str());
}

} // namespace mediagen
