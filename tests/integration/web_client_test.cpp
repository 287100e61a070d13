// What the Node server's own browser client reads from us: a front end served from --static-dir,
// entries that keep what the request said, requestOrigin on active tasks, /status readiness,
// the /generate/silent/sync name. Field names are the ones that client reads.

#include <doctest/doctest.h>

#include <fstream>
#include <thread>

#include "fake_comfyui_process.hpp"
#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;
using namespace std::chrono_literals;

namespace {

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Waits until GET /tasks/:id reports an ended state; returns that document.
json::document wait_for_end(httplib::Client& c, const std::string& id) {
  for (int i = 0; i < 3000; ++i) {
    auto res = c.Get(("/tasks/" + id).c_str());
    REQUIRE(res);
    REQUIRE(res->status == 200);
    auto d = parse_json(res->body);
    std::string state = d["state"].GetString();
    if (state != "queued" && state != "running") return d;
    std::this_thread::sleep_for(20ms);
  }
  FAIL("task " << id << " did not end");
  return {};
}

// A front end of our own, with one file of each kind a client ships.
fs::path make_front_end(const fs::path& root) {
  fs::path site = root / "site";
  write_text(site / "index.html", "<!doctype html><title>ours</title>");
  write_text(site / "js" / "app.mjs", "export const x = 1;");
  write_text(site / "js" / "old.js", "var y = 2;");
  write_text(site / "css" / "main.css", "body{}");
  write_text(site / "icon.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>");
  write_text(site / "fonts" / "f.woff2", std::string("wOF2\0\0", 6));
  write_text(site / "config.json", "{\"a\":1}");
  write_text(site / "inpaint" / "index.html", "<!doctype html><title>inpaint</title>");
  write_text(site / ".env", "SECRET=1");
  // Files named like API routes: the routes must win.
  write_text(site / "workflows", "not the workflows");
  write_text(site / "healthz", "not healthz");
  write_text(root / "outside.txt", "outside the site");
  fs::create_symlink(root / "outside.txt", site / "link.txt");
  return site;
}

} // namespace

TEST_CASE("web client: --static-dir serves a front end at /, API routes first") {
  temp_folder data("static");
  auto site = make_front_end(data.path());
  server_process server(data.path() / "data", {"--static-dir=" + site.string()});
  auto c = server.client();

  auto index = c.Get("/");
  REQUIRE(index);
  CHECK(index->status == 200);
  CHECK(index->body == "<!doctype html><title>ours</title>");
  CHECK(index->get_header_value("Content-Type") == "text/html; charset=utf-8");

  struct kind {
    const char* path;
    const char* type;
  };
  for (auto k : {kind{"/index.html", "text/html; charset=utf-8"}, kind{"/js/app.mjs", "text/javascript; charset=utf-8"},
                 kind{"/js/old.js", "text/javascript; charset=utf-8"}, kind{"/css/main.css", "text/css; charset=utf-8"},
                 kind{"/icon.svg", "image/svg+xml"}, kind{"/fonts/f.woff2", "font/woff2"},
                 kind{"/config.json", "application/json"}}) {
    INFO(k.path);
    auto res = c.Get(k.path);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == k.type);
    CHECK(res->body == read_file(site / fs::path(k.path).relative_path()));
  }
  // A folder is its index.html, with or without the slash.
  CHECK(c.Get("/inpaint")->body == "<!doctype html><title>inpaint</title>");
  CHECK(c.Get("/inpaint/")->body == "<!doctype html><title>inpaint</title>");

  // ETag, and a 304 without a body for a client that has it.
  auto first = c.Get("/js/app.mjs");
  auto etag = first->get_header_value("ETag");
  REQUIRE_FALSE(etag.empty());
  auto again = c.Get("/js/app.mjs", httplib::Headers{{"If-None-Match", etag}});
  REQUIRE(again);
  CHECK(again->status == 304);
  CHECK(again->body.empty());

  // API routes first: a file named like one is never served in its place.
  auto workflows = c.Get("/workflows");
  REQUIRE(workflows);
  CHECK(workflows->status == 200);
  CHECK(parse_json(workflows->body).IsArray());
  CHECK(parse_json(c.Get("/healthz")->body)["status"] == "ok");

  // Nothing outside the folder, nothing hidden, JSON 404s for what is not there.
  for (auto* path : {"/../outside.txt", "/%2e%2e/outside.txt", "/js/../../outside.txt", "/link.txt", "/.env",
                     "/nothing-here.js", "/js/nothing/"}) {
    INFO(path);
    auto res = c.Get(path);
    REQUIRE(res);
    CHECK(res->status == 404);
    CHECK(parse_json(res->body).HasMember("error"));
    CHECK(res->body.find("outside the site") == std::string::npos);
    CHECK(res->body.find("SECRET") == std::string::npos);
  }
  CHECK(server.stop() == 0);
}

