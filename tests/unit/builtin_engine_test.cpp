// The builtin executor as its callers see it: determinism, sizes, progress, cancellation,
// graph checking, and errors that come back as sentences instead of crashes.

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "tests/unit/builtin_test_support.hpp"

using namespace mediagen::builtin;
using namespace mediagen::builtin::test;

namespace {

std::string render(const std::string& prompt, long long seed, int w = 64, int h = 48, int steps = 3) {
  fake_io io;
  execution_outcome o = io.run(procedural_graph(prompt, seed, w, h, steps));
  REQUIRE_MESSAGE(o.ok, o.error);
  REQUIRE(io.saved.size() == 1);
  return io.file(0);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("builtin: ProceduralImage is a pure function of prompt and seed") {
  std::string a = render("a red fox", 7);
  CHECK(render("a red fox", 7) == a);
  CHECK(render("a red fox", 8) != a);
  CHECK(render("a red fox ", 7) != a);
  CHECK(render("a blue fox", 7) != a);
  CHECK(render("", 0) == render("", 0));
}

TEST_CASE("builtin: seeds given as int, double or numeric string draw the same picture") {
  std::string as_int = render("x", 12345);
  auto with_seed = [](const std::string& seed_json) {
    fake_io io;
    std::string g =
        R"({"1":{"class_type":"ProceduralImage","inputs":{"prompt":"x","seed":)" + seed_json +
        R"(,"width":"64","height":48.0,"steps":"3"}},"2":{"class_type":"SaveImage","inputs":{"images":["1",0]}}})";
    execution_outcome o = io.run(g);
    REQUIRE_MESSAGE(o.ok, o.error);
    return io.file(0);
  };
  CHECK(with_seed("12345") == as_int);
  CHECK(with_seed("12345.0") == as_int);
  CHECK(with_seed("\"12345\"") == as_int);
  CHECK(with_seed("\" 12345 \"") == as_int);
  // Seeds span the whole unsigned 64-bit range, as ComfyUI's do.
  CHECK(with_seed("18446744073709551615") == with_seed("\"18446744073709551615\""));
}

TEST_CASE("builtin: the PNG has the requested size") {
  for (auto [w, h] : {std::pair{8, 8}, {64, 48}, {33, 100}}) {
    fake_io io;
    execution_outcome o = io.run(procedural_graph("size", 1, w, h, 2));
    REQUIRE_MESSAGE(o.ok, o.error);
    REQUIRE(o.outputs.size() == 1);
    const produced_file& f = o.outputs[0];
    CHECK(f.kind == "image");
    CHECK(f.width == w);
    CHECK(f.height == h);
    CHECK(f.bytes == io.file(0).size());
    CHECK(f.filename == io.saved_order[0]);
    decoded_image d = decode_image(io.file(0));
    CHECK(d.rgb.width == w);
    CHECK(d.rgb.height == h);
    CHECK_FALSE(d.has_alpha);
  }
}

TEST_CASE("builtin: the picture is not flat") {
  fake_io io;
  REQUIRE(io.run(procedural_graph("colour", 3, 96, 96, 6)).ok);
  decoded_image d = decode_image(io.file(0));
  for (int c = 0; c < 3; ++c) {
    int lo = 255, hi = 0;
    for (int y = 0; y < 96; ++y)
      for (int x = 0; x < 96; ++x) {
        lo = std::min(lo, byte_at(d.rgb, x, y, c));
        hi = std::max(hi, byte_at(d.rgb, x, y, c));
      }
    CHECK(hi - lo > 40);
  }
}

TEST_CASE("builtin: progress comes once per step, in order, then once for the save") {
  fake_io io;
  execution_outcome o = io.run(procedural_graph("p", 5, 32, 32, 7));
  REQUIRE(o.ok);
  REQUIRE(io.progress.size() == 8);
  for (int i = 0; i < 7; ++i) {
    const node_progress& p = io.progress[static_cast<std::size_t>(i)];
    CHECK(p.node_id == "1");
    CHECK(p.title == "Generate"); // _meta.title wins over class_type
    CHECK(p.value == i + 1);
    CHECK(p.max == 7);
    CHECK(p.node_index == 0);
    CHECK(p.node_count == 2);
  }
  const node_progress& save = io.progress.back();
  CHECK(save.node_id == "2");
  CHECK(save.title == "SaveImage");
  CHECK(save.node_index == 1);
  CHECK(save.value == save.max);
}

TEST_CASE("builtin: cancellation between steps stops the run") {
  fake_io io;
  io.on_progress = [&](const node_progress& p) {
    if (p.node_id == "1" && p.value == 2) io.cancel = true;
  };
  execution_outcome o = io.run(procedural_graph("c", 1, 64, 64, 50));
  CHECK_FALSE(o.ok);
  CHECK(o.cancelled);
  CHECK(o.error.empty());
  CHECK(io.progress.size() == 2);
  CHECK(io.saved.empty());
  CHECK(o.outputs.empty());

  fake_io early;
  early.cancel = true;
  execution_outcome e = early.run(procedural_graph("c", 1, 64, 64, 5));
  CHECK(e.cancelled);
  CHECK(early.progress.empty());
}

TEST_CASE("builtin: cancellation from another thread ends a long render promptly") {
  fake_io io;
  auto started = std::chrono::steady_clock::now();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    io.cancel = true;
  });
  // 200 steps at this size take tens of seconds; the row-level poll notices within one step.
  execution_outcome o = io.run(procedural_graph("long", 1, 2048, 2048, 200));
  canceller.join();
  auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(o.cancelled);
  CHECK_FALSE(o.ok);
  CHECK(io.progress.size() <= 1);
  CHECK(elapsed < std::chrono::seconds(5));
}

