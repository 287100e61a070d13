// Robustness of the HTTP front end and the task lifecycle against clients that push, cancel,
// time out, send garbage or stall: admission (429), sync timeouts (504), cancellation, a table of
// bad requests that must be refused without writing anything, and slow clients.

#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <set>
#include <thread>

#include "robustness_support.hpp"
#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;
using namespace mediagen::testing::robust;

namespace {

// 640×640 with 200 steps: a few seconds of CPU, long enough to be caught queued or running.
const std::string slow_body =
    R"({"workflow":"Builtin Text to Image","prompt":"slow","orientation":"square","steps":200})";
const std::string tiny_body = R"({"workflow":"Builtin Tiny","prompt":"tiny"})";

auto is(const std::string& wanted) {
  return [wanted](const std::string& s) { return s == wanted; };
}

bool has_string_error(const std::string& body) {
  json::document d;
  return json::parse(body, d).empty() && d.IsObject() && d.HasMember("error") && d["error"].IsString() &&
         d["error"].GetStringLength() > 0;
}

json::document task_document(httplib::Client& c, const std::string& id) {
  auto res = c.Get(("/tasks/" + id).c_str());
  REQUIRE(res);
  REQUIRE(res->status == 200);
  return parse_json(res->body);
}

std::string multipart(const std::vector<std::pair<std::string, std::string>>& fields, const std::string& boundary) {
  std::string out;
  for (auto& [name, value] : fields)
    out += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  return out + "--" + boundary + "--\r\n";
}

} // namespace

TEST_CASE("robustness: a full queue answers 429 with Retry-After and starts nothing") {
  temp_folder data("admission");
  server_process server(data.path(), {"--max-queued-tasks=2", "--builtin-workers=1"});
  auto c = server.client(10);

  // One running (the only worker), two waiting: the queue is full.
  auto running = start_async(c, slow_body);
  REQUIRE(wait_for_state(c, running, is("running"), 10s) == "running");
  auto waiting1 = start_async(c, slow_body);
  auto waiting2 = start_async(c, slow_body);
  CHECK(state_of(c, waiting1) == "queued");
  CHECK(state_of(c, waiting2) == "queued");
  auto started = supervisor_figure(c, "started");
  auto refused = supervisor_figure(c, "refused");
  CHECK(started == 3);

  for (const char* path : {"/generate", "/generate/sync", "/generate", "/generate/sync"}) {
    CAPTURE(path);
    auto res = post_json(c, path, tiny_body);
    REQUIRE(res);
    CHECK(res->status == 429);
    CHECK(res->get_header_value("Content-Type") == "application/json");
    CHECK(has_string_error(res->body));
    auto retry = res->get_header_value("Retry-After");
    CHECK_FALSE(retry.empty());
    CHECK(retry.find_first_not_of("0123456789") == std::string::npos);
  }
  CHECK(supervisor_figure(c, "started") == started);
  CHECK(supervisor_figure(c, "refused") == refused + 4);
  auto active = c.Get("/generation/tasks/active");
  REQUIRE(active);
  CHECK(parse_json(active->body).Size() == 3);

  // Cancel the slow ones so the test ends fast; nothing refused or cancelled leaves a trace.
  for (auto& id : {waiting2, waiting1, running}) {
    auto res = c.Delete(("/tasks/" + id).c_str());
    REQUIRE(res);
    CHECK(res->status == 202);
  }
  for (auto& id : {waiting2, waiting1, running}) CHECK(wait_until_ended(c, id) == "cancelled");
  CHECK(supervisor_figure(c, "started") == started);
  CHECK(entries_in(data.path()) == 0);
  CHECK(files_in(data.path() / "storage") == 0);
  CHECK(files_in(data.path() / "inputs") == 0);

  // The queue drained: the server admits again.
  auto after = start_async(c, tiny_body);
  CHECK(wait_until_ended(c, after) == "completed");
  CHECK(entries_in(data.path()) == 1);
  CHECK(files_in(data.path() / "storage") == 1);
}

