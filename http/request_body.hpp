#pragma once
// Reads a generation request's fields from a JSON or multipart/form-data body.

#include <string>

#include <httplib.h>

#include "common/json.hpp"
#include "generation/generation_request.hpp"

namespace mediagen {

struct body_error {
  int status = 0; ///< 0: fine
  std::string message;
};

/// A non-negative decimal integer of at most 18 digits (uids, limits, Last-Event-ID).
bool parse_count(const std::string& text, std::int64_t& out);

/// Task ids are ours: 1..64 of [A-Za-z0-9_-]. Anything else is refused before reaching an actor.
bool plausible_task_id(const std::string& id);

/// Fills `fields` (a JSON object) from the body: JSON as sent; multipart text parts as strings.
/// File parts are listed in `parts` (pointing into `req`). `multipart_only` refuses JSON (415).
body_error read_generation_fields(const httplib::Request& req, json::document& fields,
                                  std::vector<uploaded_part>& parts, bool multipart_only = false);

} // namespace mediagen