TEST_CASE("builtin: only nodes an output depends on run, in dependency order") {
  fake_io io;
  // Node 10 is unused; node 3 depends on 2 although its id sorts first among ties.
  std::string g = R"({
    "10": {"class_type": "ProceduralImage", "inputs": {"prompt": "unused", "seed": 1, "width": 4096, "height": 4096, "steps": 200}},
    "3":  {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}},
    "2":  {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
    "4":  {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "inv"}}
  })";
  execution_outcome o = io.run(g);
  REQUIRE_MESSAGE(o.ok, o.error);
  std::vector<std::string> ran;
  for (const node_progress& p : io.progress) ran.push_back(p.node_id);
  CHECK(ran == std::vector<std::string>{"2", "3", "4"});
  CHECK(io.progress[0].node_count == 3);
}

TEST_CASE("builtin: check_graph accepts a sound graph and names the node at fault otherwise") {
  CHECK(check_graph(procedural_graph("ok", 1, 64, 64, 1)) == "");
  CHECK(supported_node_types().size() == 10);
  CHECK(std::count(supported_node_types().begin(), supported_node_types().end(), "ImageCompositeMasked") == 1);

  std::string unknown = check_graph(R"({"1": {"class_type": "KSampler", "inputs": {}},
                                        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}})");
  CHECK(contains(unknown, "Node 1 (KSampler)"));
  CHECK(contains(unknown, "not supported"));

  std::string dangling = check_graph(R"({"2": {"class_type": "SaveImage", "inputs": {"images": ["9", 0]}}})");
  CHECK(dangling == "Node 2 (SaveImage): input images links to node 9, which does not exist.");

  std::string cycle = check_graph(R"({
    "1": {"class_type": "ImageInvert", "inputs": {"image": ["3", 0]}},
    "2": {"class_type": "ImageBlur", "inputs": {"image": ["1", 0], "blur_radius": 1, "sigma": 1}},
    "3": {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}},
    "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0]}}})");
  CHECK(contains(cycle, "cycle"));
  CHECK((contains(cycle, "Node 1 (ImageInvert)") || contains(cycle, "Node 2 (ImageBlur)") ||
         contains(cycle, "Node 3 (ImageInvert)")));

  std::string self = check_graph(R"({"1": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
                                     "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}})");
  CHECK(self == "Node 1 (ImageInvert) is part of a cycle of links.");

  std::string no_output = check_graph(R"({"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8}}})");
  CHECK(contains(no_output, "SaveImage"));

  std::string wrong_kind = check_graph(R"({"1": {"class_type": "LoadImage", "inputs": {"image": "a.png"}},
                                           "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 1]}}})");
  CHECK(wrong_kind == "Node 2 (SaveImage): input images needs an image but output 1 of Node 1 (LoadImage) is a mask.");

  std::string bad_index = check_graph(R"({"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8}},
                                          "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 3]}}})");
  CHECK(contains(bad_index, "Node 2 (SaveImage)"));
  CHECK(contains(bad_index, "output 3"));

  std::string missing = check_graph(R"({"2": {"class_type": "SaveImage", "inputs": {}}})");
  CHECK(missing == "Node 2 (SaveImage): input images is not connected.");

  std::string literal_link = check_graph(
      R"({"1": {"class_type": "EmptyImage", "inputs": {"width": ["1", 0], "height": 8}},
                                             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}})");
  CHECK(literal_link == "Node 1 (EmptyImage): input width must be a value, not a link.");

  CHECK(contains(check_graph("{not json"), "not valid JSON"));
  CHECK(!check_graph("[]").empty());
  CHECK(!check_graph("{}").empty());
  CHECK(check_graph(R"({"1": {"inputs": {}}})") == "Node 1 has no class_type.");
  CHECK(check_graph(R"({"1": 5})") == "Node 1 is not a JSON object.");
}

