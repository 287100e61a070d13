// A ComfyUI instance dying under a task, and cancels ComfyUI cannot honour at once, end to end:
// the real mediagen binary against fake ComfyUIs (tests/fakes/fake_comfyui.py), each its own
// process. A fake "dies" by SIGKILL; a fake node that ignores /interrupt is its --stuck-node.
#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "fake_comfyui_process.hpp"
#include "robustness_support.hpp"
#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;
using namespace mediagen::testing::robust;
using namespace std::chrono_literals;

namespace {

std::string str(const json::value& v, const char* key) {
  auto s = json::get_string(v, key);
  return s ? *s : std::string();
}

std::string t2i(const std::string& prompt, int steps) {
  return R"({"workflow":"ComfyUI Text to Image","prompt":)" + json::quote(prompt) + R"(,"seed":7,"steps":)" +
         std::to_string(steps) + "}";
}

/// A small RGB PNG, as an upload.
std::string png_of(httplib::Client& c) { return tiny_png(c, 3); }

/// "ComfyUI Inpaint" with an image and a mask: two input files every instance must get.
std::string start_inpaint(httplib::Client& c) {
  auto image = png_of(c);
  httplib::MultipartFormDataItems form{{"workflow", "ComfyUI Inpaint", "", ""},
                                       {"prompt", "a cat on the sofa", "", ""},
                                       {"name", "moved inpaint", "", ""},
                                       {"seed", "5", "", ""},
                                       {"steps", "3", "", ""},
                                       {"inpaintArea", R"({"x1":16,"y1":16,"x2":48,"y2":48})", "", ""},
                                       {"image", image, "photo.png", "image/png"},
                                       {"mask", image, "mask.png", "image/png"}};
  auto res = c.Post("/generate/inpaint", form);
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 202);
  return string_field(parse_json(res->body), "taskId");
}

json::document task_of(httplib::Client& c, const std::string& id) {
  auto res = c.Get(("/tasks/" + id).c_str());
  REQUIRE(res);
  REQUIRE(res->status == 200);
  return parse_json(res->body);
}

/// A backend's entry in GET /debug/actors: `backend` comfyui (with that url) or comfyui-pool.
json::document backend_entry(httplib::Client& c, const std::string& backend, const std::string& url = {}) {
  auto all = parse_json(c.Get("/debug/actors")->body);
  json::document out;
  for (auto& a : all["actors"].GetArray())
    if (str(a, "kind") == "backend" && str(a, "backend") == backend && (url.empty() || str(a, "url") == url))
      out.CopyFrom(a, out.GetAllocator());
  return out;
}

/// Uploads the fake received (its /_fake/log).
std::size_t uploads_on(const fake_comfyui_process& fake) { return fake.log()["uploads"].Size(); }

} // namespace

TEST_CASE("comfyui failover: a task whose instance dies is resubmitted to the other and completes") {
  // The first instance runs its KSampler for ever: the task is certainly mid-run when it dies.
  fake_comfyui_process a({"--stuck-node=KSampler", "--validate-load-image"});
  fake_comfyui_process b({"--step-ms=5", "--validate-load-image"});
  temp_folder data("comfy-failover");
  server_process server(data.path(), {a.flag(), b.flag()});
  auto c = server.client();
  auto id = start_inpaint(c);
  event_reader events(server.port(), id);
  // Both idle: the pool gives the first task to the first instance.
  REQUIRE(eventually([&] { return a.state()["running"].IsString(); }, 10s));
  REQUIRE(eventually([&] { return str(task_of(c, id), "state") == "running"; }, 10s));
  CHECK(uploads_on(a) == 2);
  CHECK(uploads_on(b) == 0);
  a.kill_hard();

  auto& seen = events.join();
  REQUIRE_FALSE(seen.empty());
  INFO("last event: " << seen.back().event << " " << seen.back().data);
  REQUIRE(seen.back().event == "complete");
  // One progress event says where the task went; the others carry no message.
  std::size_t with_message = 0;
  for (auto& e : seen) {
    if (e.event != "progress") continue;
    auto d = parse_json(e.data);
    auto message = str(d["progress"], "message");
    if (message.empty()) continue;
    ++with_message;
    CHECK(message == "ComfyUI instance " + a.url() + " lost; resubmitted to " + b.url() + ".");
  }
  CHECK(with_message == 1);
  auto final_status = task_of(c, id);
  CHECK(str(final_status, "state") == "completed");
  // The inputs went to the new instance again (its LoadImage validation needs them there).
  CHECK(uploads_on(b) == 2);
  CHECK(b.log()["prompts"].Size() == 1);
  CHECK(entries_in(data.path()) == 1);
  auto pool = backend_entry(c, "comfyui-pool");
  REQUIRE(pool.IsObject());
  CHECK(pool["resubmitted"].GetInt64() == 1);
  CHECK(pool["lost"].GetInt64() == 1);
}