TEST_CASE("web client: without --static-dir, / is a JSON 404") {
  temp_folder data("nostatic");
  server_process server(data.path());
  auto c = server.client();
  auto res = c.Get("/");
  REQUIRE(res);
  CHECK(res->status == 404);
  CHECK(parse_json(res->body).HasMember("error"));
  CHECK(server.stop() == 0);
}

TEST_CASE("web client: entries keep description, tags, summary, orientation, extra inputs and requestOrigin") {
  temp_folder data("fields");
  server_process server(data.path());
  auto c = server.client();

  // JSON body: tags as a list. An undeclared field is still ignored.
  auto id = start_async(c, R"({"workflow":"Builtin Text to Image","prompt":"a red fox","name":"Fox","seed":3,
      "orientation":"landscape","steps":2,"description":"A fox in snow","summary":"fox","tags":["Fox"," snow ",""],
      "requestOrigin":"yaaiic","undeclared":"dropped"})");
  auto ended = wait_for_end(c, id);
  REQUIRE(string_field(ended, "state") == "completed");
  auto& result = ended["result"];
  std::int64_t uid = result["uid"].GetInt64();

  auto check_entry = [&](const json::value& e) {
    CHECK(string_field(e, "description") == "A fox in snow");
    CHECK(string_field(e, "summary") == "fox");
    CHECK(string_field(e, "orientation") == "landscape");
    CHECK(string_field(e, "requestOrigin") == "yaaiic");
    REQUIRE(e["tags"].IsArray());
    REQUIRE(e["tags"].Size() == 2);
    CHECK(std::string(e["tags"][0].GetString()) == "Fox");
    CHECK(std::string(e["tags"][1].GetString()) == "snow");
    REQUIRE(e.HasMember("steps"));
    CHECK(e["steps"].GetInt64() == 2);
    CHECK_FALSE(e.HasMember("undeclared"));
  };
  check_entry(result);
  auto one = c.Get(("/media-data/" + std::to_string(uid)).c_str());
  REQUIRE(one);
  REQUIRE(one->status == 200);
  check_entry(parse_json(one->body));

  // Multipart, as the client's form sends it: tags as JSON text; a declared input left out
  // takes its default and is stored too.
  httplib::MultipartFormDataItems form = {{"workflow", "Builtin Tiny", "", ""},
                                          {"prompt", "a blue bird", "", ""},
                                          {"seed", "4", "", ""},
                                          {"description", "A bird", "", ""},
                                          {"tags", R"(["bird","Blue"])", "", ""},
                                          {"requestOrigin", "inpaint", "", ""}};
  auto posted = c.Post("/generate", form);
  REQUIRE(posted);
  REQUIRE(posted->status == 202);
  auto bird_id = string_field(parse_json(posted->body), "taskId");
  wait_for_end(c, bird_id);

  // Comma-separated tags work as well.
  auto third = start_async(c, R"({"workflow":"Builtin Text to Image","prompt":"p","steps":1,"tags":"fox, night"})");
  auto third_end = wait_for_end(c, third);
  CHECK(third_end["result"]["steps"].GetInt64() == 1);

  // Tag search (what the client's tag filter sends) now finds them; case does not matter.
  auto foxes = parse_json(fetch(c, "/media-data?tags=fox"));
  CHECK(foxes.Size() == 2);
  auto fox_in_snow = parse_json(fetch(c, "/media-data?tags=FOX,snow"));
  REQUIRE(fox_in_snow.Size() == 1);
  CHECK(fox_in_snow[0]["uid"].GetInt64() == uid);
  CHECK(parse_json(fetch(c, "/media-data?tags=blue"))[0]["requestOrigin"] == "inpaint");
  CHECK(parse_json(fetch(c, "/media-data?query=in%20snow")).Size() == 1);

  // The file on disk holds the same fields (after a restart they come back from it).
  CHECK(server.stop() == 0);
  server_process again(data.path());
  auto c2 = again.client();
  auto reloaded = c2.Get(("/media-data/" + std::to_string(uid)).c_str());
  REQUIRE(reloaded);
  REQUIRE(reloaded->status == 200);
  check_entry(parse_json(reloaded->body));
  CHECK(again.stop() == 0);
}

TEST_CASE("web client: bad description, tags or requestOrigin are refused and write nothing") {
  temp_folder data("badfields");
  server_process server(data.path());
  auto c = server.client();
  for (auto* body : {R"({"workflow":"Builtin Tiny","prompt":"p","tags":[1,2]})",
                     R"({"workflow":"Builtin Tiny","prompt":"p","tags":{"a":1}})",
                     R"({"workflow":"Builtin Tiny","prompt":"p","tags":"[not json"})",
                     R"({"workflow":"Builtin Tiny","prompt":"p","description":5})",
                     R"({"workflow":"Builtin Tiny","prompt":"p","summary":[]})",
                     R"({"workflow":"Builtin Tiny","prompt":"p","requestOrigin":true})"}) {
    INFO(body);
    auto res = post_json(c, "/generate", body);
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(parse_json(res->body)["error"].IsString());
  }
  std::string long_origin(201, 'o');
  auto res = post_json(c, "/generate",
                       R"({"workflow":"Builtin Tiny","prompt":"p","requestOrigin":")" + long_origin + "\"}");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(entries_in(data.path()) == 0);
  CHECK(files_in(data.path() / "storage") == 0);
  CHECK(server.stop() == 0);
}

