#pragma once
// How answers are written: JSON bodies, and docs/API.md's one-sentence JSON errors.

#include <string>

#include <httplib.h>

namespace mediagen {

void send_json(httplib::Response& res, int status, const std::string& body);

/// `{"error": message, "details": details_json?}`; details_json is JSON text or "".
void send_error(httplib::Response& res, int status, const std::string& message, const std::string& details_json = "");

} // namespace mediagen
