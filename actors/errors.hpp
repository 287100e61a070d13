#pragma once
// Why an actor refused or a task failed, as CAF errors of one category ("mediagen"). Actors
// know nothing of HTTP: http/status_codes.cpp maps each code to its status.
//
// Every error carries one sentence for the client as its first context element; a failure
// from a backend may carry the backend's typed report (actors/backend_failure.hpp) as the second.
// A refused gallery change is the exception: it carries the typed refusal only, and http/ words it.

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>

#include "actors/backend_failure.hpp"
#include "persistence/gallery_changes.hpp"

namespace mediagen {

enum class error_code : std::uint8_t {
  // 0 is "no error" in CAF.
  queue_full = 1,   ///< admission: too many tasks wait
  shutting_down,    ///< admission: no new tasks
  duplicate_task,   ///< a task with this id exists (ids are never reassigned)
  unknown_task,     ///< no such task (or it expired)
  task_ended,       ///< cancel of a task that already ended
  too_many_streams, ///< subscriber limits reached
  stream_finished,  ///< subscribe after the terminal event: nothing will ever follow
  wait_timed_out,   ///< a sync wait ended before the task; context: sentence, task id
  backend_failed,   ///< the backend could not run the job
  internal_failure, ///< something inside the server failed
  key_conflict,     ///< an idempotency key already names a task of another request
  change_refused,   ///< a gallery change was refused, nothing changed; context: the change_refusal
};

/// The category all our errors carry.
constexpr caf::atom_value error_category = caf::atom("mediagen");

/// "queue_full", "unknown_task", ...
std::string to_string(error_code code);

/// Builds an error of our category: code, sentence, optional second context string.
caf::error make_error(error_code code, std::string sentence, std::string extra = {});

/// A failure with the backend's own report of it.
caf::error make_error(error_code code, std::string sentence, backend_failure details);

/// A refused gallery change (change_refused): http/ words the sentence and picks the status.
caf::error make_error(change_refusal refusal);

/// True when `e` is ours and has this code.
bool has_code(const caf::error& e, error_code code);

/// The sentence of one of our errors; for a foreign error, the system's rendering.
std::string error_sentence(const caf::error& e);

/// The second context string ("" when none): the task id of wait_timed_out.
std::string error_extra(const caf::error& e);

/// The backend's report a failure carries (nullptr when none; valid as long as `e`).
const backend_failure* error_details(const caf::error& e);

/// The refusal a change_refused error carries (nullptr for any other error; valid as long as `e`).
const change_refusal* error_refusal(const caf::error& e);

/// Lets the actor system render our errors (caf::actor_system::render).
void register_error_category(caf::actor_system_config& cfg);

} // namespace mediagen