TEST_CASE("web client: /media-data without limit answers the Node server's page of 10, newest first") {
  temp_folder data("page");
  server_process server(data.path());
  auto c = server.client();
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i)
    ids.push_back(start_async(c, R"({"workflow":"Builtin Tiny","prompt":"n)" + std::to_string(i) + "\"}"));
  for (auto& id : ids) wait_for_end(c, id);
  auto page = parse_json(fetch(c, "/media-data"));
  REQUIRE(page.Size() == 10);
  CHECK(page[0]["uid"].GetInt64() > page[9]["uid"].GetInt64());
  CHECK(parse_json(fetch(c, "/media-data?limit=12")).Size() == 12);
  CHECK(parse_json(fetch(c, "/media-data?limit=3")).Size() == 3);
  CHECK(server.stop() == 0);
}

TEST_CASE("web client: /generation/tasks/active carries requestOrigin") {
  temp_folder data("active");
  server_process server(data.path(), {"--builtin-workers=1"});
  auto c = server.client();
  auto slow = R"({"workflow":"Builtin Text to Image","prompt":"slow","orientation":"square","steps":200)";
  auto mine = start_async(c, std::string(slow) + R"(,"requestOrigin":"yaaiic"})");
  auto other = start_async(c, std::string(slow) + "}");
  auto active = parse_json(fetch(c, "/generation/tasks/active"));
  REQUIRE(active.IsArray());
  bool saw_mine = false, saw_other = false;
  for (auto& t : active.GetArray()) {
    REQUIRE(t.HasMember("requestOrigin"));
    if (string_field(t, "taskId") == mine) {
      saw_mine = true;
      CHECK(string_field(t, "requestOrigin") == "yaaiic");
      CHECK(t["progress"].HasMember("percentage"));
    }
    if (string_field(t, "taskId") == other) {
      saw_other = true;
      CHECK(t["requestOrigin"].IsNull());
    }
  }
  CHECK(saw_mine);
  CHECK(saw_other);
  // The client finds its task by origin, as app.mjs does on reload.
  auto status = parse_json(fetch(c, "/tasks/" + mine));
  CHECK(string_field(status, "requestOrigin") == "yaaiic");
  for (auto& id : {mine, other}) c.Delete(("/tasks/" + id).c_str());
  CHECK(server.stop() == 0);
}

TEST_CASE("web client: /status carries the Node server's comfyui and ollama readiness") {
  temp_folder data("ready");
  SUBCASE("builtin only: neither is ready") {
    server_process server(data.path());
    auto c = server.client();
    auto status = parse_json(fetch(c, "/status"));
    REQUIRE(status.HasMember("comfyui"));
    CHECK(status["comfyui"].GetBool() == false);
    CHECK(status["ollama"].GetBool() == false);
    CHECK(status["backends"].HasMember("builtin")); // our own shape is still there
    CHECK(server.stop() == 0);
  }
  SUBCASE("a reachable ComfyUI is ready") {
    fake_comfyui_process fake({"--step-ms=5"});
    server_process server(data.path(), {fake.flag()});
    auto c = server.client();
    CHECK(eventually([&] { return parse_json(fetch(c, "/status"))["comfyui"].GetBool(); }, 15s));
    CHECK(parse_json(fetch(c, "/status"))["ollama"].GetBool() == false);
    // ...and no longer once it is gone.
    fake.kill_hard();
    CHECK(eventually([&] { return !parse_json(fetch(c, "/status"))["comfyui"].GetBool(); }, 30s));
    CHECK(server.stop() == 0);
  }
}

TEST_CASE("web client: /generate/silent/sync is /generate/sync") {
  temp_folder data("silent");
  server_process server(data.path());
  auto c = server.client();
  auto res = post_json(c, "/generate/silent/sync",
                       R"({"workflow":"Builtin Tiny","prompt":"quiet","seed":9,"description":"d"})");
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  auto result = parse_json(res->body);
  CHECK(result["seed"].GetInt64() == 9);
  CHECK(string_field(result, "description") == "d");
  CHECK_FALSE(result.HasMember("uid"));
  CHECK(c.Get(string_field(result, "imageUrl").c_str())->status == 200);
  // Silent: nothing in the gallery. Refusals are the same as /generate/sync's.
  CHECK(entries_in(data.path()) == 0);
  auto refused = post_json(c, "/generate/silent/sync", R"({"prompt":"no workflow"})");
  REQUIRE(refused);
  CHECK(refused->status == 400);
  CHECK(string_field(parse_json(refused->body), "error") == "Workflow parameter is required");
  CHECK(server.stop() == 0);
}
