// What each builtin node means, checked through whole graphs: the pixels that come out of
// SaveImage are what a client would get.

#include <doctest/doctest.h>

#include <cstdlib>

#include "tests/unit/builtin_test_support.hpp"

using namespace mediagen::builtin;
using namespace mediagen::builtin::test;

namespace {

std::vector<image> run_ok(fake_io& io, const std::string& graph) {
  execution_outcome o = io.run(graph);
  REQUIRE_MESSAGE(o.ok, o.error);
  std::vector<image> out;
  for (const std::string& name : io.saved_order) out.push_back(decode_image(io.saved.at(name)).rgb);
  return out;
}

image run_one(fake_io& io, const std::string& graph) {
  std::vector<image> all = run_ok(io, graph);
  REQUIRE(all.size() == 1);
  return all[0];
}

std::string run_error(fake_io& io, const std::string& graph) {
  execution_outcome o = io.run(graph);
  CHECK_FALSE(o.ok);
  CHECK_FALSE(o.cancelled);
  return o.error;
}

/// A 2-channel-per-half picture: left half (x < w/2) gets `left`, right half `right`, all channels.
image halves(int w, int h, float left, float right) {
  image img = make_image(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) img.row(y)[x * 3 + c] = x < w / 2 ? left : right;
  return img;
}

void check_pixel(const image& img, int x, int y, int r, int g, int b, int tolerance = 0) {
  CAPTURE(x);
  CAPTURE(y);
  CHECK(std::abs(byte_at(img, x, y, 0) - r) <= tolerance);
  CHECK(std::abs(byte_at(img, x, y, 1) - g) <= tolerance);
  CHECK(std::abs(byte_at(img, x, y, 2) - b) <= tolerance);
}

const char* save_node = R"("99": {"class_type": "SaveImage", "inputs": {"images": ["5", 0], "filename_prefix": "t"}})";

/// A graph whose node 5 is saved: `nodes` are the other node entries.
std::string with_save(const std::string& nodes) { return "{" + nodes + "," + save_node + "}"; }

} // namespace

TEST_CASE("builtin: EmptyImage makes a solid batch of the given colour") {
  fake_io io;
  auto out = run_ok(io, with_save(R"("5": {"class_type": "EmptyImage",
      "inputs": {"width": 5, "height": 3, "batch_size": 2, "color": 3368601}})")); // 0x336699
  REQUIRE(out.size() == 2);
  for (const image& img : out) {
    CHECK(img.width == 5);
    CHECK(img.height == 3);
    check_pixel(img, 0, 0, 0x33, 0x66, 0x99);
    check_pixel(img, 4, 2, 0x33, 0x66, 0x99);
  }
}

TEST_CASE("builtin: ImageInvert turns each colour into its complement") {
  fake_io io;
  image img = run_one(
      io, with_save(R"("1": {"class_type": "EmptyImage", "inputs": {"width": 4, "height": 4, "color": 1056816}},
      "5": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}})")); // 0x102030
  check_pixel(img, 2, 2, 0xEF, 0xDF, 0xCF);
}

TEST_CASE("builtin: ImageScale resizes, keeps aspect for a 0 side, and crops to the centre") {
  fake_io io;
  io.inputs["wide.png"] = encode_png(patterned(40, 20, 3));
  auto scaled = [&](const std::string& inputs) {
    fake_io run;
    run.inputs = io.inputs;
    return run_one(run, with_save(R"("1": {"class_type": "LoadImage", "inputs": {"image": "wide.png"}},
        "5": {"class_type": "ImageScale", "inputs": )" +
                                  inputs + "}"));
  };
  image a = scaled(
      R"({"image": ["1", 0], "upscale_method": "bilinear", "width": 20, "height": 10, "crop": "disabled"})");
  CHECK(a.width == 20);
  CHECK(a.height == 10);
  image b = scaled(R"({"image": ["1", 0], "upscale_method": "area", "width": 0, "height": 10, "crop": "disabled"})");
  CHECK(b.width == 20);
  CHECK(b.height == 10);
  image c = scaled(R"({"image": ["1", 0], "upscale_method": "lanczos", "width": 64, "height": 64, "crop": "center"})");
  CHECK(c.width == 64);
  CHECK(c.height == 64);
  image same = scaled(
      R"({"image": ["1", 0], "upscale_method": "bicubic", "width": 40, "height": 20, "crop": "disabled"})");
  CHECK(encode_png(same) == io.inputs["wide.png"]);

  // Nearest doubles every pixel; centre crop of a 40x20 to a square keeps columns 10..29.
  image nearest = scaled(
      R"({"image": ["1", 0], "upscale_method": "nearest-exact", "width": 80, "height": 40, "crop": "disabled"})");
  image original = decode_image(io.inputs["wide.png"]).rgb;
  for (int c2 = 0; c2 < 3; ++c2) {
    CHECK(byte_at(nearest, 7, 9, c2) == byte_at(original, 3, 4, c2));
    CHECK(byte_at(nearest, 6, 8, c2) == byte_at(original, 3, 4, c2));
  }
  image cropped = scaled(
      R"({"image": ["1", 0], "upscale_method": "nearest-exact", "width": 20, "height": 20, "crop": "center"})");
  for (int c2 = 0; c2 < 3; ++c2) CHECK(byte_at(cropped, 0, 0, c2) == byte_at(original, 10, 0, c2));
}

