// Images inside JSON (base64 inputs, outputFormat "base64") and idempotency keys, end to end
// over loopback on the builtin backend.

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/base64.hpp"
#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;

namespace {

std::string wait_for_end(httplib::Client& c, const std::string& id) {
  std::string body;
  bool ended = eventually(
      [&] {
        auto res = c.Get(("/tasks/" + id).c_str());
        if (!res || res->status != 200) return false;
        body = res->body;
        std::string state = parse_json(body)["state"].GetString();
        return state != "queued" && state != "running";
      },
      std::chrono::seconds(120));
  REQUIRE_MESSAGE(ended, "task " << id << " did not end");
  return body;
}

// The sample of a metric without labels or with exactly these labels, e.g. `x{a="b"}`; -1 when absent.
double metric(httplib::Client& c, const std::string& series) {
  auto res = c.Get("/metrics");
  REQUIRE(res);
  auto at = res->body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(res->body.substr(at + series.size() + 2));
}

// Jobs the builtin backend ran to their end, and tasks the supervisor started.
double builtin_jobs(httplib::Client& c) { return metric(c, "mediagen_backend_round_trips_total{backend=\"builtin\"}"); }

double started_tasks(httplib::Client& c) {
  auto d = parse_json(fetch(c, "/debug/actors"));
  for (auto& a : d["actors"].GetArray())
    if (std::string(a["kind"].GetString()) == "supervisor") return a["started"].GetDouble();
  FAIL("no supervisor in /debug/actors");
  return -1;
}

std::string img2img_json(const std::string& image_value, const std::string& extra = "") {
  return R"({"workflow":"Builtin Image to Image","prompt":"blend","seed":5,"strength":0.25,"image_0":")" + image_value +
         "\"" + extra + "}";
}

// base64 with a line break every 76 characters, as MIME writes it.
std::string wrapped(const std::string& b64) {
  std::string out;
  for (std::size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\\r\\n";
  return out;
}

httplib::Result post_with_key(httplib::Client& c, const std::string& path, const std::string& body,
                              const std::string& key, const std::string& bearer = "") {
  httplib::Headers headers = {{"Idempotency-Key", key}};
  if (!bearer.empty()) headers.emplace("Authorization", "Bearer " + bearer);
  return c.Post(path.c_str(), headers, body, "application/json");
}

} // namespace

TEST_CASE("base64 inputs run exactly like multipart files, and base64 outputs are the bytes of /media") {
  temp_folder data("inline-b64");
  server_process server(data.path());
  auto c = server.client();
  std::string source = tiny_png(c, 3);
  // The same request as multipart: the reference output.
  httplib::MultipartFormDataItems form = {{"workflow", "Builtin Image to Image", "", ""},
                                          {"prompt", "blend", "", ""},
                                          {"seed", "5", "", ""},
                                          {"strength", "0.25", "", ""},
                                          {"image_0", source, "photo.png", "image/png"}};
  auto multipart = c.Post("/generate/sync", form);
  REQUIRE(multipart);
  INFO(multipart->body);
  REQUIRE(multipart->status == 200);
  std::string reference = fetch(c, parse_json(multipart->body)["imageUrl"].GetString());
  // A different input gives a different output: the input is visible in it.
  std::string other = tiny_png(c, 4);
  auto other_res = post_json(c, "/generate/sync", img2img_json(base64_encode(other)));
  REQUIRE(other_res);
  REQUIRE(other_res->status == 200);
  CHECK(fetch(c, parse_json(other_res->body)["imageUrl"].GetString()) != reference);

  for (std::string value : {"data:image/png;base64," + base64_encode(source), base64_encode(source),
                            wrapped(base64_encode(source)), "DATA:image/x-anything;BASE64," + base64_encode(source)}) {
    CAPTURE(value.substr(0, 40));
    auto res = post_json(c, "/generate/sync", img2img_json(value, R"(,"outputFormat":"base64")"));
    REQUIRE(res);
    INFO(res->body.substr(0, 300));
    REQUIRE(res->status == 200);
    auto result = parse_json(res->body);
    REQUIRE(result["outputs"].Size() == 1);
    auto& out = result["outputs"][0];
    std::string served = fetch(c, out["url"].GetString());
    CHECK(served == reference);
    auto inline_bytes = base64_decode(string_field(out, "base64"));
    REQUIRE(inline_bytes);
    CHECK(*inline_bytes == served);
    CHECK(string_field(out, "mimeType") == "image/png");
    CHECK(out["bytes"].GetUint64() == served.size());
  }
  // Without outputFormat the answer has URLs only.
  auto plain = post_json(c, "/generate/sync", img2img_json(base64_encode(source)));
  REQUIRE(plain);
  REQUIRE(plain->status == 200);
  CHECK_FALSE(parse_json(plain->body)["outputs"][0].HasMember("base64"));
  // Every input copy is gone once its task ended.
  CHECK(eventually([&] { return files_in(data.path() / "inputs") == 0; }, std::chrono::seconds(10)));
}

