// The task actor on a real actor system. The scoped actor plays its peers — the backend that
// reports progress and the outcome, the supervisor it reports to, the hub and the media store —
// so each message of the task's protocol is seen as it is sent.

#include "tests/unit/actor_test_support.hpp"

#include "actors/task_actor.hpp"

using namespace mediagen;
using namespace mediagen::test;

namespace {

/// A task whose every peer is `self`.
task_actor spawn_peer_task(caf::actor_system& sys, caf::scoped_actor& self, generation_request request,
                           std::chrono::milliseconds cancel_grace = std::chrono::seconds(10)) {
  task_context ctx;
  ctx.cancel_grace = cancel_grace;
  ctx.request = std::move(request);
  ctx.backend = caf::actor_cast<backend_actor>(self);
  ctx.hub = caf::actor_cast<sse_hub_actor>(self);
  ctx.store = caf::actor_cast<media_store_actor>(self);
  ctx.supervisor = caf::actor_cast<task_listener_actor>(self);
  return spawn_task(sys, std::move(ctx));
}

backend_outcome made_one_image() {
  backend_outcome o;
  o.ok = true;
  o.outputs.push_back(output_file{"x.png", "image", 3});
  return o;
}

backend_progress running(double percentage) {
  backend_progress p;
  p.state = task_state::running;
  p.progress.percentage = percentage;
  p.progress.current_step = "Procedural Image";
  return p;
}

} // namespace

TEST_CASE("task: a sync task runs, reports running once, and answers await with its completed snapshot") {
  actor_system_fixture f;
  auto catalog = shipped_catalog();
  caf::scoped_actor self{f.sys};
  auto task = spawn_peer_task(f.sys, self, planned_request(*catalog, "Builtin Tiny", "t-sync", true));
  auto waiting = self->request(task, std::chrono::seconds(5), atom::await::value, std::int64_t{0});
  self->send(task, atom::progress::value, running(40));
  self->send(task, atom::progress::value, running(20)); // never goes down
  self->send(task, atom::done::value, made_one_image());
  task_snapshot answer;
  waiting.receive([&](task_snapshot& s) { answer = std::move(s); }, [&](caf::error& e) { FAIL(to_string(e)); });
  CHECK(answer.task_id == "t-sync");
  CHECK(answer.state == task_state::completed);
  CHECK(answer.progress.percentage == 100);
  CHECK(answer.result.workflow == "Builtin Tiny");
  CHECK(answer.result.outputs.size() == 1);
  CHECK(answer.started_at != wall_time{});
  CHECK(answer.ended_at >= answer.started_at);
  // The supervisor hears: running (once), then the end. A silent task publishes nothing.
  int runnings = 0;
  bool ended = false;
  while (!ended)
    self->receive([&](atom::progress, const std::string& id,
                      task_state s) { runnings += id == "t-sync" && s == task_state::running; },
                  [&](atom::ended, const task_snapshot& s) { ended = s.state == task_state::completed; },
                  [&](atom::publish, const task_event&) { FAIL("a silent task published an event"); },
                  caf::after(std::chrono::seconds(5)) >>
                      [&] {
                        FAIL("no end reported");
                        ended = true;
                      });
  CHECK(runnings == 1);
}

TEST_CASE("task: a backend failure is a failed snapshot carrying backend_failed, its sentence and details") {
  actor_system_fixture f;
  auto catalog = shipped_catalog();
  caf::scoped_actor self{f.sys};
  auto task = spawn_peer_task(f.sys, self, planned_request(*catalog, "Builtin Tiny", "t-fail", true));
  auto waiting = self->request(task, std::chrono::seconds(5), atom::await::value, std::int64_t{0});
  backend_outcome failed;
  failed.error = "ComfyUI failed at node 3.";
  failed.details_json = R"({"node_id":"3"})";
  self->send(task, atom::done::value, failed);
  waiting.receive(
      [&](task_snapshot& s) {
        CHECK(s.state == task_state::failed);
        CHECK(has_code(s.failure, error_code::backend_failed));
        CHECK(error_sentence(s.failure) == "ComfyUI failed at node 3.");
        CHECK(error_extra(s.failure) == R"({"node_id":"3"})");
      },
      [&](caf::error& e) { FAIL(to_string(e)); });
}

TEST_CASE("task: a sync wait that runs out answers wait_timed_out with the task id, and the task goes on") {
  actor_system_fixture f;
  auto catalog = shipped_catalog();
  caf::scoped_actor self{f.sys};
  auto task = spawn_peer_task(f.sys, self, planned_request(*catalog, "Builtin Tiny", "t-slow", true));
  self->request(task, std::chrono::seconds(5), atom::await::value, std::int64_t{50})
      .receive([&](task_snapshot&) { FAIL("answered before the end"); },
               [&](caf::error& e) {
                 CHECK(has_code(e, error_code::wait_timed_out));
                 CHECK(error_extra(e) == "t-slow");
               });
  self->request(task, std::chrono::seconds(5), atom::get::value)
      .receive([&](task_snapshot& s) { CHECK(s.state == task_state::queued); },
               [&](caf::error& e) { FAIL(to_string(e)); });
  // Cancel reaches the backend once, under the task's id.
  self->send(task, atom::cancel::value);
  self->send(task, atom::cancel::value);
  self->receive([&](atom::cancel, const std::string& id) { CHECK(id == "t-slow"); },
                caf::after(std::chrono::seconds(5)) >> [] { FAIL("the backend heard no cancel"); });
  self->send(task, atom::done::value, [] {
    backend_outcome o;
    o.cancelled = true;
    return o;
  }());
  self->receive([&](atom::ended, const task_snapshot& s) { CHECK(s.state == task_state::cancelled); },
                caf::after(std::chrono::seconds(5)) >> [] { FAIL("no end reported"); });
}

