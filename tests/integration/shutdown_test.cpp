// Graceful shutdown on SIGTERM: new work is refused with 503 while the HTTP server stays up,
// running tasks get the grace period to finish (and are stored), queued ones and those still
// running when it ends are cancelled, and the process exits 0 leaving media-data.json whole.

#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include "robustness_support.hpp"
#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;
using namespace mediagen::testing::robust;

namespace {

auto is(const std::string& wanted) {
  return [wanted](const std::string& s) { return s == wanted; };
}

std::string slow_body(int steps) {
  return R"({"workflow":"Builtin Text to Image","prompt":"shutdown","orientation":"square","steps":)" +
         std::to_string(steps) + "}";
}

// The taskIds of the durable entries (media-data.json must parse, the journal replays).
std::vector<std::string> stored_task_ids(const fs::path& data) {
  std::vector<std::string> ids;
  auto db = durable_gallery(data);
  REQUIRE(db.HasMember("mediaData"));
  for (auto& e : db["mediaData"].GetArray()) ids.push_back(e["taskId"].GetString());
  return ids;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

} // namespace

TEST_CASE("shutdown: SIGTERM refuses new work with 503, lets the running task finish and store, exits 0") {
  temp_folder data("drain");
  // A generous grace, as for the sync-drain case: on a loaded machine the ~1 s render has taken
  // over 10 s (seen at load 15-20) and was cancelled at the deadline. The test waits on events.
  server_process server(data.path(), {"--shutdown-grace-seconds=60", "--builtin-workers=1"});
  auto c = server.client(10);
  auto running = start_async(c, slow_body(80)); // ~1 s
  event_reader running_events(server.port(), running);
  auto queued = start_async(c, slow_body(80));
  event_reader queued_events(server.port(), queued);
  REQUIRE(wait_for_state(c, running, is("running"), 10s) == "running");
  CHECK(state_of(c, queued) == "queued");

  REQUIRE(::kill(server.pid(), SIGTERM) == 0);
  // The signal is taken asynchronously: retry quickly until the refusal shows.
  int async_status = 0, sync_status = 0;
  std::string async_body;
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto res = post_json(c, "/generate", R"({"workflow":"Builtin Tiny","prompt":"late"})");
    if (res) {
      async_status = res->status;
      async_body = res->body;
      if (async_status == 503) break;
    }
    std::this_thread::sleep_for(5ms);
  }
  INFO("last answer: " << async_body);
  CHECK(async_status == 503);
  json::document refusal;
  CHECK(json::parse(async_body, refusal).empty());
  CHECK((refusal.IsObject() && refusal.HasMember("error") && refusal["error"].IsString()));
  auto sync = post_json(c, "/generate/sync", R"({"workflow":"Builtin Tiny","prompt":"late"})");
  REQUIRE(sync);
  sync_status = sync->status;
  CHECK(sync_status == 503);
  auto health = c.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);

  // The running task completes during the grace period; the queued one is cancelled at once.
  auto& done = running_events.join();
  CHECK(event_reader::terminal_events(done) == std::vector<std::string>{"complete"});
  auto& dropped = queued_events.join();
  CHECK(event_reader::terminal_events(dropped) == std::vector<std::string>{"cancelled"});
  // It never ran: queued, then the cancel's own `cancelling` event, never in-progress.
  for (auto& e : dropped)
    if (e.event == "progress") CHECK(std::string(parse_json(e.data)["status"].GetString()) != "in-progress");

  REQUIRE(wait_exited(server.pid(), 15s));
  CHECK(server.stop() == 0);
  auto ids = stored_task_ids(data.path());
  CHECK(contains(ids, running));
  CHECK_FALSE(contains(ids, queued));
  CHECK(ids.size() == 1);
  CHECK(files_in(data.path() / "storage") == 1);

  // A clean stop leaves nothing for the next start to report as lost.
  server_process again(data.path());
  auto c2 = again.client(10);
  CHECK(state_of(c2, running) == "");
  CHECK(state_of(c2, queued) == "");
  CHECK(again.log().find("lost") == std::string::npos);
}

TEST_CASE("shutdown: a task still running when the grace period ends is cancelled, and the exit is 0") {
  temp_folder data("grace");
  server_process server(data.path(), {"--shutdown-grace-seconds=1", "--builtin-workers=1"});
  auto c = server.client(10);
  auto first = start_async(c, R"({"workflow":"Builtin Tiny","prompt":"kept"})");
  REQUIRE(wait_until_ended(c, first) == "completed");
  const std::string db_before = durable_entries_text(data.path());

  auto slow = start_async(c, slow_body(200)); // ~2.5 s, longer than the grace period
  event_reader events(server.port(), slow);
  REQUIRE(wait_for_state(c, slow, is("running"), 10s) == "running");
  auto begin = std::chrono::steady_clock::now();
  REQUIRE(::kill(server.pid(), SIGTERM) == 0);
  auto& log = events.join();
  CHECK(event_reader::terminal_events(log) == std::vector<std::string>{"cancelled"});
  REQUIRE(wait_exited(server.pid(), 15s));
  auto took = std::chrono::steady_clock::now() - begin;
  CHECK(took >= 900ms);
  CHECK(took < 6s);
  CHECK(server.stop() == 0);

  auto ids = stored_task_ids(data.path());
  CHECK(ids == std::vector<std::string>{first});
  CHECK(durable_entries_text(data.path()) == db_before);
  CHECK(files_in(data.path() / "storage") == 1);
}