TEST_CASE("inpainting takes its image and mask as base64 in JSON") {
  temp_folder data("inline-inpaint");
  server_process server(data.path());
  auto c = server.client();
  std::string source = tiny_png(c, 1);
  std::string mask = tiny_png(c, 2);
  auto body = [&](const std::string& image, const std::string& mask_value) {
    return R"({"workflow":"Builtin Inpaint","prompt":"a fox","name":"edited","seed":11,)"
           R"("inpaintArea":{"x1":16,"y1":16,"x2":48,"y2":48},"image":")" +
           image + R"(","mask":")" + mask_value + "\"}";
  };
  auto res = post_json(c, "/generate/inpaint",
                       body("data:image/png;base64," + base64_encode(source), base64_encode(mask)));
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 202);
  auto ended = parse_json(wait_for_end(c, parse_json(res->body)["taskId"].GetString()));
  REQUIRE(std::string(ended["state"].GetString()) == "completed");
  std::string from_json = fetch(c, ended["result"]["imageUrl"].GetString());
  // The same as multipart gives the same bytes.
  httplib::MultipartFormDataItems form = {{"workflow", "Builtin Inpaint", "", ""},
                                          {"prompt", "a fox", "", ""},
                                          {"name", "edited", "", ""},
                                          {"seed", "11", "", ""},
                                          {"inpaintArea", R"({"x1":16,"y1":16,"x2":48,"y2":48})", "", ""},
                                          {"image", source, "photo.png", "image/png"},
                                          {"mask", mask, "mask.png", "image/png"}};
  auto multipart = c.Post("/generate/inpaint", form);
  REQUIRE(multipart);
  REQUIRE(multipart->status == 202);
  auto ended2 = parse_json(wait_for_end(c, parse_json(multipart->body)["taskId"].GetString()));
  CHECK(fetch(c, ended2["result"]["imageUrl"].GetString()) == from_json);
  // A mask that is not an image.
  auto refused = post_json(c, "/generate/inpaint", body(base64_encode(source), base64_encode("not an image")));
  REQUIRE(refused);
  CHECK(refused->status == 400);
}

TEST_CASE("bad base64 inputs and output formats are refused with 4xx and leave no file") {
  temp_folder data("inline-bad");
  server_process server(data.path(), {"--max-upload-bytes=200000"});
  auto c = server.client();
  std::string good = base64_encode(tiny_png(c, 4));
  std::size_t storage_before = files_in(data.path() / "storage");
  double started_before = started_tasks(c);
  std::string truncated = base64_encode(base64_decode(good)->substr(0, 300));
  struct row {
    const char* what;
    std::string path, body;
    int status;
  };
  std::vector<row> rows = {
      {"a character outside the alphabet", "/generate/sync", img2img_json(good.substr(0, 40) + "!" + good.substr(40)),
       400},
      {"URL-safe base64", "/generate/sync", img2img_json("-_-_" + good), 400},
      {"broken padding", "/generate/sync", img2img_json(good + "="), 400},
      {"a data: URL that is not base64", "/generate/sync", img2img_json("data:image/png,abcd"), 400},
      {"a data: URL without a comma", "/generate/sync", img2img_json("data:image/png;base64"), 400},
      {"a number", "/generate/sync", R"({"workflow":"Builtin Image to Image","prompt":"p","image_0":12})", 400},
      {"an object", "/generate", R"({"workflow":"Builtin Image to Image","prompt":"p","image_0":{"b":"x"}})", 400},
      {"base64 of text", "/generate/sync", img2img_json(base64_encode("hello, not an image")), 400},
      {"base64 of a cut PNG", "/generate", img2img_json(truncated), 400},
      {"an empty string", "/generate", img2img_json(""), 400},
      {"an unknown outputFormat", "/generate/sync", img2img_json(good, R"(,"outputFormat":"zip")"), 400},
      {"outputFormat base64 on async", "/generate", img2img_json(good, R"(,"outputFormat":"base64")"), 400},
      {"a body over maxUploadBytes", "/generate/sync", img2img_json(base64_encode(std::string(160000, 'x'))), 413},
  };
  for (auto& r : rows) {
    CAPTURE(r.what);
    auto res = post_json(c, r.path, r.body);
    REQUIRE(res);
    CHECK(res->status == r.status);
    auto d = parse_json(res->body);
    REQUIRE(d.IsObject());
    CHECK(d.HasMember("error"));
  }
  CHECK(files_in(data.path() / "storage") == storage_before);
  CHECK(files_in(data.path() / "inputs") == 0);
  CHECK(started_tasks(c) == started_before);
  CHECK(entries_in(data.path()) == 0);
}

