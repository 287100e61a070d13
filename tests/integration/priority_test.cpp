// Priorities end to end, on the real binary: a sync request queued behind 500 async ones starts
// before them, and a low-priority request after them, on the builtin backend and on the fake
// ComfyUI (tests/fakes/fake_comfyui.py). Start order is read from what the server and the fake
// report (each task's startedAt; the order of the fake's POST /prompt bodies), never from timing.
// The render threads' nice value is read from /proc.

#include <doctest/doctest.h>

#include <dirent.h>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <thread>

#include "fake_comfyui_process.hpp"
#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;
using namespace std::chrono_literals;

namespace {

constexpr int backlog = 500;
constexpr const char* sync_origin = "priority-probe";

std::string task_state_of(const json::value& task) { return string_field(task, "state"); }

json::document task_status(httplib::Client& c, const std::string& id) {
  auto res = c.Get(("/tasks/" + id).c_str());
  REQUIRE(res);
  REQUIRE(res->status == 200);
  return parse_json(res->body);
}

bool has_ended(httplib::Client& c, const std::string& id) {
  auto s = task_state_of(task_status(c, id));
  return s != "queued" && s != "running";
}

/// True once the sync request's task (found by its requestOrigin) waits in its backend's queue.
bool sync_task_queued(httplib::Client& c) {
  auto res = c.Get("/generation/tasks/active");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  auto list = parse_json(res->body);
  for (auto& t : list.GetArray())
    if (t["requestOrigin"].IsString() && std::string(t["requestOrigin"].GetString()) == sync_origin)
      return task_state_of(t) == "queued";
  return false;
}

/// POST /generate/sync on its own connection, answered when the task ends.
std::future<httplib::Result> start_sync(int port, std::string body) {
  return std::async(std::launch::async, [port, body = std::move(body)] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(300, 0);
    return c.Post("/generate/sync", body, "application/json");
  });
}

std::string started_at(httplib::Client& c, const std::string& id) {
  return string_field(task_status(c, id), "startedAt");
}

/// The nice value of every thread of `pid`, by thread name (/proc/<pid>/task/<tid>/{comm,stat}).
std::multimap<std::string, int> thread_nice_values(pid_t pid) {
  std::multimap<std::string, int> out;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string comm, stat;
    std::getline(std::ifstream(dir + "/" + e->d_name + "/comm"), comm);
    std::getline(std::ifstream(dir + "/" + e->d_name + "/stat"), stat);
    // Fields after the parenthesised name: state is field 3, nice field 19 (proc(5)).
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i < 19 && fields >> field; ++i) {}
    int nice = 0;
    if (fields >> nice) out.emplace(comm, nice);
  }
  ::closedir(d);
  return out;
}

} // namespace

TEST_CASE("priority: on the builtin backend a sync request starts before 500 queued async ones, a low one after "
          "them") {
  temp_folder data("priority-builtin");
  server_process server(data.path(), {"--builtin-workers=1", "--max-queued-tasks=5000"});
  auto c = server.client();
  // One long render holds the only worker while the queue fills.
  auto blocker = start_async(
      c, R"({"workflow":"Builtin Text to Image","prompt":"blocker","orientation":"square","steps":200})");
  REQUIRE(eventually([&] { return task_state_of(task_status(c, blocker)) == "running"; }, 30s));
  auto low = start_async(c, R"({"workflow":"Builtin Tiny","prompt":"low","priority":"low"})");
  std::vector<std::string> normal;
  for (int i = 0; i < backlog; ++i)
    normal.push_back(start_async(c, R"({"workflow":"Builtin Tiny","prompt":"normal )" + std::to_string(i) + "\"}"));
  auto sync = start_sync(server.port(), std::string(R"({"workflow":"Builtin Tiny","prompt":"sync","requestOrigin":")") +
                                            sync_origin + "\"}");
  REQUIRE(eventually([&] { return sync_task_queued(c); }, 60s));
  // The premise: everything is still waiting behind the blocker.
  REQUIRE(task_state_of(task_status(c, blocker)) == "running");
  REQUIRE(c.Delete(("/tasks/" + blocker).c_str())->status == 202);

  auto answer = sync.get();
  REQUIRE(answer);
  INFO(answer->body);
  REQUIRE(answer->status == 200);
  auto sync_id = string_field(parse_json(answer->body), "taskId");
  REQUIRE(eventually([&] { return has_ended(c, low); }, 240s));

  auto sync_start = started_at(c, sync_id), low_start = started_at(c, low);
  int before_sync = 0, after_low = 0;
  for (auto& id : normal) {
    REQUIRE(has_ended(c, id));
    auto s = started_at(c, id);
    before_sync += s < sync_start;
    after_low += s > low_start;
  }
  CHECK(before_sync == 0);
  CHECK(after_low == 0);
  CHECK(task_state_of(task_status(c, low)) == "completed");
}

