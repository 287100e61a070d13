// HTTP semantics at the edge, over loopback against the real binary: browser EventSource
// semantics (retry:, 204 after the terminal event), CORS, API keys on each route class, and the
// conventions every answer keeps (404/405/OPTIONS JSON, trailing slash, HEAD, Date, Vary,
// X-Request-Id and the access log).

#include <doctest/doctest.h>

#include "http/route_table.hpp"
#include "robustness_support.hpp"
#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;
using namespace mediagen::testing::robust;
using namespace std::chrono_literals;

namespace {

const char* tiny = R"({"workflow":"Builtin Tiny","prompt":"edge"})";

/// Starts a Builtin Tiny task and waits for it to end; its id.
std::string finished_task(httplib::Client& c, const httplib::Headers& auth = {}) {
  auto res = c.Post("/generate", auth, tiny, "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 202);
  std::string id = parse_json(res->body)["taskId"].GetString();
  REQUIRE(eventually(
      [&] {
        auto t = c.Get(("/tasks/" + id).c_str(), auth);
        return t && t->status == 200 && t->body.find("\"completed\"") != std::string::npos;
      },
      30s));
  return id;
}

/// The /media/ URL of a finished task's image.
std::string image_url(httplib::Client& c, const std::string& id, const httplib::Headers& auth = {}) {
  auto t = c.Get(("/tasks/" + id).c_str(), auth);
  REQUIRE(t);
  return parse_json(t->body)["result"]["imageUrl"].GetString();
}

bool is_json_error(const httplib::Result& res) {
  return res && res->get_header_value("Content-Type") == "application/json" && res->body.find("{\"error\":") == 0;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

} // namespace

TEST_CASE("sse: every stream starts with retry:, and a subscribe at or past the terminal event answers 204") {
  temp_folder data("edge-sse");
  server_process server(data.path(), {"--sse-retry-ms=1234"});
  auto c = server.client(10);
  auto id = finished_task(c);

  auto whole = raw_exchange(server.port(), http_request("GET", "/progress/" + id), 10s);
  REQUIRE(whole.status == 200);
  // The retry line comes first, before any event (the body is chunked: its first chunk).
  auto body_at = whole.raw.find("\r\n\r\n");
  REQUIRE(body_at != std::string::npos);
  auto first_event = whole.raw.find("id: 1\n");
  auto retry = whole.raw.find("retry: 1234\n\n");
  REQUIRE(retry != std::string::npos);
  CHECK(retry > body_at);
  CHECK(retry < first_event);

  auto events = read_events(server.port(), id);
  REQUIRE(events.size() >= 2);
  auto terminal = events.back().id;
  CHECK(events.back().event == "complete");

  SUBCASE("Last-Event-ID at the terminal event: 204, no body") {
    auto res = raw_exchange(
        server.port(), http_request("GET", "/progress/" + id, {}, {}, {"Last-Event-ID: " + std::to_string(terminal)}));
    CHECK(res.status == 204);
    CHECK(res.body.empty());
    CHECK(res.headers.count("content-length") == 0);
  }
  SUBCASE("Last-Event-ID past the terminal event: 204") {
    int status = 0;
    auto none = read_events(server.port(), id, terminal + 10, 10s, &status);
    CHECK(status == 204);
    CHECK(none.empty());
  }
  SUBCASE("a reconnect that lost events gets exactly the missing ones, then the stream closes") {
    int status = 0;
    auto missing = read_events(server.port(), id, terminal - 2, 10s, &status);
    CHECK(status == 200);
    REQUIRE(missing.size() == 2);
    CHECK(missing[0].id == terminal - 1);
    CHECK(missing[1].id == terminal);
    CHECK(missing[1].event == "complete");
  }
  SUBCASE("an unknown task is still 404 JSON, whatever the Last-Event-ID") {
    int status = 0;
    read_events(server.port(), "nosuchtask", 5, 5s, &status);
    CHECK(status == 404);
  }
}

TEST_CASE("sse: a running task's stream is not answered 204, even with its last id so far") {
  temp_folder data("edge-sse-running");
  server_process server(data.path(), {"--builtin-workers=1"});
  auto c = server.client(10);
  // A long task ahead keeps this one queued: its log holds one event, and it has not ended.
  auto ahead = start_async(
      c, R"({"workflow":"Builtin Text to Image","prompt":"long","orientation":"square","steps":200})");
  auto waiting = start_async(c, tiny);
  raw_socket s(server.port());
  REQUIRE(s.connected());
  REQUIRE(s.send_all(http_request("GET", "/progress/" + waiting, {}, {}, {"Last-Event-ID: 1"})));
  auto head = s.read_for(800ms);
  CHECK(head.find("HTTP/1.1 200") == 0);
  CHECK(head.find("retry: ") != std::string::npos);
  c.Delete(("/tasks/" + ahead).c_str());
  c.Delete(("/tasks/" + waiting).c_str());
}

TEST_CASE("cors: preflight and Access-Control-Allow-Origin on every route class, errors included") {
  temp_folder data("edge-cors");
  server_process server(data.path(), {"--cors-origin=http://page.example:8000", "--cors-origin=https://other.example"});
  auto c = server.client(10);
  const httplib::Headers from_page = {{"Origin", "http://page.example:8000"}};

  auto preflight = c.Options("/generate", {{"Origin", "http://page.example:8000"},
                                           {"Access-Control-Request-Method", "POST"},
                                           {"Access-Control-Request-Headers", "content-type"}});
  REQUIRE(preflight);
  CHECK(preflight->status == 204);
  CHECK(preflight->get_header_value("Access-Control-Allow-Origin") == "http://page.example:8000");
  CHECK(allows(preflight->get_header_value("Access-Control-Allow-Methods"), "POST"));
  auto allowed_headers = preflight->get_header_value("Access-Control-Allow-Headers");
  CHECK(allowed_headers.find("Content-Type") != std::string::npos);
  CHECK(allowed_headers.find("Last-Event-ID") != std::string::npos);
  CHECK(allowed_headers.find("Authorization") != std::string::npos);

  // An EventSource reconnecting sends Last-Event-ID, which needs a preflight of /progress.
  auto id = finished_task(c);
  auto sse_preflight = c.Options(("/progress/" + id).c_str(), {{"Origin", "https://other.example"},
                                                               {"Access-Control-Request-Method", "GET"},
                                                               {"Access-Control-Request-Headers", "last-event-id"}});
  REQUIRE(sse_preflight);
  CHECK(sse_preflight->status == 204);
  CHECK(sse_preflight->get_header_value("Access-Control-Allow-Origin") == "https://other.example");

  auto check_cors = [&](const httplib::Result& res, int status) {
    REQUIRE(res);
    CHECK(res->status == status);
    CHECK(res->get_header_value("Access-Control-Allow-Origin") == "http://page.example:8000");
    CHECK(res->get_header_value("Vary").find("Origin") != std::string::npos);
  };
  auto generated = c.Post("/generate", from_page, tiny, "application/json");
  check_cors(generated, 202);
  check_cors(c.Get(("/progress/" + id).c_str(), from_page), 200);
  check_cors(c.Get(image_url(c, id).c_str(), from_page), 200);
  check_cors(c.Get("/media-data", from_page), 200);
  check_cors(c.Get("/healthz", from_page), 200);
  check_cors(c.Get("/tasks/nosuchtask", from_page), 404);
  check_cors(c.Get("/no/such/route", from_page), 404);
  check_cors(c.Post("/generate", from_page, "{not json", "application/json"), 400);

  SUBCASE("another origin gets no Access-Control-Allow-Origin") {
    auto res = c.Get("/healthz", {{"Origin", "http://evil.example"}});
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK_FALSE(res->has_header("Access-Control-Allow-Origin"));
    auto pre = c.Options("/generate", {{"Origin", "http://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    REQUIRE(pre);
    CHECK_FALSE(pre->has_header("Access-Control-Allow-Origin"));
    CHECK_FALSE(pre->has_header("Access-Control-Allow-Methods"));
  }
}

TEST_CASE("cors: without corsOrigins no CORS header is sent") {
  temp_folder data("edge-nocors");
  server_process server(data.path());
  auto c = server.client(10);
  auto res = c.Get("/healthz", {{"Origin", "http://page.example:8000"}});
  REQUIRE(res);
  CHECK_FALSE(res->has_header("Access-Control-Allow-Origin"));
  CHECK(res->get_header_value("Vary").find("Origin") == std::string::npos);
}

TEST_CASE("api keys: every route class needs one but /healthz, and access_token works only on /progress and /media") {
  temp_folder data("edge-keys");
  const std::string key = "k3y-for-the-edge-test";
  server_process server(data.path(), {"--api-key=" + key, "--api-key=second-key-0123", "--access-log=true",
                                      "--cors-origin=http://page.example"});
  auto c = server.client(10);
  const httplib::Headers auth = {{"Authorization", "Bearer " + key}};
  auto id = finished_task(c, auth);
  auto media = image_url(c, id, auth);

  auto unauthorized = [&](const httplib::Result& res) {
    REQUIRE(res);
    CHECK(res->status == 401);
    CHECK(is_json_error(res));
    CHECK(res->get_header_value("WWW-Authenticate").find("Bearer") == 0);
  };
  // No key at all.
  unauthorized(c.Post("/generate", tiny, "application/json"));
  unauthorized(c.Post("/generate/sync", tiny, "application/json"));
  unauthorized(c.Get(("/tasks/" + id).c_str()));
  unauthorized(c.Delete(("/tasks/" + id).c_str()));
  unauthorized(c.Get(("/progress/" + id).c_str()));
  unauthorized(c.Get(media.c_str()));
  unauthorized(c.Get("/media-data"));
  unauthorized(c.Get("/workflows"));
  unauthorized(c.Get("/status"));
  unauthorized(c.Get("/metrics"));
  unauthorized(c.Get("/debug/actors"));
  // A wrong key says so.
  auto wrong = c.Get("/status", {{"Authorization", "Bearer " + key + "x"}});
  unauthorized(wrong);
  CHECK(wrong->get_header_value("WWW-Authenticate").find("invalid_token") != std::string::npos);
  unauthorized(c.Get("/status", {{"Authorization", "Basic " + key}}));
  // access_token is for EventSource and <img> only.
  unauthorized(c.Get(("/media-data?access_token=" + key).c_str()));
  unauthorized(c.Get(("/tasks/" + id + "?access_token=" + key).c_str()));
  unauthorized(c.Get(("/progress/" + id + "?access_token=wrong").c_str()));
  // 401s carry CORS headers, so a page can tell "log in" from "network down".
  auto cors_401 = c.Get("/status", {{"Origin", "http://page.example"}});
  REQUIRE(cors_401);
  CHECK(cors_401->get_header_value("Access-Control-Allow-Origin") == "http://page.example");
  // A preflight carries no key and must still pass.
  auto preflight = c.Options("/generate",
                             {{"Origin", "http://page.example"}, {"Access-Control-Request-Method", "POST"}});
  REQUIRE(preflight);
  CHECK(preflight->status == 204);

  // With the key.
  auto ok = [](const httplib::Result& res, int status) {
    REQUIRE(res);
    CHECK(res->status == status);
  };
  ok(c.Get("/healthz"), 200);
  ok(c.Post("/generate", auth, tiny, "application/json"), 202);
  ok(c.Post("/generate/sync", auth, tiny, "application/json"), 200);
  ok(c.Get(("/tasks/" + id).c_str(), auth), 200);
  ok(c.Get(("/progress/" + id).c_str(), auth), 200);
  ok(c.Get(("/progress/" + id + "?access_token=" + key).c_str()), 200);
  ok(c.Get((media + "?access_token=second-key-0123").c_str()), 200);
  ok(c.Get(media.c_str(), auth), 200);
  ok(c.Get("/media-data", auth), 200);
  ok(c.Get("/workflows", {{"Authorization", "bearer second-key-0123"}}), 200);
  ok(c.Get("/status", auth), 200);
  ok(c.Get("/metrics", auth), 200);
  ok(c.Get("/debug/actors", auth), 200);

  // Keys never reach the log, from a header or from a query string.
  auto log = server.log();
  CHECK(log.find("info access") != std::string::npos);
  CHECK(log.find(key) == std::string::npos);
  CHECK(log.find("second-key-0123") == std::string::npos);
  CHECK(log.find("access_token") == std::string::npos);
}

TEST_CASE("api keys: binding beyond loopback without a key logs a warning") {
  temp_folder data("edge-open");
  SUBCASE("no key: a warning") {
    server_process server(data.path(), {"--host=0.0.0.0"});
    CHECK(eventually([&] { return server.log().find("warn mediagen listening beyond loopback") != std::string::npos; },
                     5s));
  }
  SUBCASE("a key: no warning") {
    server_process server(data.path(), {"--host=0.0.0.0", "--api-key=some-key-1234"});
    auto c = server.client(5);
    auto res = c.Get("/healthz");
    REQUIRE(res);
    CHECK(server.log().find("warn mediagen listening beyond loopback") == std::string::npos);
  }
}

TEST_CASE("http conventions: 404 and 405 JSON, OPTIONS, trailing slash, HEAD") {
  temp_folder data("edge-conventions");
  server_process server(data.path());
  auto c = server.client(10);

  auto unknown = c.Get("/no/such/route");
  CHECK(unknown->status == 404);
  CHECK(is_json_error(unknown));

  auto wrong_method = c.Put("/healthz", "", "text/plain");
  REQUIRE(wrong_method);
  CHECK(wrong_method->status == 405);
  CHECK(is_json_error(wrong_method));
  CHECK(wrong_method->get_header_value("Allow") == "GET, HEAD, OPTIONS");
  auto get_generate = c.Get("/generate");
  CHECK(get_generate->status == 405);
  CHECK(get_generate->get_header_value("Allow") == "POST, OPTIONS");
  // /tasks/:id answers GET and DELETE.
  auto post_task = c.Post("/tasks/abc", "{}", "application/json");
  CHECK(post_task->status == 405);
  CHECK(post_task->get_header_value("Allow") == "GET, HEAD, DELETE, OPTIONS");
  // A 405 with a body it did not read ends the connection, so the body is not taken for a request.
  auto with_body = raw_exchange(
      server.port(), "PUT /generate HTTP/1.1\r\nHost: x\r\nContent-Length: 19\r\n\r\nGET /healthz HTTP/1.1", 5s, 2s);
  CHECK(with_body.status == 405);
  CHECK(with_body.closed);

  auto options = c.Options("/tasks/abc");
  REQUIRE(options);
  CHECK(options->status == 204);
  CHECK(options->get_header_value("Allow") == "GET, HEAD, DELETE, OPTIONS");
  CHECK(options->body.empty());
  CHECK(c.Options("/no/such/route")->status == 404);

  CHECK(c.Get("/healthz/")->status == 200);
  CHECK(c.Get("/workflows/")->status == 200);
  auto id = finished_task(c);
  auto task = c.Get(("/tasks/" + id + "/").c_str());
  CHECK(task->status == 200);
  CHECK(task->body.find(id) != std::string::npos);
  CHECK(c.Get("/tasks/nosuchtask/")->status == 404);

  auto url = image_url(c, id);
  auto full = c.Get(url.c_str());
  REQUIRE(full);
  auto head = raw_exchange(server.port(), http_request("HEAD", url), 5s);
  CHECK(head.status == 200);
  CHECK(head.headers["content-length"] == std::to_string(full->body.size()));
  CHECK(head.body.empty());
  auto head_health = raw_exchange(server.port(), http_request("HEAD", "/healthz"), 5s);
  CHECK(head_health.status == 200);
  CHECK(head_health.body.empty());
}

TEST_CASE("http conventions: Date and X-Request-Id on every answer, Vary where gzip may apply, the access log") {
  temp_folder data("edge-headers");
  server_process server(data.path(), {"--access-log=true"});
  auto c = server.client(10);

  for (auto* path : {"/healthz", "/no/such/route", "/tasks/nosuchtask", "/metrics"}) {
    auto res = c.Get(path);
    REQUIRE(res);
    INFO(path);
    auto date = res->get_header_value("Date");
    CHECK(date.size() == 29);
    CHECK(date.substr(date.size() - 4) == " GMT");
    CHECK(res->get_header_value("X-Request-Id").size() == 16);
  }
  // httplib's own refusals (a bad request line) carry them too.
  auto bad = raw_exchange(server.port(), "GARBAGE\r\n\r\n", 5s);
  CHECK(bad.status == 400);
  CHECK(bad.headers.count("date") == 1);
  CHECK(bad.headers.count("x-request-id") == 1);

  // JSON may be gzipped: caches must key on Accept-Encoding. A PNG is never compressed.
  CHECK(c.Get("/healthz")->get_header_value("Vary").find("Accept-Encoding") != std::string::npos);
  auto id = finished_task(c);
  auto png = c.Get(image_url(c, id).c_str());
  REQUIRE(png);
  CHECK(png->get_header_value("Vary").find("Accept-Encoding") == std::string::npos);
  auto gz = c.Get("/workflows", {{"Accept-Encoding", "gzip"}});
  REQUIRE(gz);
  CHECK(gz->get_header_value("Vary").find("Accept-Encoding") != std::string::npos);

  // The client's id is echoed, cleaned and bounded; the access log names the request by it.
  auto echoed = c.Get("/healthz", {{"X-Request-Id", "trace-42.a:b_c"}});
  CHECK(echoed->get_header_value("X-Request-Id") == "trace-42.a:b_c");
  auto cleaned = c.Get("/healthz", {{"X-Request-Id", "ab\"c d<e>\x01"
                                                     "f"}});
  CHECK(cleaned->get_header_value("X-Request-Id") == "abcdef");
  auto bounded = c.Get("/healthz", {{"X-Request-Id", std::string(300, 'z')}});
  CHECK(bounded->get_header_value("X-Request-Id") == std::string(64, 'z'));
  auto garbage_only = c.Get("/healthz", {{"X-Request-Id", "<<<>>>"}});
  CHECK(garbage_only->get_header_value("X-Request-Id").size() == 16);

  REQUIRE(eventually([&] { return server.log().find("id=trace-42.a:b_c") != std::string::npos; }, 5s));
  auto log = server.log();
  auto line_at = log.find("info access id=trace-42.a:b_c");
  REQUIRE(line_at != std::string::npos);
  auto line = log.substr(line_at, log.find('\n', line_at) - line_at);
  CHECK(line.find("method=GET") != std::string::npos);
  CHECK(line.find("path=\"/healthz\"") != std::string::npos);
  CHECK(line.find("status=200") != std::string::npos);
  CHECK(line.find("ms=") != std::string::npos);
  CHECK(count_of(log, "info access ") >= 12);
  // A decoded control character in a path cannot forge a log line.
  c.Get("/no%0Ainfo%20access%20forged");
  REQUIRE(eventually([&] { return server.log().find("\\x0a") != std::string::npos; }, 5s));
  CHECK(server.log().find("\ninfo access forged") == std::string::npos);
}

TEST_CASE("http conventions: the access log is off by default") {
  temp_folder data("edge-nolog");
  server_process server(data.path());
  auto c = server.client(5);
  REQUIRE(c.Get("/healthz"));
  CHECK(server.log().find("info access") == std::string::npos);
}
