// Live previews end to end: the real mediagen binary, over loopback SSE, with previews from the
// builtin engine and from the fake ComfyUI's binary frames (tests/fakes/fake_comfyui.py, which
// frames them as ComfyUI's server.py does). Rates are checked by counting, never by timing one
// event.

#include <doctest/doctest.h>

#include <chrono>
#include <sstream>
#include <thread>

#include <stb/stb_image.h>

#include "fake_comfyui_process.hpp"
#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;
using namespace std::chrono_literals;

namespace {

/// RFC 4648 base64 back to bytes; stops the test on a character outside the alphabet.
/// (Written here, not in common/: the server never decodes base64.)
std::string base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  REQUIRE(text.size() % 4 == 0);
  std::string out;
  bool in_alphabet = true;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    unsigned n = 0;
    int pad = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=') {
        ++pad;
        n <<= 6;
        continue;
      }
      int v = value(c);
      in_alphabet &= v >= 0;
      n = (n << 6) | static_cast<unsigned>(v < 0 ? 0 : v);
    }
    out += static_cast<char>((n >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(n & 0xFF);
  }
  REQUIRE(in_alphabet);
  return out;
}

/// A preview event's image, checked: a data: URL of `mime`, whose bytes stb decodes; its size.
std::pair<int, int> decoded_preview(const sse_event& e, const std::string& task_id, const std::string& mime) {
  auto d = parse_json(e.data);
  CHECK(string_field(d, "taskId") == task_id);
  REQUIRE(d.HasMember("step"));
  REQUIRE(d.HasMember("max"));
  std::string prefix = "data:" + mime + ";base64,";
  std::string url = string_field(d, "image");
  REQUIRE(url.rfind(prefix, 0) == 0);
  std::string bytes = base64_decode(url.substr(prefix.size()));
  if (mime == "image/jpeg")
    CHECK(bytes.substr(0, 3) == std::string("\xFF\xD8\xFF", 3));
  else
    CHECK(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1A\n", 8));
  int w = 0, h = 0, comp = 0;
  unsigned char* pixels = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()),
                                                static_cast<int>(bytes.size()), &w, &h, &comp, 3);
  REQUIRE(pixels != nullptr);
  stbi_image_free(pixels);
  return {w, h};
}

std::vector<sse_event> of_kind(const std::vector<sse_event>& events, const std::string& kind, bool wanted = true) {
  std::vector<sse_event> out;
  for (auto& e : events)
    if ((e.event == kind) == wanted) out.push_back(e);
  return out;
}

/// The real (logged) events carry ids 1, 2, 3 ... without a gap and end with `complete`;
/// previews carry none (the harness reads a missing id as 0).
void check_real_events(const std::vector<sse_event>& events, std::int64_t first_id = 1) {
  auto real = of_kind(events, "preview", false);
  REQUIRE_FALSE(real.empty());
  for (std::size_t i = 0; i < real.size(); ++i) CHECK(real[i].id == first_id + static_cast<std::int64_t>(i));
  CHECK(real.back().event == "complete");
  for (auto& p : of_kind(events, "preview")) CHECK(p.id == 0);
}

/// A number from /metrics (-1 when absent).
double metric(httplib::Client& c, const std::string& name) {
  auto text = fetch(c, "/metrics");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  return -1;
}

/// The SSE hub's figure `key` from /debug/actors.
std::int64_t hub_figure(httplib::Client& c, const char* key) {
  auto actors = parse_json(fetch(c, "/debug/actors"));
  for (auto& a : actors["actors"].GetArray())
    if (std::string(a["kind"].GetString()) == "sse_hub") return a[key].GetInt64();
  FAIL("no sse_hub in /debug/actors");
  return -1;
}

/// Reads /progress/:id like read_events, but hangs up once `enough` holds for what came so far.
std::vector<sse_event> read_until(int port, const std::string& task_id,
                                  const std::function<bool(const std::vector<sse_event>&)>& enough) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60, 0);
  std::string buffer;
  std::vector<sse_event> events;
  c.Get(("/progress/" + task_id).c_str(), [&](const char* data, size_t len) {
    buffer.append(data, len);
    std::size_t end;
    while ((end = buffer.find("\n\n")) != std::string::npos) {
      std::istringstream lines(buffer.substr(0, end));
      buffer.erase(0, end + 2);
      sse_event e;
      std::string line;
      bool any = false;
      while (std::getline(lines, line)) {
        if (line.rfind("id: ", 0) == 0) e.id = std::atoll(line.c_str() + 4), any = true;
        if (line.rfind("event: ", 0) == 0) e.event = line.substr(7), any = true;
        if (line.rfind("data: ", 0) == 0) e.data = line.substr(6), any = true;
      }
      if (any) events.push_back(e);
    }
    return !enough(events);
  });
  return events;
}