TEST_CASE("shutdown: a second signal exits at once and the unfinished task is reported lost after restart") {
  temp_folder data("twice");
  std::string slow;
  {
    server_process server(data.path(), {"--shutdown-grace-seconds=30", "--builtin-workers=1"});
    auto c = server.client(10);
    auto first = start_async(c, R"({"workflow":"Builtin Tiny","prompt":"kept"})");
    REQUIRE(wait_until_ended(c, first) == "completed");
    slow = start_async(c, slow_body(200));
    REQUIRE(wait_for_state(c, slow, is("running"), 10s) == "running");
    auto begin = std::chrono::steady_clock::now();
    REQUIRE(::kill(server.pid(), SIGTERM) == 0);
    // Wait until the first signal was taken (new work refused), then send the second.
    REQUIRE(wait_for_state(c, slow, is("running"), 1s) == "running");
    auto deadline = std::chrono::steady_clock::now() + 2s;
    int status = 0;
    while (status != 503 && std::chrono::steady_clock::now() < deadline) {
      auto res = post_json(c, "/generate", R"({"workflow":"Builtin Tiny","prompt":"late"})");
      status = res ? res->status : -1;
    }
    REQUIRE(status == 503);
    REQUIRE(::kill(server.pid(), SIGTERM) == 0);
    REQUIRE(wait_exited(server.pid(), 5s));
    CHECK(std::chrono::steady_clock::now() - begin < 2s); // not the 30 s grace period
    CHECK(server.stop() == 0);
    CHECK(entries_in(data.path()) == 1); // parses, and holds the finished one
  }
  server_process again(data.path());
  auto c = again.client(10);
  CHECK(state_of(c, slow) == "lost");
  CHECK(entries_in(data.path()) == 1);
}

TEST_CASE("shutdown: sync requests waiting at SIGTERM are answered: the running one 200, the queued one an error") {
  temp_folder data("syncdrain");
  // The grace is far longer than the ~1 s render so that a loaded machine (renders several times
  // slower) still sees the running task finish rather than be cancelled at the deadline.
  server_process server(data.path(), {"--shutdown-grace-seconds=60", "--builtin-workers=1"});
  auto c = server.client(10);
  struct answer {
    int status = 0;
    std::string body;
  };
  answer running_answer, queued_answer;
  auto ask_sync = [&](answer& out) {
    auto c2 = server.client(90);
    auto res = post_json(c2, "/generate/sync", slow_body(80));
    out.status = res ? res->status : -1;
    out.body = res ? res->body : "";
  };
  auto active_ids = [&] {
    std::vector<std::string> ids;
    auto res = c.Get("/generation/tasks/active");
    if (!res || res->status != 200) return ids;
    auto list = parse_json(res->body);
    for (auto& t : list.GetArray()) ids.push_back(t["taskId"].GetString());
    return ids;
  };
  std::thread first([&] { ask_sync(running_answer); });
  thread_guard first_guard{first};
  std::string running;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (running.empty() && std::chrono::steady_clock::now() < deadline) {
    auto ids = active_ids();
    if (!ids.empty())
      running = ids[0];
    else
      std::this_thread::sleep_for(10ms);
  }
  REQUIRE_FALSE(running.empty());
  REQUIRE(wait_for_state(c, running, is("running"), 10s) == "running");
  std::thread second([&] { ask_sync(queued_answer); });
  thread_guard second_guard{second};
  std::string queued;
  while (queued.empty() && std::chrono::steady_clock::now() < deadline) {
    for (auto& id : active_ids())
      if (id != running) queued = id;
    if (queued.empty()) std::this_thread::sleep_for(10ms);
  }
  REQUIRE_FALSE(queued.empty());
  REQUIRE(::kill(server.pid(), SIGTERM) == 0);
  first.join();
  second.join();
  {
    INFO("running: " << running_answer.body);
    CHECK(running_answer.status == 200);
    CHECK(parse_json(running_answer.body)["taskId"] == running.c_str());
  }
  {
    INFO("queued: " << queued_answer.body);
    CHECK(queued_answer.status >= 400);
    json::document d;
    REQUIRE(json::parse(queued_answer.body, d).empty());
    CHECK((d.HasMember("error") && d["error"].IsString()));
    CHECK((d.HasMember("taskId") && d["taskId"] == queued.c_str()));
  }
  REQUIRE(wait_exited(server.pid(), 15s));
  CHECK(server.stop() == 0);
  CHECK(entries_in(data.path()) == 0); // sync is never stored
}

TEST_CASE("shutdown: SIGINT shuts down as gracefully as SIGTERM") {
  temp_folder data("sigint");
  server_process server(data.path(), {"--shutdown-grace-seconds=10"});
  auto c = server.client(10);
  auto slow = start_async(c, slow_body(40));
  event_reader events(server.port(), slow);
  REQUIRE(wait_for_state(c, slow, is("running"), 10s) == "running");
  REQUIRE(::kill(server.pid(), SIGINT) == 0);
  CHECK(event_reader::terminal_events(events.join()) == std::vector<std::string>{"complete"});
  REQUIRE(wait_exited(server.pid(), 15s));
  CHECK(server.stop() == 0);
  CHECK(stored_task_ids(data.path()) == std::vector<std::string>{slow});
}

TEST_CASE("shutdown: an idle keep-alive connection does not hold the exit back") {
  temp_folder data("keepalive");
  server_process server(data.path());
  raw_socket idle(server.port());
  REQUIRE(idle.connected());
  REQUIRE(idle.send_all("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  REQUIRE(idle.read_response(5s).find(" 200 ") != std::string::npos);
  // The connection stays open (keep-alive, 5 s) while the server is told to stop.
  auto begin = std::chrono::steady_clock::now();
  REQUIRE(::kill(server.pid(), SIGTERM) == 0);
  REQUIRE(wait_exited(server.pid(), 10s));
  CHECK(std::chrono::steady_clock::now() - begin < 2s);
  CHECK(server.stop() == 0);
}