TEST_CASE("robustness: a sync request past its timeout answers 504 and its task still completes") {
  temp_folder data("synctimeout");
  server_process server(data.path(), {"--builtin-workers=2", "--sync-timeout-ms=150"});
  auto c = server.client(30);
  // ~1 s of rendering each; the timeouts are 50 ms, the server's 150 ms default, and 10 min
  // capped to 150 ms.
  const std::string base = R"({"workflow":"Builtin Text to Image","prompt":"late","orientation":"square","steps":90)";
  std::vector<std::string> bodies = {base + R"(,"timeoutMs":50})", base + "}", base + R"(,"timeoutMs":600000})"};
  std::vector<std::string> ids;
  for (auto& body : bodies) {
    CAPTURE(body);
    auto begin = std::chrono::steady_clock::now();
    auto res = post_json(c, "/generate/sync", body);
    auto took = std::chrono::steady_clock::now() - begin;
    REQUIRE(res);
    INFO("body: " << res->body);
    REQUIRE(res->status == 504);
    CHECK(res->get_header_value("Content-Type") == "application/json");
    auto d = parse_json(res->body);
    CHECK(has_string_error(res->body));
    REQUIRE(d.HasMember("taskId"));
    std::string id = d["taskId"].GetString();
    CHECK(std::string(d["statusUrl"].GetString()) == "/tasks/" + id);
    CHECK(took < 5s);
    // The answer came at the timeout, not at the end: the task is still going.
    auto state = state_of(c, id);
    CHECK((state == "queued" || state == "running"));
    ids.push_back(id);
  }
  for (auto& id : ids) {
    CAPTURE(id);
    REQUIRE(wait_until_ended(c, id, 40s) == "completed");
    auto status = task_document(c, id);
    REQUIRE(status.HasMember("result"));
    auto& result = status["result"];
    CHECK(std::string(result["taskId"].GetString()) == id);
    CHECK_FALSE(result.HasMember("uid")); // a sync result is never stored
    std::string url = result["imageUrl"].GetString();
    REQUIRE(url.rfind("/media/", 0) == 0);
    auto image = c.Get(url.c_str());
    REQUIRE(image);
    CHECK(image->status == 200);
    CHECK(image->get_header_value("Content-Type") == "image/png");
    CHECK(image->body.size() == result["outputs"][0]["bytes"].GetUint64());
  }
  // Sync is silent: no gallery entry, no event stream.
  CHECK(entries_in(data.path()) == 0);
  auto gallery = c.Get("/media-data");
  REQUIRE(gallery);
  CHECK(parse_json(gallery->body).Size() == 0);
  CHECK(files_in(data.path() / "storage") == ids.size());
}

TEST_CASE("robustness: cancelling running and queued tasks") {
  temp_folder data("cancel");
  server_process server(data.path(), {"--builtin-workers=1"});
  auto c = server.client(10);

  auto check_cancelled_stream = [](const std::vector<sse_event>& events, const std::string& id) {
    CHECK(event_reader::terminal_events(events) == std::vector<std::string>{"cancelled"});
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().event == "cancelled");
    auto d = parse_json(events.back().data);
    CHECK(std::string(d["taskId"].GetString()) == id);
    CHECK(std::string(d["status"].GetString()) == "cancelled");
    for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i].id == static_cast<std::int64_t>(i + 1));
    // The cancel is one progress event of its own (`cancelling`), the last before the end.
    REQUIRE(events.size() >= 2);
    auto& before = events[events.size() - 2];
    CHECK(before.event == "progress");
    CHECK(std::string(parse_json(before.data)["status"].GetString()) == "cancelling");
  };

  SUBCASE("DELETE /tasks/:id of a running task") {
    auto id = start_async(c, slow_body);
    event_reader events(server.port(), id);
    REQUIRE(wait_for_state(c, id, is("running"), 10s) == "running");
    auto res = c.Delete(("/tasks/" + id).c_str());
    REQUIRE(res);
    CHECK(res->status == 202);
    auto answer = parse_json(res->body);
    CHECK(answer["success"].GetBool());
    CHECK(std::string(answer["message"].GetString()) == "Cancellation requested");
    check_cancelled_stream(events.join(), id);
    CHECK(wait_until_ended(c, id) == "cancelled");
    auto status = task_document(c, id);
    CHECK(std::string(status["state"].GetString()) == "cancelled");
    CHECK_FALSE(status.HasMember("result"));
    auto again = c.Delete(("/tasks/" + id).c_str());
    REQUIRE(again);
    CHECK(again->status == 409);
    CHECK(has_string_error(again->body));
  }

  SUBCASE("POST /generate/cancel of a running task") {
    auto id = start_async(c, slow_body);
    event_reader events(server.port(), id);
    REQUIRE(wait_for_state(c, id, is("running"), 10s) == "running");
    auto res = post_json(c, "/generate/cancel", R"({"taskId":")" + id + "\"}");
    REQUIRE(res);
    CHECK(res->status == 202);
    check_cancelled_stream(events.join(), id);
    CHECK(wait_until_ended(c, id) == "cancelled");
    auto again = post_json(c, "/generate/cancel", R"({"taskId":")" + id + "\"}");
    REQUIRE(again);
    CHECK(again->status == 409);
    CHECK(has_string_error(again->body));
    auto unknown = post_json(c, "/generate/cancel", R"({"taskId":"0123456789abcdef0123456789abcdef"})");
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
    CHECK(has_string_error(unknown->body));
  }

  SUBCASE("cancelling a sync task answers the request waiting for it") {
    int status = 0;
    std::string body;
    std::thread waiter([&] {
      auto c2 = server.client(30);
      auto res = post_json(c2, "/generate/sync", slow_body);
      status = res ? res->status : -1;
      body = res ? res->body : "";
    });
    thread_guard guard{waiter};
    std::string id;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (id.empty() && std::chrono::steady_clock::now() < deadline) {
      auto active = c.Get("/generation/tasks/active");
      if (active && active->status == 200) {
        auto list = parse_json(active->body);
        if (list.Size() == 1) id = list[0]["taskId"].GetString();
      }
      if (id.empty()) std::this_thread::sleep_for(10ms);
    }
    REQUIRE_FALSE(id.empty());
    CHECK(wait_for_state(c, id, is("running"), 10s) == "running");
    auto res = c.Delete(("/tasks/" + id).c_str());
    REQUIRE(res);
    CHECK(res->status == 202);
    waiter.join();
    INFO("sync answer: " << body);
    CHECK(status >= 400);
    CHECK(has_string_error(body));
    json::document d;
    REQUIRE(json::parse(body, d).empty());
    CHECK((d.HasMember("taskId") && d["taskId"] == id.c_str()));
    CHECK(wait_until_ended(c, id) == "cancelled");
  }

  SUBCASE("a queued task that is cancelled never starts") {
    auto ahead = start_async(c, slow_body);
    auto queued = start_async(c, slow_body);
    event_reader ahead_events(server.port(), ahead);
    event_reader queued_events(server.port(), queued);
    REQUIRE(wait_for_state(c, ahead, is("running"), 10s) == "running");
    CHECK(state_of(c, queued) == "queued");
    auto res = c.Delete(("/tasks/" + queued).c_str());
    REQUIRE(res);
    CHECK(res->status == 202);
    auto& events = queued_events.join();
    check_cancelled_stream(events, queued);
    // It never ran: queued, then the cancel's own `cancelling` event, never in-progress.
    for (auto& e : events)
      if (e.event == "progress") CHECK(std::string(parse_json(e.data)["status"].GetString()) != "in-progress");
    CHECK(wait_until_ended(c, queued) == "cancelled");
    auto status = task_document(c, queued);
    CHECK(status["startedAt"].IsNull());
    // The worker never saw it: the backend dropped it from its queue.
    auto actors = parse_json(c.Get("/debug/actors")->body);
    for (auto& a : actors["actors"].GetArray())
      if (a["kind"] == "backend" && a.HasMember("cancelledWhileQueued"))
        CHECK(a["cancelledWhileQueued"].GetUint64() == 1);
    // The one ahead was not disturbed; now cancel it too.
    CHECK(state_of(c, ahead) == "running");
    REQUIRE(c.Delete(("/tasks/" + ahead).c_str())->status == 202);
    check_cancelled_stream(ahead_events.join(), ahead);
  }

  // Whatever was cancelled left no gallery entry and no output file.
  CHECK(entries_in(data.path()) == 0);
  auto gallery = c.Get("/media-data");
  REQUIRE(gallery);
  CHECK(parse_json(gallery->body).Size() == 0);
  CHECK(files_in(data.path() / "storage") == 0);
}

