// Live previews through the SSE bridge: the queue keeps at most one waiting preview and never
// drops its reader for one; the hub keeps only a task's latest preview, outside its event log.

#include "tests/unit/actor_test_support.hpp"

#include "actors/sse_hub_actor.hpp"

using namespace mediagen;
using namespace mediagen::test;

namespace {

sse_frame text(const std::string& s) { return std::make_shared<const std::string>(s); }

std::string plain_frame(std::int64_t id, const task_event& e) {
  return std::to_string(id) + ":" + e.task.task_id + ":" + to_string(e.task.state);
}

std::string plain_preview(const task_preview& p) { return "preview:" + p.task_id + ":" + p.image.bytes; }

task_event event(const std::string& id, task_state state) {
  task_event e;
  e.task.task_id = id;
  e.task.state = state;
  return e;
}

task_preview preview(const std::string& id, const std::string& bytes) {
  task_preview p;
  p.task_id = id;
  p.image = preview_image{"image/jpeg", bytes};
  return p;
}

sse_hub_settings settings(std::size_t capacity = 1024) {
  sse_hub_settings s;
  s.render = plain_frame;
  s.render_preview = plain_preview;
  s.queue_capacity = capacity;
  return s;
}

sse_queue_ptr subscribe(caf::scoped_actor& self, const sse_hub_actor& hub, const std::string& id,
                        std::int64_t last_event_id) {
  sse_queue_ptr out;
  self->request(hub, std::chrono::seconds(5), atom::subscribe::value, id, last_event_id)
      .receive([&](sse_queue_ptr& q) { out = std::move(q); }, [&](caf::error& e) { FAIL(to_string(e)); });
  return out;
}

// A status round trip: every message sent to the hub before it has been handled.
sse_hub_figures figures(caf::scoped_actor& self, const sse_hub_actor& hub) {
  sse_hub_figures f;
  self->request(hub, std::chrono::seconds(5), atom::status::value)
      .receive([&](actor_status& s) { f = caf::get<sse_hub_figures>(s.figures); },
               [&](caf::error& e) { FAIL(to_string(e)); });
  return f;
}

// Everything the reader can take now, then "closed" / "dropped" if the queue ended.
std::vector<std::string> drain(const sse_queue_ptr& q) {
  std::vector<std::string> out;
  for (;;) {
    sse_frame frame;
    switch (q->take(frame)) {
      case sse_queue::take_result::frame: out.push_back(*frame); continue;
      case sse_queue::take_result::closed: out.push_back("closed"); return out;
      case sse_queue::take_result::dropped: out.push_back("dropped"); return out;
      case sse_queue::take_result::empty: return out;
    }
  }
}

} // namespace

TEST_CASE("sse queue: a newer preview replaces the one still waiting, after the events queued before it") {
  sse_queue q(8);
  q.push(text("e1"));
  q.offer_preview(text("p1"));
  q.push(text("e2"));
  q.offer_preview(text("p2"));
  q.offer_preview(text("p3"));
  CHECK(q.size() == 3);
  sse_frame f;
  REQUIRE(q.take(f) == sse_queue::take_result::frame);
  CHECK(*f == "e1");
  REQUIRE(q.take(f) == sse_queue::take_result::frame);
  CHECK(*f == "e2");
  REQUIRE(q.take(f) == sse_queue::take_result::frame);
  CHECK(*f == "p3");
  // Once taken, the next preview queues anew.
  q.offer_preview(text("p4"));
  REQUIRE(q.take(f) == sse_queue::take_result::frame);
  CHECK(*f == "p4");
  CHECK(q.take(f) == sse_queue::take_result::empty);
}

TEST_CASE("sse queue: a full queue skips previews without dropping its reader, a closed one takes none") {
  sse_queue q(2);
  int wakes = 0;
  q.set_listener([&] { ++wakes; });
  q.push(text("e1"));
  q.push(text("e2"));
  for (int i = 0; i < 100; ++i) q.offer_preview(text("p"));
  CHECK(q.size() == 2);
  CHECK_FALSE(q.dropped());
  CHECK(wakes == 1);
  q.close();
  q.offer_preview(text("late"));
  CHECK(q.size() == 2);
  sse_frame f;
  REQUIRE(q.take(f) == sse_queue::take_result::frame);
  CHECK(*f == "e1");
  q.set_listener({});
}

