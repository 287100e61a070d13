#pragma once
// The one place actor errors (actors/errors.hpp) become HTTP answers.

#include <string>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <httplib.h>

namespace mediagen {

/// 429 queue full, 503 shutting down or too many streams, 204 stream finished, 404 unknown task, 409 ended,
/// 504 sync wait over, 502 backend failure, a refused gallery change 400 (it can never apply),
/// 404 (what it names is not there) or 500 (not stored), 500 anything else.
int http_status_of(const caf::error& e);

/// Answers `e` as docs/API.md's one-sentence error: ours with its own sentence (and the
/// backend's details when it has them, and Retry-After on 429); any other (a timeout, a dead
/// actor) as 500 "`failed_call` (what CAF says)."
void send_actor_error(httplib::Response& res, caf::actor_system& sys, const caf::error& e,
                      const std::string& failed_call);

} // namespace mediagen