TEST_CASE("robustness: bad requests are refused with JSON, write nothing and leave the server healthy") {
  temp_folder data("badinput");
  server_process server(data.path(), {"--max-upload-bytes=262144", "--max-header-bytes=4096", "--builtin-workers=1"});
  auto c = server.client(10);
  // One stored entry, so that media-data.json exists and can be compared byte for byte.
  auto first = start_async(c, tiny_body);
  REQUIRE(wait_until_ended(c, first) == "completed");
  // A link inside storage that points outside it, at a file whose content must never be served.
  const std::string secret = "TOP-SECRET-CONTENT-5d1e";
  { std::ofstream(data.path() / "secret.txt") << secret; }
  fs::create_symlink(data.path() / "secret.txt", data.path() / "storage" / "escape.png");
  fs::create_symlink(data.path() / "database", data.path() / "storage" / "escape-dir");

  const std::string db_before = durable_entries_text(data.path());
  REQUIRE_FALSE(db_before.empty());
  const auto storage_before = files_in(data.path() / "storage");
  const auto inputs_before = files_in(data.path() / "inputs");
  const auto started_before = supervisor_figure(c, "started");

  const std::string json_type = "application/json";
  auto post = [&](const std::string& path, const std::string& body, const std::string& type = "application/json") {
    return http_request("POST", path, body, type);
  };
  auto get = [](const std::string& target) { return http_request("GET", target); };
  const std::string tti = R"("workflow":"Builtin Text to Image","prompt":"p",)";
  const std::string big(100 * 1024, 'a');
  const std::string boundary = "rbBoundary7c2e";
  const std::string form = "multipart/form-data; boundary=" + boundary;

  struct row {
    std::string what;
    std::string request;
    std::set<int> status;
  };
  std::vector<row> rows = {
      // Malformed JSON.
      {"truncated object", post("/generate", R"({"workflow":"Builtin Tiny",)"), {400}},
      {"unquoted key", post("/generate", R"({workflow:"Builtin Tiny"})"), {400}},
      {"single quotes", post("/generate", R"({'workflow':'Builtin Tiny'})"), {400}},
      {"trailing comma", post("/generate", R"({"workflow":"Builtin Tiny",})"), {400}},
      {"missing comma", post("/generate", R"({"workflow":"Builtin Tiny" "prompt":"x"})"), {400}},
      {"trailing garbage", post("/generate", R"({"workflow":"Builtin Tiny"} x)"), {400}},
      {"two documents", post("/generate", R"({"workflow":"Builtin Tiny"}{"workflow":"Builtin Tiny"})"), {400}},
      {"bad escape", post("/generate", R"({"workflow":"Builtin Tiny","prompt":"\x"})"), {400}},
      {"lone surrogate", post("/generate", R"({"workflow":"Builtin Tiny","prompt":"\ud800"})"), {400}},
      {"NaN literal", post("/generate", R"({"workflow":"Builtin Tiny","seed":NaN})"), {400}},
      {"comment", post("/generate", R"({"workflow":"Builtin Tiny" /* c */})"), {400}},
      {"raw newline in a string", post("/generate", "{\"workflow\":\"Builtin Tiny\",\"prompt\":\"a\nb\"}"), {400}},
      {"empty body", post("/generate", ""), {400}},
      {"body null", post("/generate", "null"), {400}},
      {"body []", post("/generate", "[]"), {400}},
      {"top-level string", post("/generate", R"("Builtin Tiny")"), {400}},
      {"top-level number", post("/generate", "42"), {400}},
      {"top-level true", post("/generate", "true"), {400}},
      {"100000 [", post("/generate", std::string(100000, '[')), {400}},
      {"100000 [ inside a field", post("/generate", R"({"workflow":)" + std::string(100000, '[')), {400}},
      {"40000 { inside a field",
       post(
           "/generate", R"({"workflow":"Builtin Tiny","x":)" +
                            [] {
                              std::string s;
                              for (int i = 0; i < 40000; ++i) s += "{\"a\":";
                              return s;
                            }()),
       {400}},
      {"invalid UTF-8 bytes", post("/generate", "{\"workflow\":\"Builtin Tiny\",\"prompt\":\"\xff\xfe\"}"), {400}},
      {"overlong UTF-8", post("/generate", "{\"workflow\":\"Builtin Tiny\",\"prompt\":\"\xc0\xaf\"}"), {400}},
      {"truncated UTF-8", post("/generate", "{\"workflow\":\"Builtin Tiny\",\"prompt\":\"\xe2\x82\"}"), {400}},
      {"UTF-8 surrogate bytes",
       post("/generate", "{\"workflow\":\"Builtin Tiny\",\"prompt\":\"\xed\xa0\x80\"}"),
       {400}},
      // Wrong types and values, field by field.
      {"workflow missing", post("/generate", R"({"prompt":"x"})"), {400}},
      {"workflow number", post("/generate", R"({"workflow":123})"), {400}},
      {"workflow null", post("/generate", R"({"workflow":null})"), {400}},
      {"workflow array", post("/generate", R"({"workflow":["Builtin Tiny"]})"), {400}},
      {"workflow object", post("/generate", R"({"workflow":{"name":"Builtin Tiny"}})"), {400}},
      {"workflow bool", post("/generate", R"({"workflow":true})"), {400}},
      {"workflow empty", post("/generate", R"({"workflow":""})"), {400}},
      {"workflow other case", post("/generate", R"({"workflow":"builtin tiny"})"), {400}},
      {"workflow unknown", post("/generate", R"({"workflow":"Nope"})"), {400}},
      {"workflow 100 KB", post("/generate", R"({"workflow":")" + big + "\"}"), {400}},
      {"prompt number", post("/generate", R"({"workflow":"Builtin Tiny","prompt":5})"), {400}},
      {"prompt array", post("/generate", R"({"workflow":"Builtin Tiny","prompt":["x"]})"), {400}},
      {"prompt object", post("/generate", R"({"workflow":"Builtin Tiny","prompt":{"a":1}})"), {400}},
      {"prompt bool", post("/generate", R"({"workflow":"Builtin Tiny","prompt":true})"), {400}},
      {"prompt 100 KB", post("/generate", R"({"workflow":"Builtin Tiny","prompt":")" + big + "\"}"), {400}},
      {"prompt missing where required", post("/generate", R"({"workflow":"Builtin Text to Image"})"), {400}},
      {"prompt blank where required",
       post("/generate", R"({"workflow":"Builtin Text to Image","prompt":" \t\n"})"),
       {400}},
      {"name number", post("/generate", R"({"workflow":"Builtin Tiny","name":5})"), {400}},
      {"name array", post("/generate", R"({"workflow":"Builtin Tiny","name":["x"]})"), {400}},
      {"name 100 KB", post("/generate", R"({"workflow":"Builtin Tiny","name":")" + big + "\"}"), {400}},
      {"seed text", post("/generate", R"({"workflow":"Builtin Tiny","seed":"abc"})"), {400}},
      {"seed float", post("/generate", R"({"workflow":"Builtin Tiny","seed":1.5})"), {400}},
      {"seed negative", post("/generate", R"({"workflow":"Builtin Tiny","seed":-1})"), {400}},
      {"seed 2^53+1", post("/generate", R"({"workflow":"Builtin Tiny","seed":9007199254740993})"), {400}},
      {"seed 2^64", post("/generate", R"({"workflow":"Builtin Tiny","seed":18446744073709551616})"), {400}},
      {"seed 1e300", post("/generate", R"({"workflow":"Builtin Tiny","seed":1e300})"), {400}},
      {"seed array", post("/generate", R"({"workflow":"Builtin Tiny","seed":[1]})"), {400}},
      {"seed object", post("/generate", R"({"workflow":"Builtin Tiny","seed":{"v":1}})"), {400}},
      {"seed bool", post("/generate", R"({"workflow":"Builtin Tiny","seed":true})"), {400}},
      {"seed float text", post("/generate", R"({"workflow":"Builtin Tiny","seed":"1.5"})"), {400}},
      {"seed negative text", post("/generate", R"({"workflow":"Builtin Tiny","seed":"-7"})"), {400}},
      {"seed hex text", post("/generate", R"({"workflow":"Builtin Tiny","seed":"0x10"})"), {400}},
      {"orientation number", post("/generate", R"({"workflow":"Builtin Tiny","orientation":5})"), {400}},
      {"orientation unknown", post("/generate", R"({"workflow":"Builtin Tiny","orientation":"diagonal"})"), {400}},
      {"orientation array", post("/generate", R"({"workflow":"Builtin Tiny","orientation":["square"]})"), {400}},
      {"orientation other case", post("/generate", R"({"workflow":"Builtin Tiny","orientation":"SQUARE"})"), {400}},
      {"steps text", post("/generate", "{" + tti + R"("steps":"abc"})"), {400}},
      {"steps bool", post("/generate", "{" + tti + R"("steps":true})"), {400}},
      {"steps too big", post("/generate", "{" + tti + R"("steps":201})"), {400}},
      {"steps zero", post("/generate", "{" + tti + R"("steps":0})"), {400}},
      {"steps negative", post("/generate", "{" + tti + R"("steps":-5})"), {400}},
      {"steps huge text", post("/generate", "{" + tti + R"("steps":"1e9"})"), {400}},
      {"steps nan text", post("/generate", "{" + tti + R"("steps":"nan"})"), {400}},
      {"steps array", post("/generate", "{" + tti + R"("steps":[10]})"), {400}},
      {"steps object", post("/generate", "{" + tti + R"("steps":{"n":1}})"), {400}},
      {"sync: body []", post("/generate/sync", "[]"), {400}},
      {"sync: unknown workflow", post("/generate/sync", R"({"workflow":"Nope"})"), {400}},
      {"sync: steps too big", post("/generate/sync", "{" + tti + R"("steps":999})"), {400}},
      {"sync: timeoutMs text", post("/generate/sync", R"({"workflow":"Builtin Tiny","timeoutMs":"soon"})"), {400}},
      {"sync: timeoutMs zero", post("/generate/sync", R"({"workflow":"Builtin Tiny","timeoutMs":0})"), {400}},
      {"sync: timeoutMs negative", post("/generate/sync", R"({"workflow":"Builtin Tiny","timeoutMs":-5})"), {400}},
      {"sync: cancelOnDisconnect odd",
       post("/generate/sync", R"({"workflow":"Builtin Tiny","cancelOnDisconnect":"maybe"})"),
       {400}},
      // Content types and sizes.
      {"text/plain", post("/generate", R"({"workflow":"Builtin Tiny"})", "text/plain"), {415}},
      {"no content type", post("/generate", R"({"workflow":"Builtin Tiny"})", ""), {415}},
      {"application/xml", post("/generate", "<workflow>Builtin Tiny</workflow>", "application/xml"), {415}},
      {"sync text/plain", post("/generate/sync", R"({"workflow":"Builtin Tiny"})", "text/plain"), {415}},
      {"body over --max-upload-bytes",
       post("/generate", R"({"workflow":"Builtin Tiny","prompt":")" + std::string(300 * 1024, 'a') + "\"}"),
       {413}},
      {"multipart: invalid UTF-8 field",
       post("/generate", multipart({{"workflow", "Builtin Tiny"}, {"prompt", "\xff\xfe"}}, boundary), form),
       {400}},
      {"multipart: seed text",
       post("/generate", multipart({{"workflow", "Builtin Tiny"}, {"seed", "abc"}}, boundary), form),
       {400}},
      {"multipart: no workflow", post("/generate", multipart({{"prompt", "x"}}, boundary), form), {400}},
      {"multipart: steps too big",
       post("/generate",
            multipart({{"workflow", "Builtin Text to Image"}, {"prompt", "x"}, {"steps", "500"}}, boundary), form),
       {400}},
      // /media paths that leave storage or are not plain names.
      {"media: ..", get("/media/../database/media-data.json"), {400, 404}},
      {"media: ../ to secret", get("/media/../secret.txt"), {400, 404}},
      {"media: %2e%2e", get("/media/%2e%2e/secret.txt"), {400, 404}},
      {"media: %2e%2e%2f", get("/media/%2e%2e%2fsecret.txt"), {400, 404}},
      {"media: ..%2f", get("/media/..%2fdatabase%2fmedia-data.json"), {400, 404}},
      {"media: %2f", get("/media/escape-dir%2fmedia-data.json"), {400, 404}},
      {"media: backslash", get("/media/..%5csecret.txt"), {400, 404}},
      {"media: %00", get("/media/escape.png%00.png"), {400, 404}},
      {"media: absolute", get("/media//etc/passwd"), {400, 404}},
      {"media: encoded absolute", get("/media/%2fetc%2fpasswd"), {400, 404}},
      {"media: symlink leaving storage", get("/media/escape.png"), {400, 404}},
      {"media: through a linked folder", get("/media/escape-dir/media-data.json"), {400, 404}},
      {"media: hidden name", get("/media/.hidden"), {400, 404}},
      {"media: missing", get("/media/image_999999.png"), {404}},
      // Header limits (many headers together over --max-header-bytes).
      {"headers over --max-header-bytes",
       [] {
         std::vector<std::string> headers;
         for (int i = 0; i < 40; ++i) headers.push_back("X-Filler-" + std::to_string(i) + ": " + std::string(200, 'h'));
         return http_request("GET", "/healthz", "", "", headers);
       }(),
       {431}},
      // Routes and methods.
      {"unknown route", get("/no/such/route"), {404}},
      {"unknown route under /generate", post("/generate/nothing", "{}"), {404}},
      {"GET /generate", get("/generate"), {404, 405}},
      {"PUT /generate", http_request("PUT", "/generate", R"({"workflow":"Builtin Tiny"})", json_type), {404, 405}},
      {"DELETE /media-data", http_request("DELETE", "/media-data"), {404, 405}},
      {"PATCH /tasks/x", http_request("PATCH", "/tasks/abc", "{}", json_type), {404, 405}},
      {"POST /healthz", post("/healthz", "{}"), {404, 405}},
      {"media-data/abc", get("/media-data/abc"), {400}},
      {"media-data/-1", get("/media-data/-1"), {400}},
      {"media-data/1.5", get("/media-data/1.5"), {400}},
      {"media-data/huge", get("/media-data/99999999999999999999999"), {400}},
      {"media-data?limit=x", get("/media-data?limit=x"), {400}},
      {"media-data?limit=-1", get("/media-data?limit=-1"), {400}},
      {"media-data?sort=sideways", get("/media-data?sort=sideways"), {400}},
      {"tasks/ (no id)", get("/tasks/"), {404}},
      {"tasks/..", get("/tasks/%2e%2e"), {404}},
      {"tasks/ 65 chars", get("/tasks/" + std::string(65, 'a')), {404}},
      {"tasks/ with NUL", get("/tasks/a%00b"), {404}},
      {"tasks/ with space", get("/tasks/a%20b"), {404}},
      {"tasks/ with quote", get("/tasks/a%22b"), {404}},
      {"tasks/ unknown", get("/tasks/0123456789abcdef0123456789abcdef"), {404}},
      {"DELETE tasks/ unknown", http_request("DELETE", "/tasks/0123456789abcdef0123456789abcdef"), {404}},
      {"DELETE tasks/ odd", http_request("DELETE", "/tasks/..%2f.."), {404}},
      {"progress/ unknown", get("/progress/0123456789abcdef0123456789abcdef"), {404}},
      {"progress/ odd", get("/progress/%2e%2e"), {404}},
      {"progress/ 65 chars", get("/progress/" + std::string(65, 'b')), {404}},
      {"cancel: {}", post("/generate/cancel", "{}"), {400}},
      {"cancel: not JSON", post("/generate/cancel", "cancel it"), {400}},
      {"cancel: taskId number", post("/generate/cancel", R"({"taskId":5})"), {400}},
      {"cancel: taskId odd", post("/generate/cancel", R"({"taskId":"../x"})"), {400}},
      {"cancel: unknown", post("/generate/cancel", R"({"taskId":"0123456789abcdef0123456789abcdef"})"), {404}},
  };
  REQUIRE(rows.size() >= 40);

  for (auto& r : rows) {
    CAPTURE(r.what);
    auto res = raw_exchange(server.port(), r.request);
    INFO("answer: " << res.raw.substr(0, 400));
    CHECK(r.status.count(res.status) == 1);
    CHECK(res.headers["content-type"] == "application/json");
    CHECK(has_string_error(res.body));
    CHECK(res.body.find(secret) == std::string::npos);
    CHECK(res.body.find("mediaData") == std::string::npos);
    CHECK(res.body.find(data.path().string()) == std::string::npos); // no server path in answers
    // Nothing written.
    CHECK(durable_entries_text(data.path()) == db_before);
    CHECK(files_in(data.path() / "storage") == storage_before);
    CHECK(files_in(data.path() / "inputs") == inputs_before);
    auto health = c.Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);
  }
  CHECK(supervisor_figure(c, "started") == started_before);
  CHECK(entries_in(data.path()) == 1);
}