TEST_CASE("comfyui failover: comfyuiRetries 0 fails the task when its instance dies") {
  fake_comfyui_process a({"--stuck-node=KSampler"});
  fake_comfyui_process b({"--step-ms=5"});
  temp_folder data("comfy-failover-off");
  server_process server(data.path(), {a.flag(), b.flag(), "--comfyui-retries=0"});
  auto c = server.client();
  auto id = start_async(c, t2i("not moved", 2));
  REQUIRE(eventually([&] { return a.state()["running"].IsString(); }, 10s));
  REQUIRE(eventually([&] { return str(task_of(c, id), "state") == "running"; }, 10s));
  a.kill_hard();
  REQUIRE(eventually([&] { return str(task_of(c, id), "state") == "failed"; }, 12s));
  auto message = str(task_of(c, id)["error"], "message");
  INFO(message);
  CHECK(message.find(a.url().substr(7)) != std::string::npos);
  CHECK(message.find("resubmitting to another instance is turned off") != std::string::npos);
  CHECK(b.log()["prompts"].Size() == 0);
}

TEST_CASE("comfyui cancel: a node that ignores /interrupt ends cancelled after the grace period") {
  fake_comfyui_process fake({"--stuck-node=KSampler"});
  temp_folder data("comfy-cancel-stuck");
  server_process server(data.path(), {fake.flag(), "--cancel-grace-seconds=1"});
  auto c = server.client();
  auto id = start_async(c, t2i("never ends", 2));
  event_reader events(server.port(), id);
  // Inside the stuck KSampler (node 3): an interrupt before it would end the prompt at its start.
  REQUIRE(eventually([&] { return str(fake.state(), "last_node_id") == "3"; }, 10s));
  REQUIRE(eventually([&] { return str(task_of(c, id), "state") == "running"; }, 10s));

  auto del = c.Delete(("/tasks/" + id).c_str());
  REQUIRE(del);
  CHECK(del->status == 202);
  // At once: `cancelling`, in the task's status and the active list. The fake ignores the
  // interrupt, so only the grace period can end it (1 s): this read comes well before.
  CHECK(str(task_of(c, id), "state") == "cancelling");
  auto active = parse_json(c.Get("/generation/tasks/active")->body);
  REQUIRE(active.Size() == 1);
  CHECK(str(active[0], "state") == "cancelling");
  // A second cancel while cancelling is accepted again and changes nothing.
  auto again = c.Delete(("/tasks/" + id).c_str());
  REQUIRE(again);
  CHECK(again->status == 202);

  auto& seen = events.join();
  REQUIRE(seen.size() >= 2);
  CHECK(seen.back().event == "cancelled");
  std::size_t cancelling = 0;
  for (auto& e : seen)
    if (e.event == "progress" && str(parse_json(e.data), "status") == "cancelling") ++cancelling;
  CHECK(cancelling == 1);
  CHECK(str(parse_json(seen[seen.size() - 2].data), "status") == "cancelling");
  CHECK(str(task_of(c, id), "state") == "cancelled");
  // ComfyUI was asked to stop it, and still runs it: the grace period, not the backend, ended it.
  CHECK(fake.log()["interrupts"].Size() >= 1);
  auto fake_state = fake.state();
  INFO("fake state: " << json::stringify(fake_state));
  CHECK(fake_state["running"].IsString());
  CHECK(entries_in(data.path()) == 0);
  server.kill_hard(); // the stuck prompt would hold a graceful stop for nothing
}