TEST_CASE("an idempotency key answers the same task, starts nothing more, and refuses another body") {
  temp_folder data("idem");
  server_process server(data.path());
  auto c = server.client();
  std::string body = R"({"workflow":"Builtin Tiny","prompt":"once","seed":7})";
  auto first = post_with_key(c, "/generate", body, "order-42");
  REQUIRE(first);
  INFO(first->body);
  REQUIRE(first->status == 202);
  std::string id = parse_json(first->body)["taskId"].GetString();
  wait_for_end(c, id);
  REQUIRE(eventually([&] { return builtin_jobs(c) == 1; }, std::chrono::seconds(10)));
  double jobs = builtin_jobs(c), started = started_tasks(c);
  // The same key again: the header, the body's clientTaskId, and both; member order and
  // whitespace do not count.
  std::vector<httplib::Result> repeats;
  repeats.push_back(post_with_key(c, "/generate", body, "order-42"));
  repeats.push_back(
      post_json(c, "/generate", R"({"clientTaskId":"order-42","workflow":"Builtin Tiny","prompt":"once","seed":7})"));
  repeats.push_back(post_with_key(
      c, "/generate", R"({ "seed": 7, "prompt": "once", "workflow": "Builtin Tiny", "clientTaskId": "order-42" })",
      "order-42"));
  for (auto& res : repeats) {
    REQUIRE(res);
    INFO(res->body);
    CHECK(res->status == 202);
    CHECK(string_field(parse_json(res->body), "taskId") == id);
  }
  // Another body under the key.
  auto conflict = post_with_key(c, "/generate", R"({"workflow":"Builtin Tiny","prompt":"twice","seed":7})", "order-42");
  REQUIRE(conflict);
  CHECK(conflict->status == 422);
  CHECK(parse_json(conflict->body).HasMember("error"));
  // The same body on another endpoint is another request.
  auto other_kind = post_with_key(c, "/generate/sync", body, "order-42");
  REQUIRE(other_kind);
  CHECK(other_kind->status == 422);
  // Keys that are not keys.
  for (auto& bad : std::vector<std::pair<std::string, std::string>>{{std::string(129, 'k'), ""},
                                                                    {"a b", ""},
                                                                    {"k1", R"(,"clientTaskId":"")"},
                                                                    {"k1", R"(,"clientTaskId":"k2")"}}) {
    CAPTURE(bad.first);
    auto res = post_with_key(c, "/generate", R"({"workflow":"Builtin Tiny","prompt":"x")" + bad.second + "}",
                             bad.first);
    REQUIRE(res);
    CHECK(res->status == 400);
  }
  auto number_key = post_json(c, "/generate", R"({"workflow":"Builtin Tiny","prompt":"x","clientTaskId":5})");
  REQUIRE(number_key);
  CHECK(number_key->status == 400);
  CHECK(builtin_jobs(c) == jobs);
  CHECK(started_tasks(c) == started);
  CHECK(metric(c, "mediagen_idempotent_repeats_total") == 3);
  CHECK(entries_in(data.path()) == 1);
  // A new key is a new task.
  auto fresh = post_with_key(c, "/generate", body, "order-43");
  REQUIRE(fresh);
  REQUIRE(fresh->status == 202);
  CHECK(string_field(parse_json(fresh->body), "taskId") != id);
}

