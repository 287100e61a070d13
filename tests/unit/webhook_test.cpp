// Webhooks without a server: the signature against fixed vectors computed with Python's hmac,
// the secret's whsec_ form, the request field and its allow-list, the retry verdicts, and the
// journal's replay, torn tail and compaction.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "backends/webhook/webhook_post.hpp"
#include "backends/webhook/webhook_signature.hpp"
#include "common/base64.hpp"
#include "generation/webhook_spec.hpp"
#include "persistence/atomic_file.hpp"
#include "persistence/webhook_journal.hpp"

using namespace mediagen;
namespace fs = std::filesystem;

namespace {

struct journal_folder {
  fs::path dir = fs::temp_directory_path() / ("mediagen-unit-webhook-journal-" + std::to_string(::getpid()));
  journal_folder() {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~journal_folder() { fs::remove_all(dir); }
  std::string path() const { return (dir / "webhook-journal").string(); }
};

webhook_message message(const std::string& id, const std::string& event = "complete") {
  webhook_message m;
  m.id = id;
  m.task_id = "task-" + id;
  m.url = "http://127.0.0.1:9/hook";
  m.event = event;
  m.body = "{\"type\":\"" + event + "\",\"note\":\"line\\nbreak\"}";
  m.created_ms = 1700000000000;
  return m;
}

json::document parsed(const std::string& text) {
  json::document d;
  REQUIRE(json::parse(text, d).empty());
  return d;
}

} // namespace

TEST_CASE("webhook signature: the Standard Webhooks example and a fixed vector from python's hmac") {
  std::string key;
  REQUIRE(decode_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key) == "");
  CHECK(key.size() == 24);
  // The example in the Standard Webhooks specification.
  CHECK(webhook_signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // python3: base64.b64encode(hmac.new(key, b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330." + body,
  // hashlib.sha256).digest())
  CHECK(webhook_signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                          "{\"type\":\"complete\",\"data\":{\"taskId\":\"abc\"}}") ==
        "v1,4o2VRzorIhEZzpSwF7QS10Wgf06jjvC64ZzHmMRF78U=");
  // Any other text is the key's bytes as they are.
  std::string raw;
  REQUIRE(decode_webhook_secret("plain secret", raw) == "");
  CHECK(raw == "plain secret");
  CHECK(decode_webhook_secret("whsec_not*base64", raw) != "");
  CHECK(decode_webhook_secret("whsec_", raw) != "");
}

