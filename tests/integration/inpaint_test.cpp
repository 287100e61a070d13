// File inputs and inpainting on the builtin backend: multipart uploads, byte checks,
// /generate/inpaint, and the image nodes' meaning seen from outside.

#include <doctest/doctest.h>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;

namespace {

struct rgb_image {
  int w = 0, h = 0;
  std::vector<unsigned char> px; // RGB
  unsigned char at(int x, int y, int c) const { return px[(y * w + x) * 3 + c]; }
};

rgb_image decode(const std::string& bytes) {
  rgb_image img;
  int n = 0;
  unsigned char* data = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()),
                                              static_cast<int>(bytes.size()), &img.w, &img.h, &n, 3);
  REQUIRE(data != nullptr);
  img.px.assign(data, data + img.w * img.h * 3);
  stbi_image_free(data);
  return img;
}

// A w×h mask PNG: white (regenerate) inside [x0, x1) × [y0, y1), black elsewhere.
std::string mask_png(int w, int h, int x0, int y0, int x1, int y1) {
  std::vector<unsigned char> px(static_cast<size_t>(w * h * 3), 0);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x)
      for (int c = 0; c < 3; ++c) px[(y * w + x) * 3 + c] = 255;
  std::string out;
  stbi_write_png_to_func(
      [](void* ctx, void* data, int size) { static_cast<std::string*>(ctx)->append(static_cast<char*>(data), size); },
      &out, w, h, 3, px.data(), w * 3);
  return out;
}

httplib::MultipartFormDataItems inpaint_form(const std::string& image, const std::string& mask) {
  return {{"workflow", "Builtin Inpaint", "", ""},
          {"prompt", "a fox", "", ""},
          {"name", "edited", "", ""},
          {"seed", "11", "", ""},
          {"inpaintArea", R"({"x1":16,"y1":16,"x2":48,"y2":48})", "", ""},
          {"image", image, "photo.png", "image/png"},
          {"mask", mask, "mask.png", "image/png"}};
}

std::string wait_complete(int port, const std::string& id) {
  auto events = read_events(port, id);
  REQUIRE_FALSE(events.empty());
  INFO(events.back().data);
  REQUIRE(events.back().event == "complete");
  return events.back().data;
}

} // namespace

TEST_CASE("builtin inpaint keeps every pixel outside the mask and changes the inside") {
  temp_folder data("inpaint");
  server_process server(data.path());
  auto c = server.client();
  std::string source = tiny_png(c, 1);
  std::string mask = mask_png(64, 64, 16, 16, 48, 48);
  auto res = c.Post("/generate/inpaint", inpaint_form(source, mask));
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 202);
  auto id = std::string(parse_json(res->body)["taskId"].GetString());
  auto complete = parse_json(wait_complete(server.port(), id));
  auto& result = complete["result"];
  CHECK(result["inpaint"].GetBool());
  CHECK(std::string(result["type"].GetString()) == "image");
  CHECK(result["inpaintArea"]["x2"].GetDouble() == 48);
  auto out = decode(fetch(c, result["imageUrl"].GetString()));
  auto src = decode(source);
  auto msk = decode(mask);
  REQUIRE(out.w == src.w);
  REQUIRE(out.h == src.h);
  size_t outside = 0, inside = 0, inside_changed = 0;
  for (int y = 0; y < src.h; ++y)
    for (int x = 0; x < src.w; ++x) {
      int m = msk.at(x, y, 0);
      bool same = out.at(x, y, 0) == src.at(x, y, 0) && out.at(x, y, 1) == src.at(x, y, 1) &&
                  out.at(x, y, 2) == src.at(x, y, 2);
      if (m == 0) {
        ++outside;
        CHECK_MESSAGE(same, "pixel " << x << "," << y << " outside the mask changed");
      } else if (m == 255) {
        ++inside;
        inside_changed += !same;
      }
    }
  CHECK(outside == 64 * 64 - 32 * 32);
  CHECK(inside == 32 * 32);
  CHECK(inside_changed > inside * 9 / 10);

  auto db = durable_gallery(data.path());
  REQUIRE(db["mediaData"].Size() == 1);
  CHECK(db["mediaData"][0]["inpaint"].GetBool());
  CHECK(db["mediaData"][0]["inpaintArea"]["x1"].GetDouble() == 16);
  CHECK(files_in(data.path() / "inputs") == 0); // uploads are removed when their task ends

  SUBCASE("a mask of another size is scaled to the image") {
    auto small = c.Post("/generate/inpaint", inpaint_form(source, mask_png(16, 16, 4, 4, 12, 12)));
    REQUIRE(small);
    REQUIRE(small->status == 202);
    auto done = parse_json(wait_complete(server.port(), parse_json(small->body)["taskId"].GetString()));
    auto scaled = decode(fetch(c, done["result"]["imageUrl"].GetString()));
    REQUIRE(scaled.w == 64);
    // Far from the square's edge (which scaling blurs), outside is kept and inside is new.
    auto same = [&](int x, int y) {
      return scaled.at(x, y, 0) == src.at(x, y, 0) && scaled.at(x, y, 1) == src.at(x, y, 1) &&
             scaled.at(x, y, 2) == src.at(x, y, 2);
    };
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x)
        if (x < 12 || x > 51 || y < 12 || y > 51) CHECK_MESSAGE(same(x, y), x << "," << y);
    int changed = 0;
    for (int y = 20; y < 44; ++y)
      for (int x = 20; x < 44; ++x) changed += !same(x, y);
    CHECK(changed > 24 * 24 * 9 / 10);
  }
}