TEST_CASE("robustness: fields nobody declared are accepted and appear nowhere") {
  temp_folder data("undeclared");
  server_process server(data.path(), {"--builtin-workers=1"});
  auto c = server.client(30);
  const std::string marker = "marker-9b41";
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += '[';
  for (int i = 0; i < 100000; ++i) deep += ']';
  const std::string body = R"({"workflow":"Builtin Tiny","prompt":"plain","clientOrigin":"web-)" + marker +
                           R"(","evil":{"x":")" + marker +
                           R"(","__proto__":{"polluted":1}},"graph":{"1":{"class_type":"SaveImage"}},"deepNest":)" +
                           deep + "}";
  auto id = start_async(c, body);
  event_reader events(server.port(), id);
  auto& log = events.join();
  REQUIRE_FALSE(log.empty());
  REQUIRE(log.back().event == "complete");
  auto not_leaked = [&](const std::string& text) {
    CHECK(text.find(marker) == std::string::npos);
    CHECK(text.find("clientOrigin") == std::string::npos);
    CHECK(text.find("evil") == std::string::npos);
    CHECK(text.find("polluted") == std::string::npos);
    CHECK(text.find("deepNest") == std::string::npos);
    CHECK(text.find(data.path().string()) == std::string::npos); // no server path in a result
  };
  for (auto& e : log) not_leaked(e.data);
  auto status = c.Get(("/tasks/" + id).c_str());
  REQUIRE(status);
  not_leaked(status->body);
  auto db = durable_entries_text(data.path());
  not_leaked(db);
  auto uid = parse_json(log.back().data)["result"]["uid"].GetInt64();
  auto entry = c.Get(("/media-data/" + std::to_string(uid)).c_str());
  REQUIRE(entry);
  CHECK(entry->status == 200);
  not_leaked(entry->body);
  // The same through sync.
  auto sync = post_json(c, "/generate/sync", body);
  REQUIRE(sync);
  CHECK(sync->status == 200);
  not_leaked(sync->body);
  CHECK(c.Get("/healthz")->status == 200);
}

