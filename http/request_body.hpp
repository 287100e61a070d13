#pragma once
// Reads a generation request's fields from a JSON or multipart/form-data body.

#include <string>

#include <httplib.h>

#include "generation/generation_request.hpp"
#include "generation/json.hpp"

namespace mediagen {

struct body_error {
  int status = 0;      ///< 0: fine
  std::string message;
};

/// Fills `fields` (a JSON object) from the body: JSON as sent; multipart text parts as strings.
/// File parts are listed in `parts` (pointing into `req`). `multipart_only` refuses JSON (415).
body_error read_generation_fields(const httplib::Request& req, json::document& fields,
                                  std::vector<uploaded_part>& parts, bool multipart_only = false);

} // namespace mediagen