TEST_CASE("builtin: ImageBlur softens edges and leaves flat areas alone") {
  fake_io io;
  io.inputs["edge.png"] = encode_png(halves(32, 8, 0.0f, 1.0f));
  image img = run_one(io, with_save(R"("1": {"class_type": "LoadImage", "inputs": {"image": "edge.png"}},
      "5": {"class_type": "ImageBlur", "inputs": {"image": ["1", 0], "blur_radius": 3, "sigma": 1.0}})"));
  CHECK(img.width == 32);
  check_pixel(img, 2, 4, 0, 0, 0); // far from the edge: unchanged
  check_pixel(img, 29, 4, 255, 255, 255);
  int left = byte_at(img, 15, 4, 0), right = byte_at(img, 16, 4, 0);
  CHECK(left > 0);
  CHECK(left < 128);
  CHECK(right > 128);
  CHECK(right < 255);

  fake_io none;
  none.inputs = io.inputs;
  image same = run_one(none, with_save(R"("1": {"class_type": "LoadImage", "inputs": {"image": "edge.png"}},
      "5": {"class_type": "ImageBlur", "inputs": {"image": ["1", 0], "blur_radius": 0, "sigma": 1.0}})"));
  CHECK(encode_png(same) == io.inputs["edge.png"]);
}

TEST_CASE("builtin: ImageBlend mixes by factor in normal, multiply and screen modes") {
  auto blend = [](int color1, int color2, double factor, const char* mode) {
    fake_io io;
    std::string g = with_save(R"("1": {"class_type": "EmptyImage", "inputs": {"width": 6, "height": 6, "color": )" +
                              std::to_string(color1) + R"(}},
        "2": {"class_type": "EmptyImage", "inputs": {"width": 3, "height": 2, "color": )" +
                              std::to_string(color2) + R"(}},
        "5": {"class_type": "ImageBlend", "inputs": {"image1": ["1", 0], "image2": ["2", 0], "blend_factor": )" +
                              std::to_string(factor) + R"(, "blend_mode": ")" + mode + R"("}})");
    image img = run_one(io, g);
    CHECK(img.width == 6); // image2 is scaled to image1
    CHECK(img.height == 6);
    return byte_at(img, 3, 3, 0);
  };
  CHECK(blend(0x000000, 0xFFFFFF, 0.5, "normal") == 128);
  CHECK(blend(0x000000, 0xFFFFFF, 0.0, "normal") == 0);
  CHECK(blend(0x000000, 0xFFFFFF, 1.0, "normal") == 255);
  CHECK(blend(0x808080, 0x808080, 1.0, "multiply") == 64);
  CHECK(blend(0x808080, 0x808080, 1.0, "screen") == 192);
  CHECK(blend(0x000000, 0x808080, 1.0, "screen") == 128);
}

TEST_CASE("builtin: ImageCompositeMasked changes only masked pixels, byte for byte") {
  fake_io io;
  image dest = patterned(64, 48, 3);
  io.inputs["dest.png"] = encode_png(dest);
  // An 8x8 mask picture, red channel 255 on its left half: scaled to the 16x16 source.
  io.inputs["mask.png"] = encode_png(halves(8, 8, 1.0f, 0.0f));
  const std::string original_bytes = io.inputs["dest.png"];
  image original = decode_image(original_bytes).rgb;

  image out = run_one(io, with_save(R"(
      "1": {"class_type": "LoadImage", "inputs": {"image": "dest.png"}},
      "2": {"class_type": "EmptyImage", "inputs": {"width": 16, "height": 16, "batch_size": 1, "color": 16711680}},
      "3": {"class_type": "LoadImageMask", "inputs": {"image": "mask.png", "channel": "red"}},
      "5": {"class_type": "ImageCompositeMasked", "inputs": {"destination": ["1", 0], "source": ["2", 0],
            "x": 10, "y": 5, "resize_source": false, "mask": ["3", 0]}})"));
  REQUIRE(out.width == 64);
  REQUIRE(out.height == 48);
  int changed = 0;
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      bool in_rect = x >= 10 && x < 26 && y >= 5 && y < 21;
      bool masked_side = in_rect && x - 10 < 8;
      bool surely_unmasked = !in_rect || x - 10 >= 10; // the scaled mask's soft edge is near column 8
      bool surely_masked = in_rect && x - 10 < 6;
      bool same = true;
      for (int c = 0; c < 3; ++c) same = same && byte_at(out, x, y, c) == byte_at(original, x, y, c);
      if (!same) ++changed;
      if (surely_unmasked) {
        CAPTURE(x);
        CAPTURE(y);
        CHECK(same);
      }
      if (surely_masked) check_pixel(out, x, y, 255, 0, 0);
      (void)masked_side;
    }
  CHECK(changed >= 16 * 6);
}

TEST_CASE("builtin: ImageCompositeMasked without a mask pastes the whole source, clipped") {
  fake_io io;
  io.inputs["dest.png"] = encode_png(patterned(20, 20, 3));
  image original = decode_image(io.inputs["dest.png"]).rgb;
  image out = run_one(io, with_save(R"(
      "1": {"class_type": "LoadImage", "inputs": {"image": "dest.png"}},
      "2": {"class_type": "EmptyImage", "inputs": {"width": 10, "height": 10, "color": 255}},
      "5": {"class_type": "ImageCompositeMasked", "inputs": {"destination": ["1", 0], "source": ["2", 0],
            "x": -4, "y": 15, "resize_source": "false"}})"));
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) {
      bool pasted = x < 6 && y >= 15;
      if (pasted)
        check_pixel(out, x, y, 0, 0, 255);
      else
        check_pixel(out, x, y, byte_at(original, x, y, 0), byte_at(original, x, y, 1), byte_at(original, x, y, 2));
    }

  fake_io resized;
  resized.inputs = io.inputs;
  image all = run_one(resized, with_save(R"(
      "1": {"class_type": "LoadImage", "inputs": {"image": "dest.png"}},
      "2": {"class_type": "EmptyImage", "inputs": {"width": 3, "height": 3, "color": 255}},
      "5": {"class_type": "ImageCompositeMasked", "inputs": {"destination": ["1", 0], "source": ["2", 0],
            "x": 0, "y": 0, "resize_source": true}})"));
  check_pixel(all, 0, 0, 0, 0, 255);
  check_pixel(all, 19, 19, 0, 0, 255);
}

TEST_CASE("builtin: LoadImage's mask is 1 - alpha, and all 0 without alpha") {
  // Alpha 0 (transparent) on the left half, 255 on the right.
  image rgba = make_image(8, 4, 4, 0.5f);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x) rgba.row(y)[x * 4 + 3] = x < 4 ? 0.0f : 1.0f;
  auto composite_with_mask_of = [](const std::string& png) {
    fake_io io;
    io.inputs["in.png"] = png;
    return run_one(io, with_save(R"(
        "1": {"class_type": "LoadImage", "inputs": {"image": "in.png"}},
        "2": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 4, "color": 0}},
        "3": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 4, "color": 16777215}},
        "5": {"class_type": "ImageCompositeMasked", "inputs": {"destination": ["2", 0], "source": ["3", 0],
              "x": 0, "y": 0, "resize_source": false, "mask": ["1", 1]}})"));
  };
  image with_alpha = composite_with_mask_of(encode_png(rgba));
  check_pixel(with_alpha, 1, 1, 255, 255, 255); // transparent: selected
  check_pixel(with_alpha, 6, 1, 0, 0, 0);       // opaque: untouched
  image opaque = composite_with_mask_of(encode_png(solid(8, 4, 0.2f, 0.4f, 0.6f)));
  check_pixel(opaque, 1, 1, 0, 0, 0);
  check_pixel(opaque, 6, 1, 0, 0, 0);

  // LoadImage's image output drops alpha, as ComfyUI's does.
  fake_io io;
  io.inputs["in.png"] = encode_png(rgba);
  image colour = run_one(io, R"({"5": {"class_type": "LoadImage", "inputs": {"image": "in.png"}},
      "99": {"class_type": "SaveImage", "inputs": {"images": ["5", 0]}}})");
  check_pixel(colour, 0, 0, 128, 128, 128);
  CHECK_FALSE(decode_image(io.file(0)).has_alpha);
}

