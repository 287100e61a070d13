#include "backends/comfyui/preview_frame.hpp"

#include <cstdint>

#include "common/json.hpp"

namespace mediagen::comfyui {

namespace {

/// Metadata is a handful of ids; a length past this is garbage, not metadata.
constexpr std::uint32_t max_metadata_bytes = 64 * 1024;

std::uint32_t big_endian_u32(std::string_view bytes, std::size_t at) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data() + at);
  return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | std::uint32_t(b[3]);
}

bool has_magic(std::string_view image, const std::string& mime) {
  if (mime == "image/jpeg") return image.size() >= 3 && image.substr(0, 3) == std::string_view("\xFF\xD8\xFF", 3);
  return image.size() >= 8 && image.substr(0, 8) == std::string_view("\x89PNG\r\n\x1A\n", 8);
}

preview_result malformed() {
  preview_result r;
  r.status = preview_status::malformed;
  return r;
}

preview_result accept(std::string_view image, std::string mime, std::optional<std::string> prompt_id) {
  if (!has_magic(image, mime)) return malformed();
  preview_result r;
  r.status = preview_status::ok;
  r.frame.mime = std::move(mime);
  r.frame.image.assign(image.data(), image.size());
  r.frame.prompt_id = std::move(prompt_id);
  return r;
}

} // namespace

preview_result parse_preview_frame(std::string_view bytes, std::size_t max_bytes) {
  if (bytes.size() < 4) return {};
  const std::uint32_t event = big_endian_u32(bytes, 0);
  if (event != 1 && event != 2 && event != 4) return {};
  if (bytes.size() > max_bytes) {
    preview_result r;
    r.status = preview_status::oversized;
    return r;
  }
  if (bytes.size() < 8) return malformed();
  const std::uint32_t word = big_endian_u32(bytes, 4);
  if (event != 4) {
    if (word != 1 && word != 2) return malformed();
    return accept(bytes.substr(8), word == 1 ? "image/jpeg" : "image/png", std::nullopt);
  }
  // Type 4: `word` is the metadata's length.
  if (word > max_metadata_bytes || word > bytes.size() - 8) return malformed();
  json::document meta;
  if (!json::parse(std::string(bytes.substr(8, word)), meta).empty() || !meta.IsObject()) return malformed();
  std::string mime = json::get_string(meta, "image_type").value_or("image/jpeg");
  if (mime != "image/jpeg" && mime != "image/png") return malformed();
  return accept(bytes.substr(8 + word), std::move(mime), json::get_string(meta, "prompt_id"));
}

} // namespace mediagen::comfyui