TEST_CASE("concurrent repeats of one key start one task, and a sync repeat returns the same result") {
  temp_folder data("idem-concurrent");
  server_process server(data.path());
  auto c = server.client();
  std::string image = base64_encode(tiny_png(c, 9));
  // The backend counts a job just after it answers it: wait for tiny_png's.
  REQUIRE(eventually([&] { return builtin_jobs(c) == 1; }, std::chrono::seconds(10)));
  double jobs_before = builtin_jobs(c), started_before = started_tasks(c);
  // Eight clients send the same request with the same key at once; its input comes inline, so
  // every repeat's own copy of the file must be removed too.
  constexpr int clients = 8;
  std::mutex m;
  std::condition_variable go;
  bool ready = false;
  std::vector<int> statuses(clients);
  std::vector<std::string> ids(clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i)
    threads.emplace_back([&, i] {
      auto own = server.client();
      {
        std::unique_lock<std::mutex> lock(m);
        go.wait(lock, [&] { return ready; });
      }
      auto res = post_with_key(own, "/generate", img2img_json(image), "burst-1");
      if (!res) return;
      statuses[i] = res->status;
      if (res->status == 202) ids[i] = parse_json(res->body)["taskId"].GetString();
    });
  {
    std::lock_guard<std::mutex> lock(m);
    ready = true;
  }
  go.notify_all();
  for (auto& t : threads) t.join();
  for (int i = 0; i < clients; ++i) {
    CHECK(statuses[i] == 202);
    CHECK(ids[i] == ids[0]);
  }
  wait_for_end(c, ids[0]);
  CHECK(started_tasks(c) == started_before + 1);
  CHECK(eventually([&] { return builtin_jobs(c) == jobs_before + 1; }, std::chrono::seconds(10)));
  CHECK(entries_in(data.path()) == 1);
  CHECK(eventually([&] { return files_in(data.path() / "inputs") == 0; }, std::chrono::seconds(10)));

  // Sync: two waiters with one key while it runs, then a repeat after its end: one task, one result.
  std::string sync_body =
      R"({"workflow":"Builtin Text to Image","prompt":"slow","seed":3,"steps":30,"orientation":"square"})";
  struct answer {
    int status = 0;
    std::string body;
  };
  answer answers[3];
  auto wait_sync = [&](answer& out) {
    auto own = server.client();
    if (auto res = post_with_key(own, "/generate/sync", sync_body, "sync-1")) out = {res->status, res->body};
  };
  std::thread a([&] { wait_sync(answers[0]); });
  std::thread b([&] { wait_sync(answers[1]); });
  a.join();
  b.join();
  wait_sync(answers[2]);
  std::string task_id, image_url;
  for (auto& ans : answers) {
    INFO(ans.body.substr(0, 300));
    REQUIRE(ans.status == 200);
    auto d = parse_json(ans.body);
    if (task_id.empty()) {
      task_id = string_field(d, "taskId");
      image_url = string_field(d, "imageUrl");
    }
    CHECK(string_field(d, "taskId") == task_id);
    CHECK(string_field(d, "imageUrl") == image_url);
  }
  CHECK(started_tasks(c) == started_before + 2);
  CHECK(eventually([&] { return builtin_jobs(c) == jobs_before + 2; }, std::chrono::seconds(10)));
  CHECK(metric(c, "mediagen_idempotent_repeats_total") == clients - 1 + 2);
  // A sync repeat may ask for the bytes too.
  auto with_bytes = post_with_key(c, "/generate/sync",
                                  sync_body.substr(0, sync_body.size() - 1) + R"(,"outputFormat":"base64"})", "sync-1");
  REQUIRE(with_bytes);
  REQUIRE(with_bytes->status == 200);
  auto d = parse_json(with_bytes->body);
  CHECK(string_field(d, "taskId") == task_id);
  CHECK(base64_decode(string_field(d["outputs"][0], "base64")) == fetch(c, image_url));
}

TEST_CASE("idempotency keys are scoped to the API key") {
  temp_folder data("idem-scoped");
  server_process server(data.path(), {"--api-key=alpha-key", "--api-key=beta-key"});
  auto c = server.client();
  std::string body = R"({"workflow":"Builtin Tiny","prompt":"scoped","seed":1})";
  auto first = post_with_key(c, "/generate", body, "shared", "alpha-key");
  auto same = post_with_key(c, "/generate", body, "shared", "alpha-key");
  auto other = post_with_key(c, "/generate", body, "shared", "beta-key");
  for (auto* res : {&first, &same, &other}) {
    REQUIRE(*res);
    REQUIRE((*res)->status == 202);
  }
  auto id = [](httplib::Result& r) { return std::string(parse_json(r->body)["taskId"].GetString()); };
  CHECK(id(first) == id(same));
  CHECK(id(first) != id(other));
  // Within one caller, another body under its key is refused.
  auto different = post_with_key(c, "/generate", R"({"workflow":"Builtin Tiny","prompt":"other"})", "shared",
                                 "beta-key");
  REQUIRE(different);
  CHECK(different->status == 422);
}