TEST_CASE("comfyui cancel: outputs that arrive after the grace period are removed, never kept") {
  // SaveImage runs 4 s and ignores the interrupt, then ComfyUI reports success with its file.
  fake_comfyui_process fake({"--step-ms=5", "--stuck-node=SaveImage", "--stuck-ms=4000"});
  temp_folder data("comfy-cancel-late");
  server_process server(data.path(), {fake.flag(), "--cancel-grace-seconds=1"});
  auto c = server.client();
  auto id = start_async(c, t2i("late file", 2));
  // The server must know the prompt runs (it interrupts, then waits), not merely queued.
  REQUIRE(eventually([&] { return str(task_of(c, id)["progress"], "currentStep") == "Save Image"; }, 10s));
  auto del = c.Delete(("/tasks/" + id).c_str());
  REQUIRE(del);
  CHECK(del->status == 202);
  CHECK(wait_until_ended(c, id, 10s) == "cancelled");
  // The prompt succeeds in ComfyUI later; the instance fetches its file and drops it.
  REQUIRE(eventually([&] { return fake.state()["history"].Size() == 1; }, 10s));
  REQUIRE(eventually(
      [&] {
        auto s = backend_entry(c, "comfyui", fake.url());
        return s.IsObject() && s["cancelled"].GetInt64() == 1 && s["queue"].GetInt64() == 0;
      },
      10s));
  auto s = backend_entry(c, "comfyui", fake.url());
  CHECK(s["completed"].GetInt64() == 0);
  CHECK(files_in(data.path() / "storage") == 0);
  CHECK(entries_in(data.path()) == 0);
  CHECK(str(task_of(c, id), "state") == "cancelled");
}

TEST_CASE("comfyui cancel: a sync request whose task is cancelled is answered when it ends") {
  fake_comfyui_process fake({"--stuck-node=KSampler"});
  temp_folder data("comfy-cancel-sync");
  server_process server(data.path(), {fake.flag(), "--cancel-grace-seconds=1"});
  auto c = server.client();
  int status = 0;
  std::thread waiter([&] {
    auto c2 = server.client(30);
    auto res = post_json(c2, "/generate/sync", t2i("sync stuck", 2));
    status = res ? res->status : -1;
  });
  thread_guard guard{waiter};
  std::string id;
  REQUIRE(eventually(
      [&] {
        auto list = parse_json(c.Get("/generation/tasks/active")->body);
        if (list.Size() != 1) return false;
        id = str(list[0], "taskId");
        return str(list[0], "state") == "running";
      },
      10s));
  REQUIRE(eventually([&] { return str(fake.state(), "last_node_id") == "3"; }, 10s)); // in the stuck node
  REQUIRE(c.Delete(("/tasks/" + id).c_str())->status == 202);
  waiter.join();
  CHECK(status == 409);
  CHECK(str(task_of(c, id), "state") == "cancelled");
  server.kill_hard();
}

TEST_CASE("comfyui failover: a prompt the instance forgot (not queued, no history) is lost, not waited for") {
  // The first task holds the instance in a stuck node; the second waits in its queue until the
  // fake's reset empties that queue, as a restarted ComfyUI would have forgotten it.
  fake_comfyui_process fake({"--stuck-node=KSampler"});
  temp_folder data("comfy-forgotten");
  server_process server(data.path(), {fake.flag()});
  auto c = server.client();
  auto first = start_async(c, t2i("holds the instance", 2));
  REQUIRE(eventually([&] { return str(fake.state(), "last_node_id") == "3"; }, 10s));
  auto second = start_async(c, t2i("forgotten", 2));
  REQUIRE(eventually([&] { return fake.state()["pending"].Size() == 1; }, 10s));
  fake.reset();
  // Three /history polls (2 s apart) in a row find it nowhere; no other instance can take it.
  REQUIRE(eventually([&] { return str(task_of(c, second), "state") == "failed"; }, 15s));
  auto message = str(task_of(c, second)["error"], "message");
  INFO(message);
  CHECK(message.find("neither queued nor in its history") != std::string::npos);
  CHECK(message.find("no other healthy ComfyUI instance can take it") != std::string::npos);
  // The one still running there is not touched.
  CHECK(str(task_of(c, first), "state") == "running");
  server.kill_hard(); // the stuck prompt would hold a graceful stop for nothing
}
