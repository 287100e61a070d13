// The core service end to end over loopback HTTP: sync, async + SSE, the gallery, restarts,
// and refusals of bad requests.

#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;

namespace {

fs::path database(const temp_folder& data) { return database_file(data.path()); }

// Waits until GET /tasks/:id reports an ended state; returns that status document's text.
std::string wait_for_end(httplib::Client& c, const std::string& id) {
  for (int i = 0; i < 3000; ++i) {
    auto res = c.Get(("/tasks/" + id).c_str());
    REQUIRE(res);
    REQUIRE(res->status == 200);
    auto d = parse_json(res->body);
    std::string state = d["state"].GetString();
    if (state != "queued" && state != "running") return res->body;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("task " << id << " did not end");
  return {};
}

} // namespace

TEST_CASE("sync answers with an image of the requested size and leaves media-data.json untouched") {
  temp_folder data("sync");
  server_process server(data.path());
  auto c = server.client();
  // An async entry first, so the database file exists and its bytes can be compared.
  auto id = start_async(c, R"({"workflow":"Builtin Tiny","prompt":"first"})");
  wait_for_end(c, id);
  std::string before = durable_entries_text(data.path());
  REQUIRE_FALSE(before.empty());

  auto res = post_json(
      c, "/generate/sync",
      R"({"workflow":"Builtin Text to Image","prompt":"a fox","seed":7,"orientation":"square","steps":2})");
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  auto result = parse_json(res->body);
  CHECK(std::string(result["workflow"].GetString()) == "Builtin Text to Image");
  CHECK(result["seed"].GetInt64() == 7);
  CHECK_FALSE(result.HasMember("uid"));
  std::string url = result["imageUrl"].GetString();
  REQUIRE(url.rfind("/media/", 0) == 0);
  auto image = c.Get(url.c_str());
  REQUIRE(image);
  CHECK(image->status == 200);
  CHECK(image->get_header_value("Content-Type") == "image/png");
  CHECK(png_size(image->body) == std::make_pair(640, 640));
  CHECK(result["outputs"][0]["bytes"].GetUint64() == image->body.size());

  auto portrait = post_json(c, "/generate/sync", R"({"workflow":"Builtin Text to Image","prompt":"p","steps":1})");
  REQUIRE(portrait);
  REQUIRE(portrait->status == 200);
  auto purl = std::string(parse_json(portrait->body)["imageUrl"].GetString());
  CHECK(png_size(c.Get(purl.c_str())->body) == std::make_pair(512, 768));

  CHECK(durable_entries_text(data.path()) == before);
}

TEST_CASE("async streams progress then complete, after the entry is stored") {
  temp_folder data("async");
  server_process server(data.path());
  auto c = server.client();
  auto id = start_async(
      c,
      R"({"workflow":"Builtin Text to Image","prompt":"a fox","seed":3,"steps":4,"orientation":"square","requestOrigin":"web"})");
  auto events = read_events(server.port(), id);
  REQUIRE(events.size() >= 2);
  for (size_t i = 0; i < events.size(); ++i) CHECK(events[i].id == static_cast<std::int64_t>(i + 1));
  CHECK(events.front().event == "progress");
  CHECK(events.back().event == "complete");
  size_t terminal = 0;
  double last_pct = -1;
  for (auto& e : events) {
    if (e.event != "progress") {
      ++terminal;
      continue;
    }
    auto d = parse_json(e.data);
    double pct = d["progress"]["percentage"].GetDouble();
    CHECK(pct >= last_pct);
    last_pct = pct;
    // Nodes weigh by their steps: the 4 procedural steps are 4/5 of this graph's work.
    auto& p = d["progress"];
    if (std::string(p["currentStep"].GetString()) == "Procedural Image" && p["currentValue"] == p["maxValue"])
      CHECK(pct == doctest::Approx(80));
  }
  CHECK(terminal == 1);
  auto complete = parse_json(events.back().data);
  CHECK(std::string(complete["status"].GetString()) == "completed");
  CHECK(complete["progress"]["percentage"].GetDouble() == 100);
  std::string url = complete["result"]["imageUrl"].GetString();
  auto uid = complete["result"]["uid"].GetInt64();

  // The entry is durable by the time `complete` was sent.
  auto db = durable_gallery(data.path());
  REQUIRE(db["mediaData"].Size() == 1);
  auto& entry = db["mediaData"][0];
  CHECK(std::string(entry["imageUrl"].GetString()) == url);
  CHECK(entry["uid"].GetInt64() == uid);
  CHECK(std::string(entry["requestOrigin"].GetString()) == "web"); // a declared field (docs/API.md), kept
  // (media-data.json itself, folders and all, is written by the next rewrite; the unit tests check its shape.)

  auto one = c.Get(("/media-data/" + std::to_string(uid)).c_str());
  REQUIRE(one);
  CHECK(one->status == 200);
  CHECK(std::string(parse_json(one->body)["imageUrl"].GetString()) == url);
  auto list = c.Get("/media-data?limit=5");
  REQUIRE(list);
  CHECK(parse_json(list->body).Size() == 1);
  CHECK(parse_json(c.Get("/media-data?limit=5&offset=1")->body).Size() == 0);
  CHECK(c.Get("/media-data?offset=-1")->status == 400);
  CHECK(c.Get("/media-data?offset=x")->status == 400);
  CHECK(c.Get("/media-data/999")->status == 404);
  CHECK(c.Get("/media-data/abc")->status == 400);

  auto status = parse_json(c.Get(("/tasks/" + id).c_str())->body);
  CHECK(std::string(status["state"].GetString()) == "completed");
  CHECK(std::string(status["result"]["imageUrl"].GetString()) == url);

  SUBCASE("a subscriber that connects after the end receives the whole log") {
    auto again = read_events(server.port(), id);
    REQUIRE(again.size() == events.size());
    CHECK(again.back().event == "complete");
    CHECK(again.back().data == events.back().data);
  }
  SUBCASE("Last-Event-ID resumes after the given id") {
    auto resumed = read_events(server.port(), id, 1);
    REQUIRE(resumed.size() == events.size() - 1);
    CHECK(resumed.front().id == 2);
    CHECK(resumed.back().event == "complete");
  }
}

TEST_CASE("unknown tasks answer 404 JSON") {
  temp_folder data("unknown");
  server_process server(data.path());
  auto c = server.client();
  int status = 0;
  read_events(server.port(), "doesnotexist", -1, std::chrono::seconds(5), &status);
  CHECK(status == 404);
  auto res = c.Get("/tasks/doesnotexist");
  REQUIRE(res);
  CHECK(res->status == 404);
  CHECK(parse_json(res->body).HasMember("error"));
  CHECK(c.Delete("/tasks/doesnotexist")->status == 404);
}

TEST_CASE("100 concurrent async requests give 100 entries, uids and files, and a restart keeps them") {
  temp_folder data("burst");
  std::vector<std::string> ids(100);
  {
    server_process server(data.path());
    std::vector<std::thread> clients;
    std::atomic<int> accepted{0};
    for (int t = 0; t < 10; ++t)
      clients.emplace_back([&, t] {
        auto c = server.client();
        for (int i = 0; i < 10; ++i) {
          auto res = post_json(c, "/generate",
                               R"({"workflow":"Builtin Tiny","prompt":"burst )" + std::to_string(t * 10 + i) + "\"}");
          if (res && res->status == 202) {
            json::document d;
            json::parse(res->body, d);
            ids[t * 10 + i] = d["taskId"].GetString();
            ++accepted;
          }
        }
      });
    for (auto& t : clients) t.join();
    REQUIRE(accepted == 100);
    auto c = server.client();
    for (auto& id : ids) CHECK(parse_json(wait_for_end(c, id))["state"] == "completed");
    auto db = durable_gallery(data.path());
    REQUIRE(db["mediaData"].Size() == 100);
    std::set<std::int64_t> uids;
    std::set<std::string> urls;
    for (auto& e : db["mediaData"].GetArray()) {
      uids.insert(e["uid"].GetInt64());
      urls.insert(e["imageUrl"].GetString());
    }
    CHECK(uids.size() == 100);
    CHECK(urls.size() == 100);
    CHECK(files_in(data.path() / "storage") == 100);
    CHECK(server.stop() == 0);
  }
  server_process again(data.path());
  auto c = again.client();
  auto list = c.Get("/media-data?limit=1000"); // all of them, not one page
  REQUIRE(list);
  CHECK(parse_json(list->body).Size() == 100);
  auto id = start_async(c, R"({"workflow":"Builtin Tiny","prompt":"after restart"})");
  wait_for_end(c, id);
  auto db = durable_gallery(data.path());
  REQUIRE(db["mediaData"].Size() == 101);
  CHECK(db["mediaData"][100]["uid"].GetInt64() > db["mediaData"][99]["uid"].GetInt64());
}

