// The supervisor on a real actor system with the real builtin backend, hub and media store:
// admission, fixed task ids, sync and async starts, get, cancel and its typed status.

#include "tests/unit/actor_test_support.hpp"

#include "actors/builtin_backend_actor.hpp"
#include "actors/media_store_actor.hpp"
#include "actors/sse_hub_actor.hpp"
#include "actors/supervisor_actor.hpp"
#include "http/task_json.hpp"
#include "persistence/gallery_files.hpp"

using namespace mediagen;
using namespace mediagen::test;

namespace {

/// A supervisor with everything behind it, in a scratch folder.
struct server_actors {
  explicit server_actors(caf::actor_system& system, std::size_t max_queued = 1000,
                         std::chrono::seconds retention = std::chrono::seconds(300))
      : sys(system) {
    std::filesystem::create_directories(dir.path() / "storage");
    std::filesystem::create_directories(dir.path() / "inputs");
    outputs = std::make_shared<storage>(dir.str("storage"));
    inputs = std::make_shared<storage>(dir.str("inputs"));
    std::string error;
    auto db_path = dir.str("media-data.json");
    auto gallery = open_gallery(db_path, error);
    REQUIRE_MESSAGE(gallery.db, error);
    media_store_settings store_settings;
    store_settings.db = gallery.db;
    store_settings.journal = gallery.journal;
    store_settings.path = db_path;
    store_settings.outputs = outputs;
    store_settings.view = std::make_shared<gallery_view>();
    store = spawn_media_store(sys, store_settings);
    sse_hub_settings hub_settings;
    hub_settings.render = render_sse_frame;
    hub = spawn_sse_hub(sys, hub_settings);
    builtin_backend_settings b;
    b.outputs = outputs;
    b.inputs_dir = inputs->folder();
    builtin = spawn_builtin_backend(sys, b);
    supervisor_settings s;
    s.builtin = builtin;
    s.hub = hub;
    s.store = store;
    s.inputs = inputs;
    s.max_queued_tasks = max_queued;
    s.retention = retention;
    supervisor = spawn_supervisor(sys, s);
  }
  ~server_actors() {
    for (caf::actor a : {caf::actor_cast<caf::actor>(supervisor), caf::actor_cast<caf::actor>(builtin),
                         caf::actor_cast<caf::actor>(hub), caf::actor_cast<caf::actor>(store)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    // The store rewrites media-data.json as it stops: the folder goes only after every actor.
    sys.await_all_actors_done();
  }

  caf::actor_system& sys;
  scratch_dir dir{"supervisor"};
  std::shared_ptr<storage> outputs, inputs;
  media_store_actor store;
  sse_hub_actor hub;
  backend_actor builtin;
  supervisor_actor supervisor;
};

template <class T, class Handle, class... Ts>
caf::expected<T> call(caf::scoped_actor& self, const Handle& h, Ts&&... xs) {
  caf::expected<T> out{caf::sec::request_timeout};
  self->request(h, std::chrono::seconds(30), std::forward<Ts>(xs)...)
      .receive([&](T& v) { out = std::move(v); }, [&](caf::error& e) { out = std::move(e); });
  return out;
}

supervisor_figures figures(caf::scoped_actor& self, const supervisor_actor& sup) {
  auto s = call<actor_status>(self, sup, atom::status::value);
  REQUIRE(s);
  return caf::get<supervisor_figures>(s->figures);
}

task_snapshot wait_until_ended(caf::scoped_actor& self, const supervisor_actor& sup, const std::string& id) {
  for (int i = 0; i < 300; ++i) {
    auto s = call<task_snapshot>(self, sup, atom::get::value, id);
    REQUIRE(s);
    if (has_ended(s->state)) return *s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("the task did not end");
  return {};
}

} // namespace

TEST_CASE("supervisor: a sync start is answered by the task with its completed snapshot") {
  actor_system_fixture f;
  auto catalog = shipped_catalog();
  server_actors a{f.sys};
  caf::scoped_actor self{f.sys};
  auto request = planned_request(*catalog, "Builtin Tiny", "sync-1", true);
  request.timeout_ms = 20000;
  auto done = call<task_snapshot>(self, a.supervisor, atom::start::value, atom::await::value, request);
  REQUIRE(done);
  CHECK(done->task_id == "sync-1");
  CHECK(done->state == task_state::completed);
  REQUIRE(done->result.outputs.size() == 1);
  CHECK(done->result.uid == -1); // silent: never stored in the gallery
  // The waiter is answered first; the supervisor hears of the end right after.
  auto after = figures(self, a.supervisor);
  for (int i = 0; i < 100 && after.live > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    after = figures(self, a.supervisor);
  }
  CHECK(after.started == 1);
  CHECK(after.completed == 1);
  CHECK(after.live == 0);
}

TEST_CASE("supervisor: the planned task id is kept, and a duplicate is refused, never renamed") {
  actor_system_fixture f;
  auto catalog = shipped_catalog();
  server_actors a{f.sys};
  caf::scoped_actor self{f.sys};
  auto request = planned_request(*catalog, "Builtin Tiny", "same-id");
  auto first = call<std::string>(self, a.supervisor, atom::start::value, request);
  REQUIRE(first);
  CHECK(*first == "same-id");
  auto second = call<std::string>(self, a.supervisor, atom::start::value, request);
  REQUIRE_FALSE(second);
  CHECK(has_code(second.error(), error_code::duplicate_task));
  auto ended = wait_until_ended(self, a.supervisor, "same-id");
  CHECK(ended.state == task_state::completed);
  CHECK(ended.result.uid >= 1); // async: stored before it counts as completed
  // Ended, the id is still taken until retention forgets it.
  auto third = call<std::string>(self, a.supervisor, atom::start::value, request);
  REQUIRE_FALSE(third);
  CHECK(has_code(third.error(), error_code::duplicate_task));
  CHECK(figures(self, a.supervisor).refused == 2);
}

TEST_CASE("supervisor: admission refuses with queue_full, then shutting_down") {
  actor_system_fixture f;
  auto catalog = shipped_catalog();
  server_actors a{f.sys, /*max_queued=*/0};
  caf::scoped_actor self{f.sys};
  auto full = call<std::string>(self, a.supervisor, atom::start::value,
                                planned_request(*catalog, "Builtin Tiny", "q1"));
  REQUIRE_FALSE(full);
  CHECK(has_code(full.error(), error_code::queue_full));
  auto stopped = call<bool>(self, a.supervisor, atom::shutdown::value, std::int64_t{0});
  REQUIRE(stopped);
  CHECK(*stopped);
  auto sync = planned_request(*catalog, "Builtin Tiny", "q2", true);
  auto refused = call<task_snapshot>(self, a.supervisor, atom::start::value, atom::await::value, sync);
  REQUIRE_FALSE(refused);
  CHECK(has_code(refused.error(), error_code::shutting_down));
  auto s = call<actor_status>(self, a.supervisor, atom::status::value);
  REQUIRE(s);
  CHECK(s->state == "shutting-down");
  CHECK(caf::get<supervisor_figures>(s->figures).refused == 2);
}

TEST_CASE("supervisor: get and cancel answer unknown_task and task_ended as errors") {
  actor_system_fixture f;
  auto catalog = shipped_catalog();
  server_actors a{f.sys};
  caf::scoped_actor self{f.sys};
  auto unknown = call<task_snapshot>(self, a.supervisor, atom::get::value, std::string("nope"));
  REQUIRE_FALSE(unknown);
  CHECK(has_code(unknown.error(), error_code::unknown_task));
  auto cancel_unknown = call<atom::ok>(self, a.supervisor, atom::cancel::value, std::string("nope"));
  REQUIRE_FALSE(cancel_unknown);
  CHECK(has_code(cancel_unknown.error(), error_code::unknown_task));
  REQUIRE(call<std::string>(self, a.supervisor, atom::start::value, planned_request(*catalog, "Builtin Tiny", "c1")));
  wait_until_ended(self, a.supervisor, "c1");
  auto cancel_ended = call<atom::ok>(self, a.supervisor, atom::cancel::value, std::string("c1"));
  REQUIRE_FALSE(cancel_ended);
  CHECK(has_code(cancel_ended.error(), error_code::task_ended));
}

TEST_CASE(
    "supervisor: an idempotency key answers its task until retention forgets it, and refuses another fingerprint") {
  actor_system_fixture f;
  auto catalog = shipped_catalog();
  server_actors a{f.sys, 1000, std::chrono::seconds(1)};
  caf::scoped_actor self{f.sys};
  auto keyed = [&](const std::string& id, const std::string& fingerprint, bool sync = false) {
    auto r = planned_request(*catalog, "Builtin Tiny", id, sync);
    r.idempotency_key = "open order-1";
    r.fingerprint = fingerprint;
    r.timeout_ms = 20000;
    return r;
  };
  auto first = call<std::string>(self, a.supervisor, atom::start::value, keyed("k-1", "f1"));
  REQUIRE(first);
  CHECK(*first == "k-1");
  auto repeat = call<std::string>(self, a.supervisor, atom::start::value, keyed("k-2", "f1"));
  REQUIRE(repeat);
  CHECK(*repeat == "k-1");
  auto other = call<std::string>(self, a.supervisor, atom::start::value, keyed("k-3", "f2"));
  REQUIRE_FALSE(other);
  CHECK(has_code(other.error(), error_code::key_conflict));
  // A waiting repeat gets the task's end, live or already ended.
  auto waited = call<task_snapshot>(self, a.supervisor, atom::start::value, atom::await::value,
                                    keyed("k-4", "f1", true));
  REQUIRE(waited);
  CHECK(waited->task_id == "k-1");
  CHECK(waited->state == task_state::completed);
  auto fig = figures(self, a.supervisor);
  CHECK(fig.started == 1);
  CHECK(fig.repeats == 2);
  CHECK(fig.idempotency_keys == 1);
  CHECK(call<std::string>(self, a.supervisor, atom::start::value, keyed("k-5", "f1")) == std::string("k-1"));
  // Once the task is forgotten (retention 1 s, swept every 5 s) the key starts a new task.
  std::string answered;
  for (int i = 0; i < 300 && answered != "k-6"; ++i) {
    auto again = call<std::string>(self, a.supervisor, atom::start::value, keyed("k-6", "f2"));
    answered = again ? *again : std::string();
    if (answered != "k-6") std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(answered == "k-6");
  CHECK(figures(self, a.supervisor).started == 2);
  wait_until_ended(self, a.supervisor, "k-6");
}