TEST_CASE("webhook secret: whsec_ decodes every padding length and refuses what is not base64") {
  for (const std::string& bytes :
       std::vector<std::string>{"f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)}) {
    std::string key;
    REQUIRE(decode_webhook_secret("whsec_" + base64_encode(bytes), key) == "");
    CHECK(key == bytes);
  }
  // The secret goes through the one base64 decoder (common/base64): padding may be left out and
  // whitespace is skipped, as in JSON bodies; misplaced padding and foreign characters are refused.
  std::string key;
  REQUIRE(decode_webhook_secret("whsec_Zm8", key) == "");
  CHECK(key == "fo");
  REQUIRE(decode_webhook_secret("whsec_Zm 8=", key) == "");
  CHECK(key == "fo");
  CHECK(decode_webhook_secret("whsec_Zm-8", key) != "");     // the URL-safe alphabet
  CHECK(decode_webhook_secret("whsec_Z=8=", key) != "");     // padding inside
  CHECK(decode_webhook_secret("whsec_Zm8=Zm8=", key) != ""); // padding before the end
}

TEST_CASE("webhook field: shapes, events, schemes and the host allow-list") {
  std::vector<std::string> allowed = {"127.0.0.1", "hooks.example:8443"};
  webhook_spec spec;
  auto parse = [&](const std::string& body) { return parse_webhook_field(parsed(body), allowed, spec); };
  CHECK(parse(R"({"prompt":"x"})") == "");
  CHECK_FALSE(spec.wanted());
  CHECK(parse(R"({"webhook":{"url":"http://127.0.0.1:5000/hook"}})") == "");
  CHECK(spec.url == "http://127.0.0.1:5000/hook");
  CHECK(spec.wants(webhook_event::complete));
  CHECK(spec.wants(webhook_event::error));
  CHECK(spec.wants(webhook_event::cancelled));
  CHECK_FALSE(spec.wants(webhook_event::progress));
  CHECK(parse(R"({"webhook":{"url":"https://HOOKS.example:8443/x?y=1","events":["progress"]}})") == "");
  CHECK(spec.wants(webhook_event::progress));
  CHECK_FALSE(spec.wants(webhook_event::complete));
  // Multipart text parts carry it as JSON text.
  CHECK(parse(R"({"webhook":"{\"url\":\"http://127.0.0.1/h\"}"})") == "");
  CHECK(spec.wanted());
  // Refusals, each leaving no webhook.
  for (auto bad : {R"({"webhook":5})", R"({"webhook":"not json"})", R"({"webhook":{}})", R"({"webhook":{"url":7}})",
                   R"({"webhook":{"url":"ftp://127.0.0.1/x"}})", R"({"webhook":{"url":"http://127.0.0.1/x#frag"}})",
                   R"({"webhook":{"url":"http://u@127.0.0.1/"}})", R"({"webhook":{"url":"http://127.0.0.1:0/"}})",
                   R"({"webhook":{"url":"http://127.0.0.1/","events":[]}})",
                   R"({"webhook":{"url":"http://127.0.0.1/","events":["done"]}})",
                   R"({"webhook":{"url":"http://127.0.0.1/","extra":1}})",
                   R"({"webhook":{"url":"http://hooks.example/x"}})", // allowed on 8443 only
                   R"({"webhook":{"url":"http://evil.example/x"}})"}) {
    INFO(bad);
    CHECK(parse(bad) != "");
    CHECK_FALSE(spec.wanted());
  }
  CHECK(parse(R"({"webhook":{"url":"http://evil.example/x"}})").find("webhookHosts") != std::string::npos);
  // No allowed host: no webhook at all.
  CHECK(parse_webhook_field(parsed(R"({"webhook":{"url":"http://127.0.0.1/"}})"), {}, spec) != "");
  webhook_url u;
  REQUIRE(parse_webhook_url("http://[::1]:81?q", u) == "");
  CHECK(u.host == "::1");
  CHECK(u.port == 81);
  CHECK(u.target == "/?q");
  CHECK(u.host_port() == "[::1]:81");
}

TEST_CASE("webhook verdicts: 2xx delivered, 4xx failed but 408 and 429, the rest retried") {
  CHECK(verdict_of({200, ""}) == webhook_verdict::delivered);
  CHECK(verdict_of({204, ""}) == webhook_verdict::delivered);
  CHECK(verdict_of({400, "x"}) == webhook_verdict::failed);
  CHECK(verdict_of({410, "x"}) == webhook_verdict::failed);
  CHECK(verdict_of({408, "x"}) == webhook_verdict::retry);
  CHECK(verdict_of({429, "x"}) == webhook_verdict::retry);
  CHECK(verdict_of({500, "x"}) == webhook_verdict::retry);
  CHECK(verdict_of({301, "x"}) == webhook_verdict::retry);
  CHECK(verdict_of({0, "refused"}) == webhook_verdict::retry);
}

TEST_CASE("webhook journal: a restart gets the pending messages back with their attempts, ended ones not") {
  journal_folder f;
  std::vector<webhook_message> pending;
  webhook_journal::replay_result replayed;
  std::string error;
  {
    auto j = webhook_journal::open(f.path(), pending, replayed, error);
    REQUIRE(j != nullptr);
    CHECK(pending.empty());
    auto a = message("a"), b = message("b", "progress"), c = message("c");
    REQUIRE(j->pending(a) == "");
    REQUIRE(j->pending(b) == "");
    REQUIRE(j->pending(c) == "");
    a.attempts = 1;
    a.last_status = 500;
    a.last_error = "The receiver answered HTTP 500.";
    REQUIRE(j->attempted(a) == "");
    b.attempts = 1;
    b.last_status = 200;
    REQUIRE(j->ended(b, true) == "");
    CHECK(j->records() == 5);
  } // the process dies here
  auto j = webhook_journal::open(f.path(), pending, replayed, error);
  REQUIRE(j != nullptr);
  CHECK(replayed.records == 5);
  CHECK(replayed.dropped_bytes == 0);
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].id == "a");
  CHECK(pending[0].attempts == 1);
  CHECK(pending[0].last_status == 500);
  CHECK(pending[0].body == message("a").body); // the exact bytes that are signed
  CHECK(pending[0].task_id == "task-a");
  CHECK(pending[0].created_ms == 1700000000000);
  CHECK(pending[1].id == "c");
  // Opening rewrote it as just the pending ones.
  CHECK(j->records() == 2);
}

TEST_CASE("webhook journal: a torn or corrupt tail is cut, what came before it stays") {
  journal_folder f;
  std::vector<webhook_message> pending;
  webhook_journal::replay_result replayed;
  std::string error;
  {
    auto j = webhook_journal::open(f.path(), pending, replayed, error);
    REQUIRE(j != nullptr);
    REQUIRE(j->pending(message("a")) == "");
    REQUIRE(j->pending(message("b")) == "");
  }
  std::string text;
  REQUIRE(read_whole_file(f.path(), text));
  SUBCASE("torn: the last record cut in the middle, as a crash mid-write leaves it") {
    fs::resize_file(f.path(), text.size() - 7);
  }
  SUBCASE("corrupt: a byte of the last record changed") {
    text[text.size() - 5] ^= 0x20;
    std::ofstream(f.path(), std::ios::binary | std::ios::trunc) << text;
  }
  pending.clear();
  replayed = {};
  auto j = webhook_journal::open(f.path(), pending, replayed, error);
  REQUIRE(j != nullptr);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].id == "a");
  CHECK(replayed.records == 1);
  CHECK(replayed.dropped_bytes > 0);
  CHECK(replayed.dropped_reason != "");
  // The tail is gone from the file: appends after it are read back.
  REQUIRE(j->pending(message("d")) == "");
  j.reset();
  pending.clear();
  replayed = {};
  REQUIRE(webhook_journal::open(f.path(), pending, replayed, error) != nullptr);
  CHECK(replayed.dropped_bytes == 0);
  REQUIRE(pending.size() == 2);
  CHECK(pending[1].id == "d");
}

TEST_CASE("webhook journal: compaction keeps only what it is given, and later records still replay") {
  journal_folder f;
  std::vector<webhook_message> pending;
  webhook_journal::replay_result replayed;
  std::string error;
  auto j = webhook_journal::open(f.path(), pending, replayed, error);
  REQUIRE(j != nullptr);
  auto a = message("a"), b = message("b");
  REQUIRE(j->pending(a) == "");
  REQUIRE(j->pending(b) == "");
  REQUIRE(j->ended(a, false) == "");
  REQUIRE(j->compact({b}) == "");
  CHECK(j->records() == 1);
  b.attempts = 2;
  REQUIRE(j->attempted(b) == "");
  j.reset();
  REQUIRE(webhook_journal::open(f.path(), pending, replayed, error) != nullptr);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].id == "b");
  CHECK(pending[0].attempts == 2);
}
