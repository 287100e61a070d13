// backends/comfyui/preview_frame: ComfyUI's binary preview framing (server.py send_image,
// send_image_with_metadata, encode_bytes), bounds and garbage.

#include <doctest/doctest.h>

#include <string>

#include "backends/comfyui/preview_frame.hpp"

using namespace mediagen::comfyui;

namespace {

std::string be32(std::uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
}

const std::string jpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "jpeg body" + std::string("\xFF\xD9", 2);
const std::string png = std::string("\x89PNG\r\n\x1A\n", 8) + "png body";

} // namespace

TEST_CASE("comfyui preview frame: PREVIEW_IMAGE (1) with format word 1 is a JPEG, 2 a PNG, for the running prompt") {
  auto r = parse_preview_frame(be32(1) + be32(1) + jpeg, 1 << 20);
  REQUIRE(r.status == preview_status::ok);
  CHECK(r.frame.mime == "image/jpeg");
  CHECK(r.frame.image == jpeg);
  CHECK_FALSE(r.frame.prompt_id);
  r = parse_preview_frame(be32(1) + be32(2) + png, 1 << 20);
  REQUIRE(r.status == preview_status::ok);
  CHECK(r.frame.mime == "image/png");
  CHECK(r.frame.image == png);
}

TEST_CASE("comfyui preview frame: PREVIEW_IMAGE_WITH_METADATA (4) names its prompt and image type") {
  std::string meta = R"({"node_id": "3", "prompt_id": "p-42", "display_node_id": "3", "parent_node_id": null,)"
                     R"( "real_node_id": "3", "image_type": "image/png"})";
  auto r = parse_preview_frame(be32(4) + be32(static_cast<std::uint32_t>(meta.size())) + meta + png, 1 << 20);
  REQUIRE(r.status == preview_status::ok);
  CHECK(r.frame.mime == "image/png");
  CHECK(r.frame.image == png);
  REQUIRE(r.frame.prompt_id);
  CHECK(*r.frame.prompt_id == "p-42");
  // A metadata length past the frame, metadata that is not a JSON object, an unknown image type.
  CHECK(parse_preview_frame(be32(4) + be32(9999) + meta + png, 1 << 20).status == preview_status::malformed);
  CHECK(parse_preview_frame(be32(4) + be32(3) + "[1]" + png, 1 << 20).status == preview_status::malformed);
  std::string webp = R"({"prompt_id": "p", "image_type": "image/webp"})";
  CHECK(parse_preview_frame(be32(4) + be32(static_cast<std::uint32_t>(webp.size())) + webp + png, 1 << 20).status ==
        preview_status::malformed);
}

TEST_CASE("comfyui preview frame: text (3), unknown and short frames are no previews, bad headers are malformed") {
  CHECK(parse_preview_frame(be32(3) + "hello", 1 << 20).status == preview_status::not_preview);
  CHECK(parse_preview_frame(be32(77) + be32(1) + jpeg, 1 << 20).status == preview_status::not_preview);
  CHECK(parse_preview_frame(std::string("\x00\x00\x01", 3), 1 << 20).status == preview_status::not_preview);
  CHECK(parse_preview_frame("", 1 << 20).status == preview_status::not_preview);
  CHECK(parse_preview_frame(be32(1) + std::string("\x00\x00", 2), 1 << 20).status == preview_status::malformed);
  CHECK(parse_preview_frame(be32(1) + be32(9) + jpeg, 1 << 20).status == preview_status::malformed);
  // The format word says JPEG, the bytes are a PNG (and the other way round).
  CHECK(parse_preview_frame(be32(1) + be32(1) + png, 1 << 20).status == preview_status::malformed);
  CHECK(parse_preview_frame(be32(1) + be32(2) + jpeg, 1 << 20).status == preview_status::malformed);
  CHECK(parse_preview_frame(be32(1) + be32(1), 1 << 20).status == preview_status::malformed);
}

TEST_CASE("comfyui preview frame: a frame over the limit is dropped unread, one at the limit passes") {
  std::string frame = be32(1) + be32(1) + jpeg + std::string(1000, 'x');
  CHECK(parse_preview_frame(frame, frame.size() - 1).status == preview_status::oversized);
  CHECK(parse_preview_frame(frame, frame.size()).status == preview_status::ok);
}