TEST_CASE("task: a cancel is cancelling at once and ends cancelled after the grace period without the backend") {
  actor_system_fixture f;
  auto catalog = shipped_catalog();
  caf::scoped_actor self{f.sys};
  auto task = spawn_peer_task(f.sys, self, planned_request(*catalog, "Builtin Tiny", "t-grace", true),
                              std::chrono::milliseconds(200));
  self->send(task, atom::progress::value, running(40));
  self->receive([&](atom::progress, const std::string&, task_state s) { CHECK(s == task_state::running); },
                caf::after(std::chrono::seconds(5)) >> [] { FAIL("no running report"); });
  self->send(task, atom::cancel::value);
  self->receive(
      [&](atom::progress, const std::string& id, task_state s) {
        CHECK(id == "t-grace");
        CHECK(s == task_state::cancelling);
      },
      caf::after(std::chrono::seconds(5)) >> [] { FAIL("the supervisor heard no cancelling"); });
  self->receive([&](atom::cancel, const std::string& id) { CHECK(id == "t-grace"); },
                caf::after(std::chrono::seconds(5)) >> [] { FAIL("the backend heard no cancel"); });
  self->request(task, std::chrono::seconds(5), atom::get::value)
      .receive([&](task_snapshot& s) { CHECK(s.state == task_state::cancelling); },
               [&](caf::error& e) { FAIL(to_string(e)); });
  // Progress from a backend that goes on changes nothing now.
  self->send(task, atom::progress::value, running(80));
  // The backend never confirms: the grace period ends the task.
  self->receive([&](atom::ended, const task_snapshot& s) { CHECK(s.state == task_state::cancelled); },
                caf::after(std::chrono::seconds(5)) >> [] { FAIL("the grace period did not end the task"); });
}

TEST_CASE("task: outputs a backend reports after the cancel are not a result: the task ends cancelled") {
  actor_system_fixture f;
  auto catalog = shipped_catalog();
  caf::scoped_actor self{f.sys};
  auto task = spawn_peer_task(f.sys, self, planned_request(*catalog, "Builtin Tiny", "t-late", true));
  self->send(task, atom::cancel::value);
  self->receive([&](atom::cancel, const std::string&) {},
                caf::after(std::chrono::seconds(5)) >> [] { FAIL("the backend heard no cancel"); });
  self->send(task, atom::done::value, made_one_image());
  self->receive(
      [&](atom::ended, const task_snapshot& s) {
        CHECK(s.state == task_state::cancelled);
        CHECK(s.result.outputs.empty());
      },
      caf::after(std::chrono::seconds(5)) >> [] { FAIL("no end reported"); });
}

TEST_CASE("task: an async task publishes its events and completes only once the media store acked the entry") {
  actor_system_fixture f;
  auto catalog = shipped_catalog();
  caf::scoped_actor self{f.sys};
  auto task = spawn_peer_task(f.sys, self, planned_request(*catalog, "Builtin Tiny", "t-async"));
  auto next_event = [&] {
    task_event got;
    self->receive([&](atom::publish, task_event& e) { got = std::move(e); },
                  caf::after(std::chrono::seconds(5)) >> [] { FAIL("no event"); });
    return got;
  };
  CHECK(next_event().task.state == task_state::queued);
  self->send(task, atom::progress::value, running(50));
  self->receive([&](atom::progress, const std::string&, task_state) {},
                caf::after(std::chrono::seconds(5)) >> [] { FAIL("no running report"); });
  auto progress = next_event();
  CHECK(progress.task.state == task_state::running);
  CHECK(progress.task.progress.percentage == 50);
  self->send(task, atom::done::value, made_one_image());
  // The entry goes to the store first; `complete` waits for its uid.
  self->receive(
      [&](atom::append, const generation_result& r) {
        CHECK(r.task_id == "t-async");
        return caf::make_message(std::int64_t{7}, std::string("folder-1")); // uid and folder
      },
      caf::after(std::chrono::seconds(5)) >> [] { FAIL("nothing appended"); });
  auto complete = next_event();
  CHECK(complete.task.state == task_state::completed);
  CHECK(complete.task.result.uid == 7);
  CHECK(complete.task.result.folder == "folder-1");
  self->receive([&](atom::ended, const task_snapshot& s) { CHECK(s.result.uid == 7); },
                caf::after(std::chrono::seconds(5)) >> [] { FAIL("no end reported"); });
}
