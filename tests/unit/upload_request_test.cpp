#include <doctest/doctest.h>

#include "generation/upload_request.hpp"

using namespace mediagen;

namespace {

std::string be32(std::uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

// A PNG signature and IHDR of width × height, then an IEND chunk: whole enough for the byte checks.
std::string png_of(std::uint32_t width, std::uint32_t height) {
  std::string b("\x89PNG\r\n\x1a\n", 8);
  b += be32(13) + "IHDR" + be32(width) + be32(height) + std::string("\x08\x02\0\0\0", 5) + be32(0);
  return b + std::string("\0\0\0\0IEND\xae\x42\x60\x82", 12);
}

// A JPEG with an APP0 segment before its baseline frame header (SOF0) of width × height.
std::string jpeg_of(unsigned width, unsigned height) {
  std::string b("\xFF\xD8", 2);
  b += std::string("\xFF\xE0\x00\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 18);
  b += std::string("\xFF\xC0\x00\x11\x08", 5) + char(height >> 8) + char(height & 0xFF) + char(width >> 8) +
       char(width & 0xFF) + std::string(10, '\x01');
  return b + std::string(20, 'j') + "\xFF\xD9";
}

validation_result check(const std::string& what, const std::string& bytes,
                        std::map<std::string, std::string> fields = {}, const std::string& filename = "file.bin") {
  std::vector<upload_part> parts{upload_part{what, filename, &bytes}};
  return validate_upload(what, fields, parts);
}

} // namespace

TEST_CASE("upload orientation comes from the PNG or JPEG header") {
  CHECK(image_orientation(png_of(640, 480)) == "landscape");
  CHECK(image_orientation(png_of(480, 640)) == "portrait");
  CHECK(image_orientation(png_of(64, 64)) == "square");
  CHECK(image_orientation(jpeg_of(1024, 768)) == "landscape");
  CHECK(image_orientation(jpeg_of(300, 900)) == "portrait");
  CHECK(image_orientation(std::string("\xFF\xD8\xFF\xD9", 4)) == "");
  CHECK(image_orientation("not an image") == "");
}

TEST_CASE("an image upload becomes a request for one stored file with the entry's fields") {
  auto v = check("image", png_of(10, 20), {{"name", "Cat"}}, "ignored.png");
  REQUIRE(v.ok);
  CHECK(v.request.upload == "image");
  CHECK(v.request.workflow == "Uploaded Image");
  CHECK(v.request.name == "Cat");
  CHECK(v.request.description == "Uploaded image");
  CHECK(v.request.orientation == "portrait");
  REQUIRE(v.request.files.size() == 1);
  CHECK(v.request.files[0].kind == "png");
  CHECK(v.request.files[0].stored_name.empty()); // validation writes nothing
  CHECK(check("image", png_of(1, 1), {}, "C:\\pics\\beach day.png").request.name == "beach day");
}

TEST_CASE("an audio upload keeps tags, texts, origin and clips") {
  std::string wav = "RIFF" + std::string(4, '\0') + "WAVE" + std::string(60, 'a');
  auto v = check("audio", wav, {{"tags", R"(["a"," b "])"}, {"prompt", "p"}, {"origin", "12"}, {"clips", "[[1,2]]"}});
  REQUIRE(v.ok);
  CHECK(v.request.workflow == "Uploaded Audio");
  CHECK(v.request.tags == std::vector<std::string>{"a", "b"});
  CHECK(v.request.prompt == "p");
  CHECK(v.request.description.empty());
  CHECK(v.request.extra_inputs_json == R"({"origin":12,"clips":[[1,2]],"audioFormat":"wav"})");
  CHECK(check("audio", wav).request.extra_inputs_json == R"({"clips":[],"audioFormat":"wav"})");
}

TEST_CASE("upload refusals name what is wrong") {
  std::string png = png_of(8, 8);
  std::string wav = "RIFF" + std::string(4, '\0') + "WAVE" + std::string(60, 'a');
  CHECK(validate_upload("image", {}, {}).status == 400);
  CHECK(check("image", "").status == 400);
  CHECK(check("image", wav).status == 400);
  CHECK(check("audio", png).status == 400);
  CHECK(check("image", png.substr(0, png.size() - 12)).status == 400);
  CHECK(check("audio", wav, {{"tags", "[1]"}}).status == 400);
  CHECK(check("audio", wav, {{"origin", "-1"}}).status == 400);
  CHECK(check("audio", wav, {{"clips", "3"}}).status == 400);
  CHECK(check("image", png, {{"name", std::string(70000, 'n')}}).status == 400);
  std::vector<upload_part> other{upload_part{"file", "a.png", &png}};
  CHECK_FALSE(validate_upload("image", {}, other).ok);
  std::vector<upload_part> two{upload_part{"image", "a.png", &png}, upload_part{"image", "b.png", &png}};
  CHECK_FALSE(validate_upload("image", {}, two).ok);
  for (auto& r : {check("image", wav), validate_upload("image", {}, two)}) {
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.error.empty());
    CHECK(r.request.files.empty());
  }
}
