// http/'s side of the typed protocol: our error codes map to their HTTP statuses, and snapshots
// and events render as docs/API.md shows them.

#include "tests/unit/actor_test_support.hpp"

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
  t.failure = make_error(error_code::backend_failed, "It broke.", R"({"node_id":"3"})");
  json::document d;
  REQUIRE(json::parse(task_json(t), d).empty());
  CHECK(std::string(d["state"].GetString()) == "failed");
  CHECK(std::string(d["error"]["message"].GetString()) == "It broke.");
  CHECK(std::string(d["error"]["details"]["node_id"].GetString()) == "3");
  CHECK(d["queuePosition"].IsNull());
  CHECK(d["startedAt"].IsNull());
  t.state = task_state::lost;
  REQUIRE(json::parse(task_json(t), d).empty());
  CHECK(std::string(d["state"].GetString()) == "lost");
  CHECK_FALSE(d.HasMember("progress"));
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
