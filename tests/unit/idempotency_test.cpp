// http/idempotency: what counts as the same request, and which keys are keys.

#include <doctest/doctest.h>

#include "common/base64.hpp"
#include "http/idempotency.hpp"

using namespace mediagen;

namespace {

httplib::Request json_request(const std::string& body) {
  httplib::Request req;
  req.body = body;
  req.headers.emplace("Content-Type", "application/json");
  return req;
}

std::string fingerprint_of(const std::string& body, request_kind kind = request_kind::async) {
  auto req = json_request(body);
  generation_body read;
  auto e = read_generation_fields(req, read);
  REQUIRE(e.status == 0);
  return request_fingerprint(kind, read);
}

} // namespace

TEST_CASE("a request's fingerprint ignores member order, whitespace and how the answer is given") {
  std::string base = fingerprint_of(R"({"workflow":"W","prompt":"p","seed":1,"tags":["a","b"],"x":{"b":1,"a":2}})");
  CHECK(base.size() == 64);
  CHECK(fingerprint_of(R"( { "x" : {"a":2,"b":1}, "tags":["a","b"], "seed":1, "prompt":"p", "workflow":"W" } )") ==
        base);
  CHECK(fingerprint_of(R"({"workflow":"W","prompt":"p","seed":1,"tags":["a","b"],"x":{"b":1,"a":2},)"
                       R"("clientTaskId":"k","timeoutMs":5,"cancelOnDisconnect":true,"outputFormat":"url"})") == base);
  // Values count, as written; so do array order and the endpoint.
  CHECK(fingerprint_of(R"({"workflow":"W","prompt":"q","seed":1,"tags":["a","b"],"x":{"b":1,"a":2}})") != base);
  CHECK(fingerprint_of(R"({"workflow":"W","prompt":"p","seed":"1","tags":["a","b"],"x":{"b":1,"a":2}})") != base);
  CHECK(fingerprint_of(R"({"workflow":"W","prompt":"p","seed":1,"tags":["b","a"],"x":{"b":1,"a":2}})") != base);
  CHECK(fingerprint_of(R"({"workflow":"W","prompt":"p","seed":1,"tags":["a","b"],"x":{"b":1,"a":2}})",
                       request_kind::sync) != base);
  CHECK(fingerprint_of(R"({"workflow":"W","prompt":"p","seed":1,"tags":["a","b"],"x":{"b":1,"a":2},"extra":null})") !=
        base);
}

TEST_CASE("an inline file counts by its bytes, however it was encoded") {
  std::string bytes = "\x89PNG fake bytes";
  std::string b64 = base64_encode(bytes);
  auto with = [](const std::string& value) { return R"({"workflow":"W","image_0":")" + value + "\"}"; };
  std::string plain = fingerprint_of(with(b64));
  CHECK(fingerprint_of(with("data:image/png;base64," + b64)) == plain);
  CHECK(fingerprint_of(with(b64.substr(0, 8) + "\\n" + b64.substr(8))) == plain);
  CHECK(fingerprint_of(with(base64_encode(bytes + "!"))) != plain);
  // The same bytes as a multipart file part.
  httplib::Request multipart;
  multipart.headers.emplace("Content-Type", "multipart/form-data; boundary=x");
  multipart.files.emplace("workflow", httplib::MultipartFormData{"workflow", "W", "", ""});
  multipart.files.emplace("image_0", httplib::MultipartFormData{"image_0", bytes, "a.png", "image/png"});
  generation_body read;
  REQUIRE(read_generation_fields(multipart, read).status == 0);
  CHECK(request_fingerprint(request_kind::async, read) == plain);
}

TEST_CASE("inline files are decoded into parts and taken out of the fields") {
  auto req = json_request(R"({"workflow":"W","image":"Zm9v","mask":"data:;base64,YmFy","image_1":null,"imagery":"x"})");
  generation_body read;
  REQUIRE(read_generation_fields(req, read).status == 0);
  REQUIRE(read.parts.size() == 2);
  CHECK(read.parts[0].field == "image");
  CHECK(*read.parts[0].bytes == "foo");
  CHECK(read.parts[1].field == "mask");
  CHECK(*read.parts[1].bytes == "bar");
  CHECK_FALSE(read.fields.HasMember("image"));
  CHECK_FALSE(read.fields.HasMember("image_1"));
  CHECK(read.fields.HasMember("imagery")); // not a file field
  for (const char* bad :
       {R"({"image_0":"Zm9v!"})", R"({"image_0":7})", R"({"audio_0":"data:audio/wav,abc"})", R"({"mask":["Zm9v"]})"}) {
    CAPTURE(bad);
    auto r = json_request(bad);
    generation_body b;
    CHECK(read_generation_fields(r, b).status == 400);
  }
}

TEST_CASE("idempotency keys: header or clientTaskId, 1 to 128 characters of a safe set") {
  auto key_of = [](httplib::Request req, const std::string& body, std::string& key) {
    json::document fields;
    json::parse(body, fields);
    return read_idempotency_key(req, fields, key);
  };
  std::string key;
  httplib::Request none;
  CHECK(key_of(none, "{}", key).empty());
  CHECK(key.empty());
  httplib::Request header;
  header.headers.emplace("Idempotency-Key", "0b9c3f1e-4d2a:retry.1_x");
  CHECK(key_of(header, "{}", key).empty());
  CHECK(key == "0b9c3f1e-4d2a:retry.1_x");
  CHECK(key_of(none, R"({"clientTaskId":"abc"})", key).empty());
  CHECK(key == "abc");
  CHECK(key_of(header, R"({"clientTaskId":"0b9c3f1e-4d2a:retry.1_x"})", key).empty());
  CHECK_FALSE(key_of(header, R"({"clientTaskId":"other"})", key).empty());
  CHECK_FALSE(key_of(none, R"({"clientTaskId":12})", key).empty());
  CHECK_FALSE(key_of(none, R"({"clientTaskId":""})", key).empty());
  CHECK(key_of(none, R"({"clientTaskId":")" + std::string(128, 'k') + "\"}", key).empty());
  CHECK_FALSE(key_of(none, R"({"clientTaskId":")" + std::string(129, 'k') + "\"}", key).empty());
  for (const char* bad : {"a b", "a/b", "é", "a\"b"}) {
    httplib::Request r;
    r.headers.emplace("Idempotency-Key", bad);
    CAPTURE(bad);
    CHECK_FALSE(key_of(r, "{}", key).empty());
  }
  // Scopes: one without API keys, one per API key (never the key itself).
  httplib::Request a, b;
  a.headers.emplace("Authorization", "Bearer alpha");
  b.headers.emplace("Authorization", "Bearer beta");
  CHECK(scoped_idempotency_key(a, false, "k") == scoped_idempotency_key(b, false, "k"));
  CHECK(scoped_idempotency_key(a, true, "k") != scoped_idempotency_key(b, true, "k"));
  CHECK(scoped_idempotency_key(a, true, "k").find("alpha") == std::string::npos);
}
