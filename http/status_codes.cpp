#include "http/status_codes.hpp"

#include "actors/errors.hpp"
#include "http/responses.hpp"

namespace mediagen {

int http_status_of(const caf::error& e) {
  if (e.category() != error_category) return 500;
  switch (static_cast<error_code>(e.code())) {
    case error_code::queue_full: return 429;
    case error_code::shutting_down: return 503;
    case error_code::too_many_streams: return 503;
    case error_code::stream_finished: return 204;
    case error_code::unknown_task: return 404;
    case error_code::task_ended: return 409;
    case error_code::wait_timed_out: return 504;
    case error_code::backend_failed: return 502;
    case error_code::key_conflict: return 422;
    case error_code::duplicate_task:
    case error_code::internal_failure: return 500;
  }
  return 500;
}

void send_actor_error(httplib::Response& res, caf::actor_system& sys, const caf::error& e,
                      const std::string& failed_call) {
  if (e.category() != error_category) return send_error(res, 500, failed_call + " (" + sys.render(e) + ").");
  int status = http_status_of(e);
  if (status == 429) res.set_header("Retry-After", "1");
  bool has_details = has_code(e, error_code::backend_failed) || has_code(e, error_code::internal_failure);
  send_error(res, status, error_sentence(e), has_details ? error_extra(e) : std::string());
}

} // namespace mediagen
