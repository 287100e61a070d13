// Webhooks end to end over loopback: the real server POSTs to a receiver the test starts
// (tests/fakes/webhook_receiver.py), which checks every signature with Python's own hmac.

#include <doctest/doctest.h>

#include <cstdlib>
#include <set>

#include "server_harness.hpp"
#include "webhook_receiver_process.hpp"

using namespace mediagen;
using namespace mediagen::testing;

namespace {

const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::vector<std::string> webhook_flags(std::vector<std::string> more = {}) {
  std::vector<std::string> flags = {"--webhook-host=127.0.0.1", "--webhook-secret=" + secret,
                                    "--webhook-retry-base-ms=50"};
  flags.insert(flags.end(), more.begin(), more.end());
  return flags;
}

std::string request_with_webhook(const std::string& url, const std::string& events = "") {
  return R"({"workflow":"Builtin Tiny","prompt":"hooked","webhook":{"url":")" + url + "\"" +
         (events.empty() ? "" : ",\"events\":" + events) + "}}";
}

// The deliveries the receiver saw whose body is of `type`.
std::vector<const json::value*> of_type(const json::document& received, const std::string& type) {
  std::vector<const json::value*> out;
  for (auto& d : received.GetArray())
    if (d["body"].IsObject() && d["body"].HasMember("type") && d["body"]["type"] == type.c_str()) out.push_back(&d);
  return out;
}

// The task's `webhook` member once its state is `state` (empty document when it never is).
json::document webhook_when(httplib::Client& c, const std::string& id, const std::string& state) {
  json::document hook;
  eventually(
      [&] {
        auto task = parse_json(fetch(c, "/tasks/" + id));
        if (!task.HasMember("webhook") || task["webhook"]["state"] != state.c_str()) return false;
        hook.CopyFrom(task["webhook"], hook.GetAllocator());
        return true;
      },
      std::chrono::seconds(60));
  return hook;
}

double metric(httplib::Client& c, const std::string& name) {
  auto text = fetch(c, "/metrics");
  auto at = text.find("\n" + name + " ");
  REQUIRE_MESSAGE(at != std::string::npos, name << " missing from /metrics");
  return std::stod(text.substr(at + name.size() + 2));
}

} // namespace

TEST_CASE("webhook: signed, retried after two 500s under one webhook-id, and shown on the task") {
  webhook_receiver_process receiver(secret);
  receiver.answer({500, 500}, 200);
  temp_folder data("webhook-retry");
  server_process server(data.path(), webhook_flags());
  auto c = server.client();
  auto id = start_async(c, request_with_webhook(receiver.url()));
  auto hook = webhook_when(c, id, "delivered");
  INFO(server.log());
  REQUIRE(hook.IsObject());
  REQUIRE(hook["deliveries"].Size() == 1);
  auto& d = hook["deliveries"][0];
  CHECK(d["event"] == "complete");
  CHECK(d["state"] == "delivered");
  CHECK(d["attempts"].GetInt() == 3);
  CHECK(d["lastStatus"].GetInt() == 200);
  CHECK(d["url"] == receiver.url().c_str());

  auto received = receiver.received();
  auto complete = of_type(received, "complete");
  REQUIRE(complete.size() == 3);
  std::set<std::string> ids;
  for (auto* r : complete) {
    CHECK((*r)["valid"].GetBool()); // the HMAC Python computed matches the header
    CHECK((*r)["fresh"].GetBool());
    CHECK((*r)["path"] == "/hook");
    ids.insert(string_field(*r, "id"));
    auto& body = (*r)["body"];
    CHECK(string_field(body, "taskId") == id);
    CHECK(string_field(body["data"], "taskId") == id);
    CHECK(body["data"]["status"] == "completed");
    CHECK(body["data"]["result"].IsObject());
  }
  CHECK(ids.size() == 1); // stable across retries
  CHECK(*ids.begin() == string_field(d, "id"));
  CHECK((*complete[0])["answered"].GetInt() == 500);
  CHECK((*complete[2])["answered"].GetInt() == 200);
  // Only the terminal event by default: no progress deliveries.
  CHECK(of_type(received, "progress").empty());

  CHECK(metric(c, "mediagen_webhooks_delivered_total") == 1);
  CHECK(metric(c, "mediagen_webhooks_retried_total") == 2);
  CHECK(metric(c, "mediagen_webhooks_failed_total") == 0);
  CHECK(metric(c, "mediagen_webhooks_pending") == 0);
  auto actors = fetch(c, "/debug/actors");
  CHECK(actors.find("\"kind\":\"webhooks\"") != std::string::npos);
  CHECK(actors.find("\"delivered\":1") != std::string::npos);
}