TEST_CASE("bad requests get 400 JSON and write nothing") {
  temp_folder data("bad");
  server_process server(data.path());
  auto c = server.client();
  struct row {
    const char* path;
    const char* body;
    const char* type;
    int status;
  };
  row rows[] = {
      {"/generate", R"({"prompt":"no workflow"})", "application/json", 400},
      {"/generate", R"({"workflow":"Nope","prompt":"x"})", "application/json", 400},
      {"/generate", R"({"workflow":"Builtin Tiny",)", "application/json", 400},
      {"/generate", R"({"workflow":"Builtin Tiny","seed":"abc"})", "application/json", 400},
      {"/generate", R"({"workflow":"Builtin Text to Image","prompt":"x","steps":9999})", "application/json", 400},
      {"/generate/sync", R"({"prompt":"no workflow"})", "application/json", 400},
      {"/generate/sync", R"({"workflow":"Nope"})", "application/json", 400},
      {"/generate/sync", R"(not json)", "application/json", 400},
      {"/generate/sync", R"({"workflow":"Builtin Tiny","seed":"abc"})", "application/json", 400},
      {"/generate/sync", R"({"workflow":"Builtin Text to Image","prompt":"x","steps":9999})", "application/json", 400},
      {"/generate", R"([1,2])", "application/json", 400},
      {"/generate", R"({"workflow":"Builtin Tiny"})", "text/plain", 415},
  };
  for (auto& r : rows) {
    CAPTURE(r.path);
    CAPTURE(r.body);
    auto res = c.Post(r.path, r.body, r.type);
    REQUIRE(res);
    CHECK(res->status == r.status);
    CHECK(res->get_header_value("Content-Type") == "application/json");
    auto d = parse_json(res->body);
    REQUIRE(d.HasMember("error"));
    CHECK(d["error"].IsString());
  }
  auto missing = parse_json(post_json(c, "/generate", R"({"prompt":"x"})")->body);
  CHECK(std::string(missing["error"].GetString()) == "Workflow parameter is required");
  auto unknown = parse_json(post_json(c, "/generate", R"({"workflow":"Nope"})")->body);
  CHECK(std::string(unknown["error"].GetString()) == "Workflow 'Nope' not found");
  CHECK_FALSE(fs::exists(database(data)));
  CHECK(files_in(data.path() / "storage") == 0);
  CHECK(c.Get("/healthz")->status == 200);
}