std::string builtin_body(int steps, bool previews) {
  return R"({"workflow":"Builtin Text to Image","prompt":"a slow harbour","seed":7,"steps":)" + std::to_string(steps) +
         (previews ? R"(,"previews":true})" : "}");
}

std::string comfy_body(int steps, bool previews) {
  return R"({"workflow":"ComfyUI Text to Image","prompt":"a lighthouse","seed":3,"steps":)" + std::to_string(steps) +
         (previews ? R"(,"previews":true})" : "}");
}

} // namespace

TEST_CASE("previews: the builtin engine streams small JPEG previews, no more than one per interval") {
  temp_folder data("previews-builtin");
  server_process server(data.path(), {"--preview-interval-ms=150"});
  auto c = server.client();
  auto begin = std::chrono::steady_clock::now();
  auto id = start_async(c, builtin_body(120, true));
  auto events = read_events(server.port(), id);
  auto elapsed = std::chrono::steady_clock::now() - begin;
  check_real_events(events);
  auto previews = of_kind(events, "preview");
  REQUIRE_FALSE(previews.empty());
  // The rate limit, by count: previews at least 150 ms apart fit at most once per 150 ms of the
  // whole stream, plus the first.
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  CAPTURE(ms);
  MESSAGE("builtin: " << previews.size() << " previews, " << of_kind(events, "preview", false).size()
                      << " real events in " << ms << " ms (interval 150 ms)");
  CHECK(static_cast<std::int64_t>(previews.size()) <= ms / 150 + 1);
  for (auto& p : previews) {
    auto [w, h] = decoded_preview(p, id, "image/jpeg");
    // The workflow draws 512x768: the preview is 256 on its longer side.
    CHECK(h == 256);
    CHECK(w == 171);
    auto d = parse_json(p.data);
    CHECK(d["max"].GetInt64() == 120);
    CHECK(d["step"].GetInt64() >= 1);
    CHECK(d["step"].GetInt64() < 120);
  }
  // A preview always follows the progress event of its step: never two previews in a row.
  for (std::size_t i = 1; i < events.size(); ++i)
    CHECK_FALSE((events[i].event == "preview" && events[i - 1].event == "preview"));
  CHECK(metric(c, "mediagen_sse_previews_total") >= static_cast<double>(previews.size()));
  // Previews are not logged: a stream read after the end has every real event and no preview.
  auto replay = read_events(server.port(), id, 0);
  check_real_events(replay);
  CHECK(of_kind(replay, "preview").empty());
  CHECK(replay.size() == of_kind(events, "preview", false).size());
}

TEST_CASE("previews: without \"previews\": true no preview is made or sent, and a bad value is a 400") {
  temp_folder data("previews-off");
  server_process server(data.path(), {"--preview-interval-ms=1"});
  auto c = server.client();
  auto id = start_async(c, builtin_body(40, false));
  auto events = read_events(server.port(), id);
  check_real_events(events);
  CHECK(of_kind(events, "preview").empty());
  CHECK(metric(c, "mediagen_sse_previews_total") == 0);
  CHECK(hub_figure(c, "previewsPublished") == 0);
  // A sync request asks for none either: it has no stream to show them on.
  auto sync = post_json(c, "/generate/sync", builtin_body(20, true));
  REQUIRE(sync);
  CHECK(sync->status == 200);
  CHECK(metric(c, "mediagen_sse_previews_total") == 0);
  auto bad = post_json(c, "/generate", R"({"workflow":"Builtin Tiny","prompt":"x","previews":"sometimes"})");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(string_field(parse_json(bad->body), "error") == "previews must be true or false.");
}

TEST_CASE("previews: a late subscriber gets every real event and only the latest preview") {
  temp_folder data("previews-late");
  server_process server(data.path(), {"--preview-interval-ms=1"});
  auto c = server.client();
  auto id = start_async(c, builtin_body(200, true));
  // Subscribe only once several previews went out and several events are logged.
  REQUIRE(eventually([&] { return metric(c, "mediagen_sse_previews_total") >= 3; }, 60s));
  auto logged = hub_figure(c, "storedEvents");
  REQUIRE(logged >= 3);
  auto events = read_events(server.port(), id);
  check_real_events(events);
  // The replay is the log, with no preview among it (the hub had published at least three) ...
  REQUIRE(static_cast<std::int64_t>(events.size()) > logged);
  for (std::int64_t i = 0; i < logged; ++i) CHECK(events[static_cast<std::size_t>(i)].event != "preview");
  // ... then at most the one latest preview, and live ones only after the progress of their step.
  for (std::size_t i = 1; i < events.size(); ++i)
    CHECK_FALSE((events[i].event == "preview" && events[i - 1].event == "preview"));
  CHECK_FALSE(of_kind(events, "preview").empty());
}