TEST_CASE("webhook: a sync request delivers too, progress events when asked, without waiting for them") {
  webhook_receiver_process receiver(secret);
  temp_folder data("webhook-sync");
  server_process server(data.path(), webhook_flags());
  auto c = server.client();
  auto res = post_json(c, "/generate/sync", request_with_webhook(receiver.url("/sync"), R"(["progress","complete"])"));
  REQUIRE(res);
  REQUIRE(res->status == 200);
  std::string task_id = string_field(parse_json(res->body), "taskId");
  REQUIRE(eventually([&] { return !of_type(receiver.received(), "complete").empty(); }, std::chrono::seconds(60)));
  auto received = receiver.received();
  auto complete = of_type(received, "complete");
  REQUIRE(complete.size() == 1);
  CHECK((*complete[0])["valid"].GetBool());
  CHECK(string_field((*complete[0])["body"], "taskId") == task_id);
  CHECK_FALSE(of_type(received, "progress").empty());
  for (auto* p : of_type(received, "progress")) CHECK((*p)["valid"].GetBool());
  // A sync task writes no gallery entry, webhook or not.
  CHECK(entries_in(data.path()) == 0);
}

TEST_CASE("webhook: a 4xx ends the delivery as failed, visible on the task and in the metrics") {
  webhook_receiver_process receiver(secret);
  receiver.answer({410}, 200);
  temp_folder data("webhook-4xx");
  server_process server(data.path(), webhook_flags());
  auto c = server.client();
  auto id = start_async(c, request_with_webhook(receiver.url()));
  auto hook = webhook_when(c, id, "failed");
  REQUIRE(hook.IsObject());
  auto& d = hook["deliveries"][0];
  CHECK(d["state"] == "failed");
  CHECK(d["attempts"].GetInt() == 1);
  CHECK(d["lastStatus"].GetInt() == 410);
  CHECK(std::string(d["lastError"].GetString()).find("410") != std::string::npos);
  CHECK(metric(c, "mediagen_webhooks_failed_total") == 1);
  CHECK(metric(c, "mediagen_webhooks_retried_total") == 0);
  CHECK(receiver.received().Size() == 1); // never retried
}

TEST_CASE("webhook: hosts not allowed and bad shapes are 400s that start nothing") {
  webhook_receiver_process receiver(secret);
  temp_folder data("webhook-refused");
  SUBCASE("with an allow-list") {
    server_process server(data.path(), webhook_flags());
    auto c = server.client();
    for (std::string body : {request_with_webhook("http://localhost:" + std::to_string(receiver.port()) + "/hook"),
                             request_with_webhook("http://203.0.113.9/hook"), request_with_webhook("ftp://127.0.0.1/x"),
                             request_with_webhook(receiver.url(), R"(["finished"])"),
                             std::string(R"({"workflow":"Builtin Tiny","prompt":"x","webhook":"nope"})"),
                             std::string(R"({"workflow":"Builtin Tiny","prompt":"x","webhook":{"url":5}})")}) {
      for (const char* route : {"/generate", "/generate/sync"}) {
        INFO(route << " " << body);
        auto res = post_json(c, route, body);
        REQUIRE(res);
        CHECK(res->status == 400);
        auto error = parse_json(res->body);
        CHECK(string_field(error, "error").find("webhook") != std::string::npos);
      }
    }
    CHECK(fetch(c, "/generation/tasks/active") == "[]");
    CHECK(fetch(c, "/debug/actors").find("\"started\":0") != std::string::npos);
    CHECK(receiver.received().Size() == 0);
  }
  SUBCASE("without one, no webhook is allowed") {
    server_process server(data.path(), {});
    auto c = server.client();
    auto res = post_json(c, "/generate", request_with_webhook(receiver.url()));
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(fetch(c, "/debug/actors").find("\"started\":0") != std::string::npos);
  }
}