TEST_CASE("image to image takes one uploaded image - sync answers with a result of its size") {
  temp_folder data("img2img");
  server_process server(data.path());
  auto c = server.client();
  std::string source = tiny_png(c, 3);
  httplib::MultipartFormDataItems form = {{"workflow", "Builtin Image to Image", "", ""},
                                          {"prompt", "blend", "", ""},
                                          {"strength", "0.25", "", ""},
                                          {"image_0", source, "../../etc/passwd", "text/plain"}};
  auto res = c.Post("/generate/sync", form);
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  auto out = decode(fetch(c, parse_json(res->body)["imageUrl"].GetString()));
  CHECK(out.w == 64);
  CHECK(out.h == 64);
  // Missing the file the workflow needs.
  httplib::MultipartFormDataItems missing = {{"workflow", "Builtin Image to Image", "", ""},
                                             {"prompt", "blend", "", ""}};
  auto refused = c.Post("/generate", missing);
  REQUIRE(refused);
  CHECK(refused->status == 400);
}

TEST_CASE("bad uploads are refused with 4xx JSON and nothing is written") {
  temp_folder data("uploads");
  server_process server(data.path(), {"--max-upload-bytes=200000"});
  auto c = server.client();
  std::string good = tiny_png(c, 4);
  size_t storage_before = files_in(data.path() / "storage");
  std::string truncated = good.substr(0, good.size() / 2);
  std::string text = "hello, this is not an image at all";
  struct row {
    const char* what;
    httplib::MultipartFormDataItems form;
    int status;
  };
  auto form_with = [&](const std::string& image, const std::string& mask, const char* area = nullptr) {
    auto f = inpaint_form(image, mask);
    if (area)
      for (auto& item : f)
        if (item.name == "inpaintArea") item.content = area;
    return f;
  };
  auto no_mask = inpaint_form(good, good);
  no_mask.pop_back();
  auto no_name = inpaint_form(good, good);
  no_name.erase(no_name.begin() + 2);
  auto wrong_workflow = inpaint_form(good, good);
  wrong_workflow[0].content = "Builtin Tiny";
  std::vector<row> rows = {
      {"a text file sent as image", form_with(text, good), 400},
      {"a 0-byte image", form_with("", good), 400},
      {"a truncated PNG", form_with(truncated, good), 400},
      {"a text mask", form_with(good, text), 400},
      {"a missing mask", no_mask, 400},
      {"a missing name", no_name, 400},
      {"inpaintArea that is not JSON", form_with(good, good, "{x1: 1"), 400},
      {"inpaintArea with a text coordinate", form_with(good, good, R"({"x1":"a","y1":0,"x2":1,"y2":1})"), 400},
      {"a workflow that is not an inpaint workflow", wrong_workflow, 400},
      {"a body over the limit", form_with(std::string(300000, 'x'), good), 413},
  };
  for (auto& r : rows) {
    CAPTURE(r.what);
    auto res = c.Post("/generate/inpaint", r.form);
    REQUIRE(res);
    CHECK(res->status == r.status);
    auto d = parse_json(res->body);
    CHECK(d["error"].IsString());
  }
  // JSON is taken (files as base64), so one without its files is a 400; another type is a 415.
  auto json_body = post_json(c, "/generate/inpaint", R"({"workflow":"Builtin Inpaint","prompt":"p","name":"n"})");
  REQUIRE(json_body);
  CHECK(json_body->status == 400);
  auto text_body = c.Post("/generate/inpaint", R"({"workflow":"Builtin Inpaint"})", "text/plain");
  REQUIRE(text_body);
  CHECK(text_body->status == 415);
  CHECK(files_in(data.path() / "inputs") == 0);
  CHECK(files_in(data.path() / "storage") == storage_before);
  CHECK_FALSE(fs::exists(data.path() / "database" / "media-data.json"));
  CHECK(c.Get("/healthz")->status == 200);
}