TEST_CASE("sse hub: previews reach followers, a late subscriber gets the log and only the latest preview") {
  actor_system_fixture f;
  auto hub = spawn_sse_hub(f.sys, settings());
  caf::scoped_actor self{f.sys};
  self->send(hub, atom::open::value, std::string("t1"));
  self->send(hub, atom::publish::value, event("t1", task_state::queued));
  auto early = subscribe(self, hub, "t1", 0);
  self->send(hub, atom::publish::value, event("t1", task_state::running));
  self->send(hub, atom::preview::value, preview("t1", "a"));
  self->send(hub, atom::preview::value, preview("t1", "b"));
  self->send(hub, atom::publish::value, event("t1", task_state::running));
  self->send(hub, atom::preview::value, preview("t1", "c"));
  auto fig = figures(self, hub);
  CHECK(fig.previews_published == 3);
  CHECK(fig.stored_events == 3); // previews are not logged
  // The early reader took nothing yet: of its waiting previews only the newest is left.
  CHECK(drain(early) == std::vector<std::string>{"1:t1:queued", "2:t1:running", "3:t1:running", "preview:t1:c"});

  auto late = subscribe(self, hub, "t1", 0);
  CHECK(drain(late) == std::vector<std::string>{"1:t1:queued", "2:t1:running", "3:t1:running", "preview:t1:c"});
  // Resuming after event 2 (a reconnect) gets exactly event 3, then the latest preview.
  auto resumed = subscribe(self, hub, "t1", 2);
  CHECK(drain(resumed) == std::vector<std::string>{"3:t1:running", "preview:t1:c"});

  // The terminal event forgets the preview: after the end nobody gets one, late or not.
  self->send(hub, atom::publish::value, event("t1", task_state::completed));
  self->send(hub, atom::preview::value, preview("t1", "after-end"));
  figures(self, hub);
  CHECK(drain(early) == std::vector<std::string>{"4:t1:completed", "closed"});
  auto after = subscribe(self, hub, "t1", 3);
  CHECK(drain(after) == std::vector<std::string>{"4:t1:completed", "closed"});
  CHECK(figures(self, hub).previews_published == 3);
  self->send_exit(hub, caf::exit_reason::user_shutdown);
}

TEST_CASE("sse hub: a late subscriber never gets a preview older than the last logged event") {
  actor_system_fixture f;
  auto hub = spawn_sse_hub(f.sys, settings());
  caf::scoped_actor self{f.sys};
  self->send(hub, atom::open::value, std::string("t1"));
  self->send(hub, atom::publish::value, event("t1", task_state::running));
  self->send(hub, atom::preview::value, preview("t1", "step1"));
  self->send(hub, atom::publish::value, event("t1", task_state::running));
  figures(self, hub);
  // A follower saw step1's preview before event 2; replayed after event 2 it would be out of order.
  auto late = subscribe(self, hub, "t1", 0);
  CHECK(drain(late) == std::vector<std::string>{"1:t1:running", "2:t1:running"});
  // The next preview is live for it, after the event of its step.
  self->send(hub, atom::preview::value, preview("t1", "step2"));
  figures(self, hub);
  CHECK(drain(late) == std::vector<std::string>{"preview:t1:step2"});
  self->send_exit(hub, caf::exit_reason::user_shutdown);
}

TEST_CASE("sse hub: a slow reader is never dropped for previews, only for real events past its capacity") {
  actor_system_fixture f;
  auto hub = spawn_sse_hub(f.sys, settings(4));
  caf::scoped_actor self{f.sys};
  self->send(hub, atom::open::value, std::string("t2"));
  auto q = subscribe(self, hub, "t2", 0);
  self->send(hub, atom::publish::value, event("t2", task_state::running));
  for (int i = 0; i < 500; ++i) self->send(hub, atom::preview::value, preview("t2", std::to_string(i)));
  auto fig = figures(self, hub);
  CHECK(fig.dropped_slow == 0);
  CHECK(fig.subscribers == 1);
  CHECK(q->size() == 2);
  CHECK(drain(q) == std::vector<std::string>{"1:t2:running", "preview:t2:499"});
  self->send_exit(hub, caf::exit_reason::user_shutdown);
}