TEST_CASE("a media-data.json that does not parse stops the server and is left untouched") {
  temp_folder data("corrupt");
  fs::create_directories(data.path() / "database");
  { std::ofstream(database(data)) << "{\"mediaData\": ["; }
  bool started = true;
  std::string message;
  {
    // The harness FAILs when the process exits at start: run it by hand instead.
    pid_t pid = ::fork();
    if (pid == 0) {
      auto log = (data.path() / "start.log").string();
      std::freopen(log.c_str(), "w", stderr);
      std::string cfg = std::string("--config=") + MEDIAGEN_SOURCE_DIR + "/config/server.json";
      std::string dd = "--data-dir=" + data.path().string();
      ::execl(MEDIAGEN_BINARY, MEDIAGEN_BINARY, cfg.c_str(), dd.c_str(), "--port=0", nullptr);
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    started = !(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    message = read_file(data.path() / "start.log");
  }
  CHECK_FALSE(started);
  CHECK(message.find("media-data.json") != std::string::npos);
  CHECK(read_file(database(data)) == "{\"mediaData\": [");
}

TEST_CASE("operations endpoints: health, workflows, actors, status, metrics") {
  temp_folder data("ops");
  server_process server(data.path());
  auto c = server.client();
  CHECK(parse_json(c.Get("/healthz")->body)["status"] == "ok");
  auto wfs = parse_json(c.Get("/workflows")->body);
  std::set<std::string> names;
  for (auto& w : wfs.GetArray()) names.insert(w["name"].GetString());
  CHECK(names.count("Builtin Text to Image"));
  CHECK(names.count("Builtin Tiny"));
  auto id = start_async(c, R"({"workflow":"Builtin Tiny","prompt":"ops"})");
  wait_for_end(c, id);
  auto actors = parse_json(c.Get("/debug/actors")->body);
  std::set<std::string> kinds;
  for (auto& a : actors["actors"].GetArray()) kinds.insert(a["kind"].GetString());
  CHECK(kinds.count("supervisor"));
  CHECK(kinds.count("sse_hub"));
  CHECK(kinds.count("media_store"));
  CHECK(kinds.count("backend"));
  auto status = parse_json(c.Get("/status")->body);
  CHECK(status["backends"]["builtin"]["healthy"].GetBool());
  auto metrics = c.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("mediagen_http_requests_total{route=\"generate\",status=\"202\"} 1") != std::string::npos);
  CHECK(metrics->body.find("mediagen_media_store_commits_total") != std::string::npos);
  CHECK(metrics->body.find("mediagen_backend_round_trips_total{backend=\"builtin\"} 1\n") != std::string::npos);
  CHECK(metrics->body.find("mediagen_backend_round_trip_seconds_total{backend=\"builtin\"}") != std::string::npos);
  CHECK(metrics->body.find("mediagen_tasks{state=\"completed\"} 1\n") != std::string::npos);
  auto missing_route = c.Get("/no/such/route");
  CHECK(missing_route->status == 404);
  CHECK(parse_json(missing_route->body).HasMember("error"));
}

TEST_CASE("a waiting task reports its queue position, in its events and its status") {
  temp_folder data("queue-position");
  server_process server(data.path(), {"--builtin-workers=1"});
  auto c = server.client();
  auto running = start_async(
      c, R"({"workflow":"Builtin Text to Image","prompt":"busy","orientation":"square","steps":150})");
  auto second = start_async(c, R"({"workflow":"Builtin Tiny","prompt":"second"})");
  auto third = start_async(c, R"({"workflow":"Builtin Tiny","prompt":"third"})");
  REQUIRE(eventually(
      [&] {
        auto s = parse_json(c.Get(("/tasks/" + third).c_str())->body);
        return s["queuePosition"].IsInt64() && s["queuePosition"].GetInt64() == 1;
      },
      std::chrono::seconds(5)));
  auto status = parse_json(c.Get(("/tasks/" + third).c_str())->body);
  CHECK(std::string(status["state"].GetString()) == "queued");
  CHECK(status["startedAt"].IsNull());
  auto events = read_events(server.port(), third);
  bool saw_position = false;
  for (auto& e : events)
    if (e.event == "progress") {
      auto d = parse_json(e.data);
      if (std::string(d["status"].GetString()) == "queued" && d.HasMember("queuePosition") &&
          d["queuePosition"].GetInt64() == 1)
        saw_position = true;
    }
  CHECK(saw_position);
  CHECK(events.back().event == "complete");
  CHECK(parse_json(wait_for_end(c, running))["state"] == "completed");
  CHECK(parse_json(wait_for_end(c, second))["state"] == "completed");
}

TEST_CASE("media files carry an ETag and answer 304 to a matching If-None-Match") {
  temp_folder data("etag");
  server_process server(data.path());
  auto c = server.client();
  auto res = post_json(c, "/generate/sync", R"({"workflow":"Builtin Tiny","prompt":"etag"})");
  REQUIRE(res);
  std::string url = parse_json(res->body)["imageUrl"].GetString();
  auto first = c.Get(url.c_str());
  REQUIRE(first);
  auto etag = first->get_header_value("ETag");
  REQUIRE_FALSE(etag.empty());
  auto again = c.Get(url.c_str(), httplib::Headers{{"If-None-Match", etag}});
  REQUIRE(again);
  CHECK(again->status == 304);
  CHECK(again->body.empty());
  auto other = c.Get(url.c_str(), httplib::Headers{{"If-None-Match", "\"something-else\""}});
  CHECK(other->status == 200);
}

TEST_CASE("tasks run first come, first served") {
  temp_folder data("fifo");
  server_process server(data.path(), {"--builtin-workers=1"});
  auto c = server.client();
  std::vector<std::string> ids;
  ids.push_back(
      start_async(c, R"({"workflow":"Builtin Text to Image","prompt":"first","orientation":"square","steps":30})"));
  for (int i = 0; i < 30; ++i) ids.push_back(start_async(c, R"({"workflow":"Builtin Tiny","prompt":"in line"})"));
  for (auto& id : ids) REQUIRE(parse_json(wait_for_end(c, id))["state"] == "completed");
  // One worker renders one task after the other, and storage numbers files as they are written:
  // the number in each output's name is the order the tasks ran in.
  auto db = durable_gallery(data.path());
  std::map<std::string, long> ran_as;
  for (auto& e : db["mediaData"].GetArray()) {
    std::string url = e["imageUrl"].GetString();
    ran_as[e["taskId"].GetString()] = std::stol(url.substr(url.rfind('_') + 1));
  }
  for (std::size_t i = 1; i < ids.size(); ++i) CHECK_MESSAGE(ran_as[ids[i - 1]] < ran_as[ids[i]], "task " << i);
}

TEST_CASE("an ended task and its events are forgotten after taskRetentionSeconds") {
  temp_folder data("retention");
  server_process server(data.path(), {"--task-retention-seconds=1"});
  auto c = server.client();
  auto id = start_async(c, R"({"workflow":"Builtin Tiny","prompt":"short-lived"})");
  REQUIRE(parse_json(wait_for_end(c, id))["state"] == "completed");
  int status = 0;
  read_events(server.port(), id, -1, std::chrono::seconds(5), &status);
  CHECK(status == 200); // still there just after the end
  // Retention is swept every few seconds.
  CHECK(eventually([&] { return c.Get(("/tasks/" + id).c_str())->status == 404; }, std::chrono::seconds(12)));
  CHECK(eventually(
      [&] {
        read_events(server.port(), id, -1, std::chrono::seconds(5), &status);
        return status == 404;
      },
      std::chrono::seconds(12)));
  CHECK(entries_in(data.path()) == 1); // the gallery keeps it: retention is about tasks, not results
}