TEST_CASE("builtin: LoadImageMask inverts alpha only") {
  image rgba = make_image(8, 4, 4, 0.0f);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x) {
      rgba.row(y)[x * 4 + 1] = x < 4 ? 1.0f : 0.0f; // green on the left
      rgba.row(y)[x * 4 + 3] = x < 4 ? 1.0f : 0.0f; // opaque on the left
    }
  auto paste = [&](const char* channel) {
    fake_io io;
    io.inputs["m.png"] = encode_png(rgba);
    return run_one(io, with_save(std::string(R"(
        "1": {"class_type": "LoadImageMask", "inputs": {"image": "m.png", "channel": ")") +
                                 channel + R"("}},
        "2": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 4, "color": 0}},
        "3": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 4, "color": 16777215}},
        "5": {"class_type": "ImageCompositeMasked", "inputs": {"destination": ["2", 0], "source": ["3", 0],
              "x": 0, "y": 0, "resize_source": false, "mask": ["1", 0]}})"));
  };
  image green = paste("green");
  check_pixel(green, 1, 1, 255, 255, 255);
  check_pixel(green, 6, 1, 0, 0, 0);
  image alpha = paste("alpha");
  check_pixel(alpha, 1, 1, 0, 0, 0);
  check_pixel(alpha, 6, 1, 255, 255, 255);
  image red = paste("red");
  check_pixel(red, 1, 1, 0, 0, 0);
  check_pixel(red, 6, 1, 0, 0, 0);
}