TEST_CASE("previews: a reconnect with Last-Event-ID after a preview gets exactly the missing real events") {
  temp_folder data("previews-resume");
  server_process server(data.path(), {"--preview-interval-ms=1"});
  auto c = server.client();
  auto id = start_async(c, builtin_body(120, true));
  // Hang up right after the first preview, as a browser might.
  auto first = read_until(server.port(), id, [](const std::vector<sse_event>& so_far) {
    return !so_far.empty() && so_far.back().event == "preview";
  });
  REQUIRE(first.size() >= 2);
  REQUIRE(first.back().event == "preview");
  // EventSource keeps the last id it saw; the preview had none, so that is the event before it.
  std::int64_t last_id = 0;
  for (auto& e : first)
    if (e.id > 0) last_id = e.id;
  REQUIRE(last_id >= 1);
  auto rest = read_events(server.port(), id, last_id);
  check_real_events(rest, last_id + 1);
  // Together: every real event once.
  auto all = read_events(server.port(), id, 0);
  CHECK(of_kind(first, "preview", false).size() + of_kind(rest, "preview", false).size() == all.size());
}

TEST_CASE("previews: ComfyUI's binary preview frames become preview events with the latest step") {
  fake_comfyui_process fake({"--step-ms=40", "--preview-every=1"});
  temp_folder data("previews-comfy");
  server_process server(data.path(), {fake.flag(), "--preview-interval-ms=1"});
  auto c = server.client();

  SUBCASE("PREVIEW_IMAGE (1) frames: JPEG, for the prompt that runs now") {
    auto id = start_async(c, comfy_body(12, true));
    auto events = read_events(server.port(), id);
    check_real_events(events);
    auto previews = of_kind(events, "preview");
    REQUIRE(previews.size() >= 2);
    CHECK(previews.size() <= 11); // one frame per step but the last
    std::int64_t last_step = 0;
    for (auto& p : previews) {
      CHECK(decoded_preview(p, id, "image/jpeg") == std::pair<int, int>(16, 16));
      auto d = parse_json(p.data);
      CHECK(d["max"].GetInt64() == 12);
      CHECK(d["step"].GetInt64() >= last_step); // the progress frame of the step came first
      last_step = d["step"].GetInt64();
    }
    CHECK(last_step >= 1);
  }
  SUBCASE("PREVIEW_IMAGE_WITH_METADATA (4) frames: PNG, for the prompt their metadata names") {
    fake.config(R"({"preview_style":"metadata","preview_format":"png"})");
    auto id = start_async(c, comfy_body(6, true));
    auto events = read_events(server.port(), id);
    check_real_events(events);
    auto previews = of_kind(events, "preview");
    REQUIRE_FALSE(previews.empty());
    for (auto& p : previews) CHECK(decoded_preview(p, id, "image/png") == std::pair<int, int>(16, 16));
  }
  SUBCASE("an oversized frame is dropped; the task completes") {
    fake.config(R"({"preview_pad_bytes":5000000})");
    auto id = start_async(c, comfy_body(4, true));
    auto events = read_events(server.port(), id);
    check_real_events(events);
    CHECK(of_kind(events, "preview").empty());
    // The frames did come: the socket counted them.
    auto log = fake.log();
    std::size_t sent = 0;
    for (auto& f : log["frames"].GetArray()) sent += std::string(f["type"].GetString()) == "binary:PREVIEW_IMAGE";
    CHECK(sent == 3);
  }
  SUBCASE("without \"previews\": true the frames are skipped") {
    auto id = start_async(c, comfy_body(6, false));
    auto events = read_events(server.port(), id);
    check_real_events(events);
    CHECK(of_kind(events, "preview").empty());
    CHECK(metric(c, "mediagen_sse_previews_total") == 0);
  }
}

TEST_CASE("previews: ComfyUI previews respect previewIntervalMs, counted over the stream") {
  fake_comfyui_process fake({"--step-ms=20", "--preview-every=1"});
  temp_folder data("previews-comfy-rate");
  server_process server(data.path(), {fake.flag(), "--preview-interval-ms=200"});
  auto c = server.client();
  auto begin = std::chrono::steady_clock::now();
  auto id = start_async(c, comfy_body(60, true));
  auto events = read_events(server.port(), id);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin).count();
  CAPTURE(ms);
  check_real_events(events);
  auto previews = of_kind(events, "preview");
  REQUIRE_FALSE(previews.empty());
  MESSAGE("comfyui: " << previews.size() << " previews of 59 frames in " << ms << " ms (interval 200 ms)");
  // 59 frames arrived; at most one per 200 ms of the stream, plus the first, were passed on.
  CHECK(static_cast<std::int64_t>(previews.size()) <= ms / 200 + 1);
  CHECK(previews.size() < 59);
}
