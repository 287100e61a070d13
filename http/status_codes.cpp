#include "http/status_codes.hpp"

#include "actors/errors.hpp"
#include "http/failure_json.hpp"
#include "http/gallery_change_json.hpp"
#include "http/responses.hpp"

namespace mediagen {

namespace {

// 400 for a change that can never apply, 404 for one naming what is not there, 500 when the
// journal could not be written.
int status_of(const change_refusal& r) {
  switch (r.reason) {
    case change_refusal_reason::nothing_to_edit:
    case change_refusal_reason::no_uids:
    case change_refusal_reason::no_such_folder:
    case change_refusal_reason::unsorted_renamed:
    case change_refusal_reason::unsorted_deleted: return 400;
    case change_refusal_reason::entries_not_found:
    case change_refusal_reason::folder_not_found: return 404;
    case change_refusal_reason::not_stored: return 500;
  }
  return 500;
}

} // namespace

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
    case error_code::change_refused: {
      auto* refusal = error_refusal(e);
      return refusal ? status_of(*refusal) : 500;
    }
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
  if (auto* refusal = error_refusal(e)) return send_error(res, status, change_refusal_sentence(*refusal));
  send_error(res, status, error_sentence(e), failure_details_json(e));
}

} // namespace mediagen