TEST_CASE("builtin: a graph check_graph refuses does not run") {
  fake_io io;
  execution_outcome o = io.run(R"({"2": {"class_type": "SaveImage", "inputs": {"images": ["9", 0]}}})");
  CHECK_FALSE(o.ok);
  CHECK_FALSE(o.cancelled);
  CHECK(o.error == "Node 2 (SaveImage): input images links to node 9, which does not exist.");
  CHECK(io.progress.empty());
}

TEST_CASE("builtin: bad input values give one-sentence errors naming the node") {
  auto error_for = [](const std::string& inputs) {
    fake_io io;
    std::string g = R"({"3": {"class_type": "ProceduralImage", "inputs": )" + inputs +
                    R"(}, "9": {"class_type": "SaveImage", "inputs": {"images": ["3", 0]}}})";
    execution_outcome o = io.run(g);
    CHECK_FALSE(o.ok);
    CHECK_FALSE(o.cancelled);
    CHECK(io.saved.empty());
    return o.error;
  };
  CHECK(error_for(R"({"prompt": "a", "seed": 1, "width": 5, "height": 64, "steps": 1})") ==
        "Node 3 (ProceduralImage): width must be between 8 and 4096.");
  CHECK(error_for(R"({"prompt": "a", "seed": 1, "width": 64, "height": 5000, "steps": 1})") ==
        "Node 3 (ProceduralImage): height must be between 8 and 4096.");
  CHECK(error_for(R"({"prompt": "a", "seed": 1, "width": 64, "height": 64, "steps": 0})") ==
        "Node 3 (ProceduralImage): steps must be between 1 and 200.");
  CHECK(error_for(R"({"prompt": "a", "seed": 1, "width": 64, "height": 64, "steps": "201"})") ==
        "Node 3 (ProceduralImage): steps must be between 1 and 200.");
  CHECK(error_for(R"({"prompt": "a", "seed": 1, "width": "wide", "height": 64, "steps": 1})") ==
        "Node 3 (ProceduralImage): width must be a number.");
  CHECK(error_for(R"({"prompt": "a", "seed": 1, "width": 64.5, "height": 64, "steps": 1})") ==
        "Node 3 (ProceduralImage): width must be a whole number.");
  CHECK(error_for(R"({"prompt": "a", "seed": 1, "width": true, "height": 64, "steps": 1})") ==
        "Node 3 (ProceduralImage): width must be a number.");
  CHECK(error_for(R"({"prompt": "a", "seed": 1, "width": "nan", "height": 64, "steps": 1})") ==
        "Node 3 (ProceduralImage): width must be a number.");
  CHECK(error_for(R"({"prompt": "a", "seed": 1, "width": 1e300, "height": 64, "steps": 1})") ==
        "Node 3 (ProceduralImage): width must be between 8 and 4096.");
  CHECK(error_for(R"({"prompt": "a", "seed": "x", "width": 64, "height": 64, "steps": 1})") ==
        "Node 3 (ProceduralImage): seed must be a number.");
  CHECK(error_for(R"({"prompt": "a", "width": 64, "height": 64, "steps": 1})") ==
        "Node 3 (ProceduralImage): input seed is missing.");
  CHECK(error_for(R"({"prompt": {"a": 1}, "seed": 1, "width": 64, "height": 64, "steps": 1})") ==
        "Node 3 (ProceduralImage): prompt must be text.");
}