TEST_CASE("builtin: SaveImage keeps only safe characters of filename_prefix") {
  auto prefix_of = [](const std::string& prefix_json) {
    fake_io io;
    std::string g = R"({"1": {"class_type": "EmptyImage", "inputs": {"width": 2, "height": 2}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": )" +
                    prefix_json + "}}}";
    execution_outcome o = io.run(g);
    REQUIRE_MESSAGE(o.ok, o.error);
    std::string name = o.outputs.at(0).filename;
    return name.substr(0, name.rfind('_'));
  };
  CHECK(prefix_of(R"("../etc/pass wd!")") == "etcpasswd");
  CHECK(prefix_of(R"("my-render_1")") == "my-render_1");
  CHECK(prefix_of(R"("")") == "image");
  CHECK(prefix_of(R"("///")") == "image");
  CHECK(prefix_of("null") == "image");
}

TEST_CASE("builtin: batches flow through ops and each image is saved") {
  fake_io io;
  auto out = run_ok(io, with_save(R"(
      "1": {"class_type": "EmptyImage", "inputs": {"width": 10, "height": 10, "batch_size": 3, "color": 65280}},
      "5": {"class_type": "ImageScale", "inputs": {"image": ["1", 0], "upscale_method": "bilinear",
            "width": 4, "height": 6, "crop": "disabled"}})"));
  REQUIRE(out.size() == 3);
  for (const image& img : out) {
    CHECK(img.width == 4);
    CHECK(img.height == 6);
    check_pixel(img, 2, 3, 0, 255, 0);
  }
  CHECK(io.progress.back().value == 3);
  CHECK(io.progress.back().max == 3);
}

TEST_CASE("builtin: node input errors are sentences that name the node") {
  fake_io io;
  io.inputs["junk.png"] = "this is not an image";
  io.inputs["ok.png"] = encode_png(solid(4, 4, 0, 0, 0));
  CHECK(run_error(io, with_save(R"("1": {"class_type": "EmptyImage", "inputs": {"width": 4, "height": 4}},
        "5": {"class_type": "ImageBlend", "inputs": {"image1": ["1", 0], "image2": ["1", 0], "blend_factor": 0.5,
              "blend_mode": "hard_mix"}})")) ==
        "Node 5 (ImageBlend): blend_mode must be one of normal, multiply, screen, overlay, soft_light, difference.");
  CHECK(run_error(io, with_save(R"("1": {"class_type": "EmptyImage", "inputs": {"width": 4, "height": 4}},
        "5": {"class_type": "ImageBlend", "inputs": {"image1": ["1", 0], "image2": ["1", 0], "blend_factor": 1.5}})")) ==
        "Node 5 (ImageBlend): blend_factor must be between 0 and 1.");
  CHECK(run_error(io, with_save(R"("5": {"class_type": "LoadImage", "inputs": {"image": "nope.png"}})")) ==
        "Node 5 (LoadImage): input file 'nope.png' is not available.");
  std::string junk = run_error(io, with_save(R"("5": {"class_type": "LoadImage", "inputs": {"image": "junk.png"}})"));
  CHECK(junk.rfind("Node 5 (LoadImage): image 'junk.png' could not be read", 0) == 0);
  CHECK(run_error(io, with_save(R"("1": {"class_type": "LoadImage", "inputs": {"image": "ok.png"}},
        "5": {"class_type": "ImageBlur", "inputs": {"image": ["1", 0], "blur_radius": 2, "sigma": 0}})")) ==
        "Node 5 (ImageBlur): sigma must be between 0.1 and 10.");
  CHECK(run_error(
            io, with_save(R"("5": {"class_type": "EmptyImage", "inputs": {"width": 4, "height": 4, "color": -1}})")) ==
        "Node 5 (EmptyImage): color must be between 0 and 16777215.");
  CHECK(
      run_error(
          io, with_save(
                  R"("5": {"class_type": "EmptyImage", "inputs": {"width": 4096, "height": 4096, "batch_size": 64}})"))
          .rfind("Node 5 (EmptyImage): batch_size times width times height", 0) == 0);
  CHECK(run_error(io,
                  with_save(R"("1": {"class_type": "LoadImageMask", "inputs": {"image": "ok.png", "channel": "purple"}},
        "2": {"class_type": "LoadImage", "inputs": {"image": "ok.png"}},
        "5": {"class_type": "ImageCompositeMasked", "inputs": {"destination": ["2", 0], "source": ["2", 0],
              "x": 0, "y": 0, "mask": ["1", 0]}})")) ==
        "Node 1 (LoadImageMask): channel must be one of alpha, red, green, blue.");
  CHECK(run_error(io, with_save(R"("1": {"class_type": "LoadImage", "inputs": {"image": "ok.png"}},
        "5": {"class_type": "ImageCompositeMasked", "inputs": {"destination": ["1", 0], "source": ["1", 0],
              "x": 0, "y": 0, "resize_source": "maybe"}})")) ==
        "Node 5 (ImageCompositeMasked): resize_source must be true or false.");
  CHECK(run_error(io, with_save(R"("1": {"class_type": "LoadImage", "inputs": {"image": "ok.png"}},
        "5": {"class_type": "ImageScale", "inputs": {"image": ["1", 0], "upscale_method": "magic", "width": 8, "height": 8}})")) ==
        "Node 5 (ImageScale): upscale_method must be one of nearest-exact, bilinear, area, bicubic, lanczos.");
}

TEST_CASE("builtin: PNG round trip keeps RGBA and rejects what stb cannot read") {
  image rgba = patterned(7, 5, 4);
  decoded_image d = decode_image(encode_png(rgba));
  CHECK(d.has_alpha);
  CHECK(d.rgb.width == 7);
  CHECK(d.rgb.height == 5);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 7; ++x) {
      for (int c = 0; c < 3; ++c) CHECK(byte_at(d.rgb, x, y, c) == byte_at(rgba, x, y, c));
      CHECK(to_byte(d.alpha.row(y)[x]) == byte_at(rgba, x, y, 3));
    }
  CHECK_THROWS_AS(decode_image(""), std::runtime_error);
  CHECK_THROWS_AS(decode_image("RIFF\x10\0\0\0WEBPVP8 "), std::runtime_error);
}