TEST_CASE("robustness: a task's SSE subscriber limit answers 503 JSON, and ended streams still replay") {
  temp_folder data("sselimit");
  server_process server(data.path(), {"--sse-subscribers-per-task=2", "--builtin-workers=1"});
  auto c = server.client(10);
  auto id = start_async(c, slow_body);
  event_reader first(server.port(), id), second(server.port(), id);
  auto hub_subscribers = [&] {
    auto actors = parse_json(c.Get("/debug/actors")->body);
    for (auto& a : actors["actors"].GetArray())
      if (a["kind"] == "sse_hub") return a["subscribers"].GetInt64();
    return std::int64_t{-1};
  };
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (hub_subscribers() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  REQUIRE(hub_subscribers() == 2);
  auto third = raw_exchange(server.port(), http_request("GET", "/progress/" + id));
  INFO("answer: " << third.raw.substr(0, 300));
  CHECK(third.status == 503);
  CHECK(third.headers["content-type"] == "application/json");
  CHECK(has_string_error(third.body));
  REQUIRE(c.Delete(("/tasks/" + id).c_str())->status == 202);
  CHECK(event_reader::terminal_events(first.join()) == std::vector<std::string>{"cancelled"});
  CHECK(event_reader::terminal_events(second.join()) == std::vector<std::string>{"cancelled"});
  // The slots are free again, and an ended task's log is replayed whole.
  CHECK(hub_subscribers() == 0);
  int status = 0;
  auto replay = read_events(server.port(), id, -1, std::chrono::seconds(5), &status);
  CHECK(status == 200);
  CHECK(event_reader::terminal_events(replay) == std::vector<std::string>{"cancelled"});
}

// Bug: /media answers an unsatisfiable Range with cpp-httplib's own 416, whose body is empty (and
// typed image/png) or the JSON error cut to the requested range; docs/API.md: every error is JSON.
TEST_CASE("robustness: an unsatisfiable Range on /media answers 416 with a JSON error") {
  temp_folder data("range");
  server_process server(data.path());
  auto c = server.client(10);
  auto res = post_json(c, "/generate/sync", tiny_body);
  REQUIRE(res);
  REQUIRE(res->status == 200);
  std::string url = parse_json(res->body)["imageUrl"].GetString();
  auto size = parse_json(res->body)["outputs"][0]["bytes"].GetUint64();

  auto ranged = raw_exchange(server.port(), http_request("GET", url, "", "", {"Range: bytes=0-9"}));
  CHECK(ranged.status == 206);
  CHECK(ranged.body.size() == 10);
  CHECK(ranged.headers["content-range"] == "bytes 0-9/" + std::to_string(size));

  for (std::string range : {"bytes=abc", "bytes=999999-", "bytes=0-1,5-4"}) {
    CAPTURE(range);
    auto r = raw_exchange(server.port(), http_request("GET", url, "", "", {"Range: " + range}));
    INFO("answer: " << r.raw.substr(0, 400));
    CHECK(r.status == 416);
    CHECK(r.headers["content-type"] == "application/json");
    CHECK(has_string_error(r.body));
  }
}

// Bug: validation reads the workflow name and the orientation with GetString(), which stops at
// the first NUL; "Builtin Tiny\u0000junk" is taken for "Builtin Tiny" instead of an unknown name.
TEST_CASE("robustness: text fields with an embedded NUL are compared whole") {
  temp_folder data("nul");
  server_process server(data.path());
  auto c = server.client(10);
  for (std::string body : {R"({"workflow":"Builtin Tiny\u0000junk"})",
                           R"({"workflow":"Builtin Tiny","orientation":"square\u0000junk"})"}) {
    CAPTURE(body);
    auto res = post_json(c, "/generate", body);
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(has_string_error(res->body));
  }
  CHECK(supervisor_figure(c, "started") == 0);
  CHECK(files_in(data.path() / "storage") == 0);
}

// Two Content-Length headers make the framing ambiguous (RFC 9112 §6.3: answer 400, then close).
TEST_CASE("robustness: a request with two Content-Length headers is refused and its connection closed") {
  temp_folder data("dupcl");
  server_process server(data.path());
  auto c = server.client(10);
  const std::string body = R"({"workflow":"Builtin Tiny","prompt":"x"})";
  for (auto lengths : {std::make_pair(body.size(), body.size()), std::make_pair(body.size(), std::size_t{5}),
                       std::make_pair(std::size_t{5}, body.size())}) {
    CAPTURE(lengths.first);
    CAPTURE(lengths.second);
    std::string request = "POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: " +
                          std::to_string(lengths.first) + "\r\nContent-Length: " + std::to_string(lengths.second) +
                          "\r\n\r\n" + body;
    auto res = raw_exchange(server.port(), request, 10s, 2s);
    INFO("answer: " << res.raw);
    CHECK(res.status == 400);
    CHECK(has_string_error(res.body));
    CHECK((res.closed || res.headers["connection"] == "close"));
  }
  CHECK(supervisor_figure(c, "started") == 0);
  CHECK(c.Get("/healthz")->status == 200);
}

// The header limit is configurable up to httplib's own 8 KiB per line: headers over the
// configured total get 431; a single line over 8 KiB is refused by httplib (400); both JSON.
TEST_CASE("robustness: header size limits follow --max-header-bytes") {
  temp_folder data("headers");
  server_process server(data.path(), {"--max-header-bytes=4096"});
  SUBCASE("headers over the configured total answer 431") {
    auto res = raw_exchange(server.port(),
                            http_request("GET", "/healthz", "", "", {"X-Long: " + std::string(5000, 'h')}));
    INFO("answer: " << res.raw.substr(0, 300));
    CHECK(res.status == 431);
    CHECK(has_string_error(res.body));
  }
  SUBCASE("one line over httplib's 8 KiB answers 400") {
    auto res = raw_exchange(server.port(),
                            http_request("GET", "/healthz", "", "", {"X-Long: " + std::string(9000, 'h')}));
    INFO("answer: " << res.raw.substr(0, 300));
    CHECK(res.status == 400);
    CHECK(has_string_error(res.body));
  }
  SUBCASE("headers within the limit are accepted") {
    auto res = raw_exchange(server.port(),
                            http_request("GET", "/healthz", "", "", {"X-Long: " + std::string(3000, 'h')}));
    CHECK(res.status == 200);
  }
}

TEST_CASE("robustness: a client that stops in the middle of the request line is cut off") {
  temp_folder data("slowloris");
  server_process server(data.path(), {"--read-timeout-seconds=1"});
  auto c = server.client(5);
  std::vector<std::unique_ptr<raw_socket>> stalled;
  for (int i = 0; i < 20; ++i) {
    stalled.push_back(std::make_unique<raw_socket>(server.port()));
    REQUIRE(stalled.back()->connected());
    REQUIRE(stalled.back()->send_all("GET /heal"));
  }
  auto begin = std::chrono::steady_clock::now();
  // Meanwhile the server answers everybody else.
  auto health = c.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  for (auto& s : stalled) {
    std::string got;
    CHECK(s->wait_closed(4s, &got));
    // Closing silently or with a 408/400 are both fine; it must not be a success.
    CHECK(got.find(" 200 ") == std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - begin < 3500ms);
  health = c.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
}

// The read timeout bounds each read, not the whole request, so a client that sends one byte now
// and then would hold an HTTP thread forever; --request-timeout-seconds bounds the whole request.
TEST_CASE("robustness: clients trickling their headers byte by byte do not take the server down") {
  temp_folder data("trickle");
  server_process server(data.path(), {"--read-timeout-seconds=1", "--request-timeout-seconds=1", "--http-workers=4",
                                      "--http-workers-max=4"});
  std::vector<std::unique_ptr<raw_socket>> slow;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::make_unique<raw_socket>(server.port()));
    REQUIRE(slow.back()->connected());
    REQUIRE(slow.back()->send_all("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> cut_off{0};
  std::thread trickler([&] {
    std::vector<bool> open(slow.size(), true);
    auto until = std::chrono::steady_clock::now() + 8s;
    while (!stop && std::chrono::steady_clock::now() < until) {
      for (std::size_t i = 0; i < slow.size(); ++i)
        if (open[i] && !slow[i]->send_all("a")) {
          open[i] = false;
          ++cut_off;
        }
      std::this_thread::sleep_for(300ms);
    }
  });
  std::this_thread::sleep_for(1500ms); // past the 1 s read timeout
  auto c = server.client(2);
  auto begin = std::chrono::steady_clock::now();
  auto health = c.Get("/healthz");
  auto took = std::chrono::steady_clock::now() - begin;
  stop = true;
  trickler.join();
  INFO("trickling clients cut off by the server: " << cut_off.load());
  CHECK(health);
  if (health) CHECK(health->status == 200);
  CHECK(took < 2s);
  slow.clear(); // frees the server's threads before it is stopped
}