TEST_CASE("builtin: a prompt that arrives as a number is used as its text") {
  fake_io a, b;
  std::string g =
      R"({"1":{"class_type":"ProceduralImage","inputs":{"prompt":PROMPT,"seed":1,"width":16,"height":16,"steps":1}},
                      "2":{"class_type":"SaveImage","inputs":{"images":["1",0]}}})";
  auto with = [&](fake_io& io, const std::string& prompt) {
    std::string s = g;
    s.replace(s.find("PROMPT"), 6, prompt);
    REQUIRE(io.run(s).ok);
    return io.file(0);
  };
  CHECK(with(a, "42") == with(b, "\"42\""));
}

TEST_CASE("builtin: a failing save is an error sentence, not an exception") {
  fake_io io;
  io.fail_saves = true;
  execution_outcome o = io.run(procedural_graph("x", 1, 16, 16, 1));
  CHECK_FALSE(o.ok);
  CHECK(o.error == "Node 2 (SaveImage): the image could not be stored: disk full.");
}

TEST_CASE("builtin: a context without callbacks still runs or fails cleanly") {
  execution_context bare;
  execution_outcome o = execute_graph(procedural_graph("x", 1, 16, 16, 2), bare);
  CHECK_FALSE(o.ok);
  CHECK(contains(o.error, "Node 2 (SaveImage)"));
}

TEST_CASE("builtin: previews come only when due, as small pictures, and never change the result") {
  const std::string graph = procedural_graph("a harbour", 11, 600, 300, 6);
  std::string plain;
  {
    fake_io io;
    REQUIRE(io.run(graph).ok);
    plain = io.file(0);
  }
  fake_io io;
  std::vector<image> previews;
  int asked = 0;
  auto ctx = io.context();
  // Due every other time it is asked: the node must ask after each step but the last.
  ctx.preview_due = [&] { return ++asked % 2 == 1; };
  ctx.on_preview = [&](const image& picture) { previews.push_back(picture); };
  auto o = execute_graph(graph, ctx);
  REQUIRE(o.ok);
  CHECK(asked == 5);
  REQUIRE(previews.size() == 3);
  for (auto& p : previews) {
    CHECK(p.width == 256);
    CHECK(p.height == 128);
    CHECK(p.channels == 3);
  }
  CHECK(io.file(0) == plain);
  // Later steps add detail: the pictures differ.
  CHECK(previews.front().pixels != previews.back().pixels);
}

TEST_CASE("builtin: a preview JPEG is at most 256 px on its longer side and decodes") {
  image wide = make_image(1000, 10, 3, 0.5f);
  std::string jpeg = encode_preview_jpeg(wide);
  REQUIRE(jpeg.size() > 3);
  CHECK(jpeg.substr(0, 3) == std::string("\xFF\xD8\xFF", 3));
  auto decoded = decode_image(jpeg);
  CHECK(decoded.rgb.width == 256);
  CHECK(decoded.rgb.height == 3);
  image small = make_image(40, 30, 4, 0.25f);
  auto kept = decode_image(encode_preview_jpeg(small));
  CHECK(kept.rgb.width == 40);
  CHECK(kept.rgb.height == 30);
  CHECK_FALSE(kept.has_alpha);
  CHECK_THROWS(encode_preview_jpeg(image{}));
}