TEST_CASE("webhook: a pending delivery survives kill -9 and goes out after the restart, same webhook-id") {
  webhook_receiver_process receiver(secret);
  receiver.answer({}, 500); // down, as far as the server can tell
  temp_folder data("webhook-restart");
  std::string id, first_message;
  {
    auto server = std::make_unique<server_process>(data.path(), webhook_flags({"--webhook-attempts=100"}));
    auto c = server->client();
    id = start_async(c, request_with_webhook(receiver.url()));
    REQUIRE(eventually([&] { return of_type(receiver.received(), "complete").size() >= 2; }, std::chrono::seconds(60)));
    first_message = string_field(*of_type(receiver.received(), "complete").front(), "id");
    server->kill_hard();
  }
  receiver.answer({}, 200); // the receiver is back
  // Attempts made before the kill count: leave plenty, however many the load let happen.
  server_process again(data.path(), webhook_flags({"--webhook-attempts=100"}));
  REQUIRE(eventually(
      [&] {
        auto received = receiver.received();
        auto complete = of_type(received, "complete");
        return !complete.empty() && (*complete.back())["answered"].GetInt() == 200;
      },
      std::chrono::seconds(60)));
  auto received = receiver.received();
  auto complete = of_type(received, "complete");
  for (auto* r : complete) {
    CHECK((*r)["valid"].GetBool());
    CHECK(string_field(*r, "id") == first_message);
    CHECK(string_field((*r)["body"], "taskId") == id);
  }
  auto c = again.client();
  CHECK(eventually([&] { return metric(c, "mediagen_webhooks_delivered_total") == 1; }, std::chrono::seconds(10)));
  CHECK(metric(c, "mediagen_webhooks_pending") == 0);
  CHECK(fetch(c, "/debug/actors").find("\"resumed\":1") != std::string::npos);
  // The gallery entry was made before the kill and is still there, once.
  CHECK(entries_in(data.path()) == 1);
}

TEST_CASE("webhook: attempts to one host:port are bounded by webhookConcurrencyPerHost") {
  webhook_receiver_process receiver(secret);
  receiver.answer({}, 200, 400); // slow enough that unbounded deliveries would overlap
  temp_folder data("webhook-bound");
  // Two allowed hosts make the worker pool twice the bound: only the bound itself can hold it at 2.
  server_process server(data.path(), webhook_flags({"--webhook-host=localhost", "--webhook-concurrency-per-host=2"}));
  auto c = server.client();
  // Every event of several tasks at once: far more messages than the bound.
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(start_async(c, request_with_webhook(receiver.url(), R"(["progress","complete"])")));
  REQUIRE(eventually([&] { return of_type(receiver.received(), "complete").size() == ids.size(); },
                     std::chrono::seconds(120)));
  auto received = receiver.received();
  int most = 0;
  for (auto& r : received.GetArray()) most = std::max(most, r["concurrent"].GetInt());
  INFO("deliveries: " << received.Size());
  CHECK(received.Size() > 4);
  CHECK(most == 2); // reached, never passed
  for (auto& id : ids) CHECK(webhook_when(c, id, "delivered").IsObject());
}

TEST_CASE("webhook: https goes through TLS and checks the receiver's certificate") {
  temp_folder tls("webhook-tls");
  auto cert = (tls.path() / "cert.pem").string(), key = (tls.path() / "key.pem").string();
  std::string make_cert = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + key +
                          " -out " + cert + " >/dev/null 2>&1";
  REQUIRE(std::system(make_cert.c_str()) == 0);
  webhook_receiver_process receiver(secret, cert, key);
  temp_folder data("webhook-https");
  server_process server(data.path(), webhook_flags({"--webhook-attempts=2"}));
  auto c = server.client();
  auto id = start_async(c, request_with_webhook(receiver.url()));
  // A self-signed certificate is no CA's: both attempts fail in the handshake, none gets through.
  auto hook = webhook_when(c, id, "failed");
  REQUIRE(hook.IsObject());
  auto& d = hook["deliveries"][0];
  CHECK(d["attempts"].GetInt() == 2);
  CHECK(d["lastStatus"].IsNull());
  INFO(d["lastError"].GetString());
  CHECK(std::string(d["lastError"].GetString()).find("SSL") != std::string::npos); // not a refused connection
  CHECK(receiver.received().Size() == 0);
}
