// http/'s side of the typed protocol: our error codes map to their HTTP statuses, and snapshots
// and events render as docs/API.md shows them.

#include "tests/unit/actor_test_support.hpp"

#include "http/failure_json.hpp"
#include "http/gallery_change_json.hpp"
#include "http/status_codes.hpp"
#include "http/task_json.hpp"

using namespace mediagen;
using namespace mediagen::test;

TEST_CASE("each error code has its HTTP status, foreign errors are 500") {
  std::pair<error_code, int> rows[] = {
      {error_code::queue_full, 429},     {error_code::shutting_down, 503},    {error_code::too_many_streams, 503},
      {error_code::unknown_task, 404},   {error_code::task_ended, 409},       {error_code::wait_timed_out, 504},
      {error_code::backend_failed, 502}, {error_code::internal_failure, 500}, {error_code::duplicate_task, 500}};
  for (auto& [code, status] : rows) {
    CAPTURE(to_string(code));
    auto e = make_error(code, "One sentence.", "extra");
    CHECK(http_status_of(e) == status);
    CHECK(error_sentence(e) == "One sentence.");
    CHECK(error_extra(e) == "extra");
  }
  CHECK(http_status_of(caf::make_error(caf::sec::request_timeout)) == 500);
}

TEST_CASE("the actor system renders our errors by code and sentence") {
  actor_system_fixture f;
  CHECK(f.sys.render(make_error(error_code::queue_full, "Too many tasks are waiting.")) ==
        "mediagen.queue_full: Too many tasks are waiting.");
}

TEST_CASE("a failed snapshot renders its error message and the backend's details, a lost one only what was kept") {
  task_snapshot t;
  t.task_id = "t1";
  t.workflow = "W";
  t.state = task_state::failed;
  backend_failure details;
  details.kind = backend_failure_kind::execution_error;
  details.node_id = "3";
  details.node_type = "KSampler";
  details.exception_type = "RuntimeError";
  details.exception_message = "out of memory";
  t.failure = make_error(error_code::backend_failed, "It broke.", details);
  json::document d;
  REQUIRE(json::parse(task_json(t), d).empty());
  CHECK(std::string(d["state"].GetString()) == "failed");
  CHECK(std::string(d["error"]["message"].GetString()) == "It broke.");
  CHECK(
      json::stringify(d["error"]["details"]) ==
      R"({"node_id":"3","node_type":"KSampler","exception_type":"RuntimeError","exception_message":"out of memory"})");
  CHECK(d["queuePosition"].IsNull());
  CHECK(d["startedAt"].IsNull());
  t.state = task_state::lost;
  REQUIRE(json::parse(task_json(t), d).empty());
  CHECK(std::string(d["state"].GetString()) == "lost");
  CHECK_FALSE(d.HasMember("progress"));
}

TEST_CASE("a refused prompt's details render as ComfyUI's error and node_errors, node by node in order") {
  backend_failure f;
  f.kind = backend_failure_kind::prompt_refused;
  f.error = {"prompt_outputs_failed_validation", "Prompt outputs failed validation", ""};
  f.node_errors.push_back({"4", "CheckpointLoaderSimple", {{"value_not_in_list", "Value not in list", "ckpt_name"}}});
  f.node_errors.push_back({"10", "SaveImage", {}});
  CHECK(backend_failure_json(f) ==
        R"({"error":{"type":"prompt_outputs_failed_validation","message":"Prompt outputs failed validation",)"
        R"("details":""},"node_errors":{"4":{"class_type":"CheckpointLoaderSimple","errors":[{"type":)"
        R"("value_not_in_list","message":"Value not in list","details":"ckpt_name"}]},)"
        R"("10":{"class_type":"SaveImage","errors":[]}}})");
  // Carried by the error, it is the details of the answer; without a report there are none.
  CHECK(failure_details_json(make_error(error_code::backend_failed, "Refused.", f)) == backend_failure_json(f));
  CHECK(failure_details_json(make_error(error_code::backend_failed, "Refused.")).empty());
  CHECK(failure_details_json(make_error(error_code::backend_failed, "Refused.", backend_failure{})).empty());
}

TEST_CASE("a refused gallery change has the status of its reason and a sentence written in http/") {
  using reason = change_refusal_reason;
  std::tuple<change_refusal, int, std::string> rows[] = {
      {{reason::nothing_to_edit, "", {}}, 400, "Nothing to edit."},
      {{reason::no_uids, "", {}}, 400, "uids must not be empty."},
      {{reason::no_such_folder, "nowhere", {}}, 400, "Folder 'nowhere' does not exist."},
      {{reason::unsorted_renamed, "", {}}, 400, "Cannot rename the Unsorted folder."},
      {{reason::unsorted_deleted, "", {}}, 400, "Cannot delete the Unsorted folder."},
      {{reason::entries_not_found, "", {4, 7}}, 404, "No entries with uids 4, 7."},
      {{reason::folder_not_found, std::string(150, 'f'), {}},
       404,
       "Folder with uid " + std::string(100, 'f') + "... not found."},
      {{reason::not_stored, "disk full", {}}, 500, "The change could not be stored: disk full"}};
  for (auto& [refusal, status, sentence] : rows) {
    auto e = make_error(refusal);
    CHECK(has_code(e, error_code::change_refused));
    REQUIRE(error_refusal(e));
    CHECK(error_refusal(e)->reason == refusal.reason);
    CHECK(http_status_of(e) == status);
    CHECK(change_refusal_sentence(*error_refusal(e)) == sentence);
  }
  CHECK_FALSE(error_refusal(make_error(error_code::unknown_task, "No.")));
}

TEST_CASE("events are named by the task's state, and the frame carries the id") {
  task_event e;
  e.task.task_id = "t1";
  e.task.state = task_state::queued;
  e.task.queue_position = 2;
  CHECK(std::string(event_name(e)) == "progress");
  json::document d;
  REQUIRE(json::parse(event_json(e), d).empty());
  CHECK(std::string(d["status"].GetString()) == "queued");
  CHECK(d["queuePosition"].GetInt() == 2);
  e.task.state = task_state::cancelling;
  e.task.progress.message = "ComfyUI instance a lost; resubmitted to b.";
  CHECK(std::string(event_name(e)) == "progress");
  REQUIRE(json::parse(event_json(e), d).empty());
  CHECK(std::string(d["status"].GetString()) == "cancelling");
  CHECK(std::string(d["progress"]["message"].GetString()) == "ComfyUI instance a lost; resubmitted to b.");
  CHECK_FALSE(d.HasMember("queuePosition"));
  CHECK(task_json(e.task).find("\"state\":\"cancelling\"") != std::string::npos);
  e.task.progress.message.clear();
  REQUIRE(json::parse(event_json(e), d).empty());
  CHECK_FALSE(d["progress"].HasMember("message"));
  e.task.state = task_state::cancelled;
  CHECK(render_sse_frame(4, e).rfind("id: 4\nevent: cancelled\ndata: {", 0) == 0);
  e.task.state = task_state::failed;
  CHECK(std::string(event_name(e)) == "error-event");
}
