// The sse_hub actor on a real actor system, driven by a scoped actor as tasks and streams
// would: replay after Last-Event-ID, fan-out, the terminal event, limits, slow subscribers,
// retention.

#include "tests/unit/actor_test_support.hpp"

#include "actors/sse_hub_actor.hpp"

using namespace mediagen;
using namespace mediagen::test;

namespace {

// Frames that say which event they are: "<id>:<task>:<state>".
std::string plain_frame(std::int64_t id, const task_event& e) {
  return std::to_string(id) + ":" + e.task.task_id + ":" + to_string(e.task.state);
}

task_event event(const std::string& id, task_state state) {
  task_event e;
  e.task.task_id = id;
  e.task.state = state;
  return e;
}

sse_hub_settings settings() {
  sse_hub_settings s;
  s.render = plain_frame;
  return s;
}

caf::expected<sse_queue_ptr> subscribe(caf::scoped_actor& self, const sse_hub_actor& hub, const std::string& id,
                                       std::int64_t last_event_id) {
  caf::expected<sse_queue_ptr> out{caf::sec::request_timeout};
  self->request(hub, std::chrono::seconds(5), atom::subscribe::value, id, last_event_id)
      .receive([&](sse_queue_ptr& q) { out = std::move(q); }, [&](caf::error& e) { out = std::move(e); });
  return out;
}

sse_hub_figures figures(caf::scoped_actor& self, const sse_hub_actor& hub) {
  sse_hub_figures f;
  self->request(hub, std::chrono::seconds(5), atom::status::value)
      .receive([&](actor_status& s) { f = caf::get<sse_hub_figures>(s.figures); },
               [&](caf::error& e) { FAIL(to_string(e)); });
  return f;
}

// The next frame the reader would take, "closed", "dropped", or "timeout" after 5 s of nothing.
std::string pop(const sse_queue_ptr& q) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    sse_frame frame;
    switch (q->take(frame)) {
      case sse_queue::take_result::frame: return *frame;
      case sse_queue::take_result::closed: return "closed";
      case sse_queue::take_result::dropped: return "dropped";
      case sse_queue::take_result::empty: break;
    }
    if (std::chrono::steady_clock::now() >= until) return "timeout";
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

} // namespace

TEST_CASE("sse hub: a subscriber gets the log after its Last-Event-ID, then follows to the terminal event") {
  actor_system_fixture f;
  auto hub = spawn_sse_hub(f.sys, settings());
  caf::scoped_actor self{f.sys};
  self->send(hub, atom::open::value, std::string("t1"));
  self->send(hub, atom::publish::value, event("t1", task_state::queued));
  self->send(hub, atom::publish::value, event("t1", task_state::running));
  auto q = subscribe(self, hub, "t1", 1);
  REQUIRE(q);
  CHECK(pop(*q) == "2:t1:running");
  self->send(hub, atom::publish::value, event("t1", task_state::completed));
  CHECK(pop(*q) == "3:t1:completed");
  CHECK(pop(*q) == "closed");
  // After the end a new subscriber still gets the whole log, then the stream ends at once.
  auto late = subscribe(self, hub, "t1", 0);
  REQUIRE(late);
  CHECK(pop(*late) == "1:t1:queued");
  CHECK(pop(*late) == "2:t1:running");
  CHECK(pop(*late) == "3:t1:completed");
  CHECK(pop(*late) == "closed");
  CHECK(figures(self, hub).events_published == 3);
  // At or past the terminal event nothing will ever follow: stream_finished (http/ answers 204).
  auto finished = subscribe(self, hub, "t1", 3);
  REQUIRE_FALSE(finished);
  CHECK(has_code(finished.error(), error_code::stream_finished));
  self->send_exit(hub, caf::exit_reason::user_shutdown);
}

TEST_CASE("sse hub: unknown tasks and full streams are refused with our error codes") {
  actor_system_fixture f;
  auto s = settings();
  s.max_subscribers_per_task = 1;
  auto hub = spawn_sse_hub(f.sys, s);
  caf::scoped_actor self{f.sys};
  auto unknown = subscribe(self, hub, "nope", 0);
  REQUIRE_FALSE(unknown);
  CHECK(has_code(unknown.error(), error_code::unknown_task));
  self->send(hub, atom::open::value, std::string("t1"));
  auto first = subscribe(self, hub, "t1", 0);
  REQUIRE(first);
  auto second = subscribe(self, hub, "t1", 0);
  REQUIRE_FALSE(second);
  CHECK(has_code(second.error(), error_code::too_many_streams));
  CHECK(figures(self, hub).subscribers == 1);
  self->send(hub, atom::unsub::value, std::string("t1"), *first);
  CHECK(figures(self, hub).subscribers == 0);
  self->send_exit(hub, caf::exit_reason::user_shutdown);
}

TEST_CASE("sse hub: each stream's queue has the configured capacity, and a subscriber that falls behind is dropped") {
  actor_system_fixture f;
  auto s = settings();
  s.queue_capacity = 2;
  auto hub = spawn_sse_hub(f.sys, s);
  caf::scoped_actor self{f.sys};
  self->send(hub, atom::open::value, std::string("t1"));
  auto q = subscribe(self, hub, "t1", 0);
  REQUIRE(q);
  for (int i = 0; i < 3; ++i) self->send(hub, atom::publish::value, event("t1", task_state::running));
  auto after = figures(self, hub);
  CHECK(after.dropped_slow == 1);
  CHECK(after.subscribers == 0);
  // Dropped: the reader is cut off at once, whatever is still queued.
  CHECK(pop(*q) == "dropped");
  self->send_exit(hub, caf::exit_reason::user_shutdown);
}

TEST_CASE("sse hub: ended logs beyond max_retained are forgotten, oldest first") {
  actor_system_fixture f;
  auto s = settings();
  s.max_retained = 1;
  auto hub = spawn_sse_hub(f.sys, s);
  caf::scoped_actor self{f.sys};
  for (const char* id : {"a", "b"}) {
    self->send(hub, atom::open::value, std::string(id));
    self->send(hub, atom::publish::value, event(id, task_state::cancelled));
  }
  auto a = subscribe(self, hub, "a", 0);
  REQUIRE_FALSE(a);
  CHECK(has_code(a.error(), error_code::unknown_task));
  auto b = subscribe(self, hub, "b", 0);
  REQUIRE(b);
  CHECK(pop(*b) == "1:b:cancelled");
  CHECK(figures(self, hub).tasks == 1);
  self->send_exit(hub, caf::exit_reason::user_shutdown);
}
