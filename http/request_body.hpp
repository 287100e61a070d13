#pragma once
// Reads a generation request's fields from a JSON or multipart/form-data body.

#include <string>

#include <httplib.h>

#include "generation/json.hpp"

namespace mediagen {

struct body_error {
  int status = 0;      ///< 0: fine
  std::string message;
};

/// Fills `fields` (a JSON object) from the body: JSON as sent; multipart text parts as strings.
body_error read_generation_fields(const httplib::Request& req, json::document& fields);

} // namespace mediagen
