#pragma once
// Reads a generation request's fields from a JSON or multipart/form-data body.

#include <deque>
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

/// A generation request's body as read, before validation.
struct generation_body {
  json::document fields;            ///< a JSON object: JSON as sent; multipart text parts as strings
  std::vector<uploaded_part> parts; ///< its files: multipart file parts (pointing into the request) or inline ones
  std::deque<std::string> decoded;  ///< the bytes of files given inline in JSON; their parts point here
};

/// Reads the body. In JSON, a file field (`image`, `mask`, `image_<n>`, `audio_<n>`) that is a
/// string is a file given inline: a `data:<type>;base64,` URL or plain base64 (common/base64),
/// decoded into a part exactly like a multipart file (its bytes decide its kind, never the
/// declared type) and taken out of `fields`. 400 for one that is not a string or not base64.
body_error read_generation_fields(const httplib::Request& req, generation_body& out);

/// Whether `name` is a field a generation request's files come in.
bool is_file_field(const std::string& name);

} // namespace mediagen