TEST_CASE("priority: through ComfyUI a sync prompt is sent before 500 queued async ones, a low one after them") {
  fake_comfyui_process fake({"--step-ms=200"});
  temp_folder data("priority-comfyui");
  server_process server(data.path(), {fake.flag(), "--max-queued-tasks=5000"});
  auto c = server.client();
  auto body = [](const std::string& prompt, int steps, const std::string& extra = {}) {
    return R"({"workflow":"ComfyUI Text to Image","prompt":")" + prompt + R"(","steps":)" + std::to_string(steps) +
           extra + "}";
  };
  // 150 steps of 200 ms: the blocker runs until it is cancelled.
  auto blocker = start_async(c, body("blocker", 150));
  REQUIRE(eventually([&] { return fake.state()["running"].IsString(); }, 20s));
  // The server keeps two prompts in ComfyUI's own queue: this one takes the place beside the
  // blocker, so every later job waits in the server's queue.
  auto beside = start_async(c, body("beside", 1));
  REQUIRE(eventually([&] { return fake.state()["pending"].Size() == 1; }, 20s));
  auto low = start_async(c, body("low", 1, R"(,"priority":"low")"));
  std::vector<std::string> normal;
  for (int i = 0; i < backlog; ++i) normal.push_back(start_async(c, body("normal " + std::to_string(i), 1)));
  auto sync = start_sync(server.port(), body("sync", 1, std::string(R"(,"requestOrigin":")") + sync_origin + "\""));
  REQUIRE(eventually([&] { return sync_task_queued(c); }, 60s));
  REQUIRE(task_state_of(task_status(c, blocker)) == "running");
  fake.config(R"({"step_ms":1,"node_ms":0})");
  REQUIRE(c.Delete(("/tasks/" + blocker).c_str())->status == 202);

  auto answer = sync.get();
  REQUIRE(answer);
  INFO(answer->body);
  REQUIRE(answer->status == 200);
  REQUIRE(eventually([&] { return has_ended(c, low); }, 280s));
  CHECK(task_state_of(task_status(c, low)) == "completed");
  std::map<std::string, int> states;
  std::string a_failure;
  for (auto& id : normal) {
    auto s = task_status(c, id);
    states[task_state_of(s)]++;
    if (a_failure.empty() && task_state_of(s) != "completed") a_failure = json::stringify(s);
  }
  INFO("a task that did not complete: " << a_failure);
  CHECK(states["completed"] == backlog);

  // ComfyUI runs its queue in the order prompts arrive: the order of the /prompt bodies is the
  // order they ran in.
  std::vector<std::string> order;
  auto log = fake.log();
  for (auto& r : log["requests"].GetArray()) {
    if (!r.HasMember("json") || !r["path"].IsString()) continue;
    std::string path = r["path"].GetString();
    if (path != "/prompt" && path != "/api/prompt") continue;
    auto text = json::stringify(r["json"]);
    for (const char* who : {"\"blocker\"", "\"beside\"", "\"low\"", "\"sync\""})
      if (text.find(who) != std::string::npos) order.push_back(who);
    if (text.find("\"normal ") != std::string::npos) order.push_back("normal");
  }
  REQUIRE(order.size() == static_cast<std::size_t>(backlog) + 4);
  CHECK(order[0] == "\"blocker\"");
  CHECK(order[1] == "\"beside\"");
  CHECK(order[2] == "\"sync\"");
  CHECK(order.back() == "\"low\"");
  CHECK(task_state_of(task_status(c, beside)) == "completed");
}

TEST_CASE("priority: bad priorities are refused with 400 and start nothing") {
  temp_folder data("priority-bad");
  server_process server(data.path());
  auto c = server.client();
  for (const char* p : {R"("urgent")", "1", R"("HIGH")", "true"}) {
    CAPTURE(p);
    for (const char* route : {"/generate", "/generate/sync"}) {
      auto res = post_json(c, route, std::string(R"({"workflow":"Builtin Tiny","prompt":"x","priority":)") + p + "}");
      REQUIRE(res);
      CHECK(res->status == 400);
      CHECK(string_field(parse_json(res->body), "error") == "Priority must be high, normal or low.");
    }
  }
  auto tasks = parse_json(fetch(c, "/generation/tasks/active"));
  CHECK(tasks.Size() == 0);
  // The supervisor never saw them: nothing started, nothing refused there.
  auto actors = parse_json(fetch(c, "/debug/actors"));
  for (auto& a : actors["actors"].GetArray())
    if (string_field(a, "kind") == "supervisor") {
      CHECK(a["started"].GetUint64() == 0);
      CHECK(a["refused"].GetUint64() == 0);
    }
}

TEST_CASE("priority: the builtin render threads run at renderNice, the request path at the process's own") {
  temp_folder data("priority-nice");
  for (int configured : {7, 0}) {
    CAPTURE(configured);
    server_process server(data.path(), {"--builtin-workers=3", "--render-nice=" + std::to_string(configured)});
    auto threads = thread_nice_values(server.pid());
    int base = threads.find("mediagen") != threads.end() ? threads.find("mediagen")->second : 0;
    int renders = 0;
    for (auto& [name, nice] : threads) {
      CAPTURE(name);
      if (name == "mg-render") {
        ++renders;
        CHECK(nice == std::max(base, configured));
      } else if (name != "mg-upload" && name != "mg-compact") {
        CHECK(nice == base); // HTTP workers, connection loops, CAF's scheduler, the main thread
      }
    }
    CHECK(renders == 3);
    CHECK(server.stop() == 0);
  }
}
