#pragma once
// Why an actor refused or a task failed, as CAF errors of one category ("mediagen"). Actors
// know nothing of HTTP: http/status_codes.cpp maps each code to its status.
//
// Every error carries one sentence for the client as its first context element; a failure
// from a backend may carry JSON details as the second.

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>

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
};

/// The category all our errors carry.
constexpr caf::atom_value error_category = caf::atom("mediagen");

/// "queue_full", "unknown_task", ...
std::string to_string(error_code code);

/// Builds an error of our category: code, sentence, optional second context string.
caf::error make_error(error_code code, std::string sentence, std::string extra = {});

/// True when `e` is ours and has this code.
bool has_code(const caf::error& e, error_code code);

/// The sentence of one of our errors; for a foreign error, the system's rendering.
std::string error_sentence(const caf::error& e);

/// The second context string ("" when none): details JSON, or the task id of wait_timed_out.
std::string error_extra(const caf::error& e);

/// Lets the actor system render our errors (caf::actor_system::render).
void register_error_category(caf::actor_system_config& cfg);

} // namespace mediagen
