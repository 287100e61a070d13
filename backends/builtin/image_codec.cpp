#include "backends/builtin/image_codec.hpp"

#include <algorithm>
#include <climits>
#include <memory>
#include <stdexcept>

#include <stb_image.h>
#include <stb_image_write.h>

namespace mediagen::builtin {

namespace {

// Bigger than any size a node can produce; keeps a hostile upload from allocating gigabytes.
constexpr long long max_decoded_pixels = 8192LL * 8192LL;

// stb may be built without failure strings, in which case the reason is null.
std::string failure_reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "unknown reason";
}

void append_to_string(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

} // namespace

std::string encode_png(const image& img) {
  if (img.width <= 0 || img.height <= 0 || (img.channels != 3 && img.channels != 4))
    throw std::runtime_error("cannot encode an empty image");
  std::vector<std::uint8_t> bytes = to_bytes(img);
  std::string out;
  out.reserve(bytes.size() / 2 + 1024);
  int ok = stbi_write_png_to_func(append_to_string, &out, img.width, img.height, img.channels, bytes.data(),
                                  img.width * img.channels);
  if (!ok) throw std::runtime_error("PNG encoding failed");
  return out;
}

std::string encode_preview_jpeg(const image& img, int max_side, int quality) {
  if (img.width <= 0 || img.height <= 0 || (img.channels != 3 && img.channels != 4) || max_side < 1)
    throw std::runtime_error("cannot encode an empty image");
  const int longer = std::max(img.width, img.height);
  const image* source = &img;
  image scaled;
  if (longer > max_side) {
    // Rounded, never below one pixel: a 4000x10 strip stays a strip.
    int w = std::max(1, static_cast<int>((static_cast<long long>(img.width) * max_side + longer / 2) / longer));
    int h = std::max(1, static_cast<int>((static_cast<long long>(img.height) * max_side + longer / 2) / longer));
    scaled = resize(img, w, h, resample_filter::area);
    source = &scaled;
  }
  std::vector<std::uint8_t> bytes = to_bytes(*source);
  std::string out;
  // stb's JPEG writer ignores a fourth (alpha) channel.
  int ok = stbi_write_jpg_to_func(append_to_string, &out, source->width, source->height, source->channels, bytes.data(),
                                  quality);
  if (!ok) throw std::runtime_error("JPEG encoding failed");
  return out;
}

decoded_image decode_image(const std::string& bytes) {
  if (bytes.empty()) throw std::runtime_error("the file is empty");
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) throw std::runtime_error("the file is too large");
  auto data = reinterpret_cast<const stbi_uc*>(bytes.data());
  int len = static_cast<int>(bytes.size());
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, len, &w, &h, &comp))
    throw std::runtime_error(std::string("the file is not a supported image (") + failure_reason() + ")");
  if (static_cast<long long>(w) * h > max_decoded_pixels)
    throw std::runtime_error("the image is too large (" + std::to_string(w) + "x" + std::to_string(h) + ")");
  // Grey+alpha and RGBA files keep their alpha; everything else decodes as RGB.
  bool has_alpha = comp == 2 || comp == 4;
  int want = has_alpha ? 4 : 3;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load_from_memory(data, len, &w, &h, &comp, want),
                                                   stbi_image_free);
  if (!pixels) throw std::runtime_error(std::string("the image could not be decoded (") + failure_reason() + ")");

  decoded_image out;
  out.has_alpha = has_alpha;
  out.rgb = make_image(w, h, 3);
  out.alpha = make_mask(w, h, 1.0f);
  const stbi_uc* p = pixels.get();
  std::size_t n = static_cast<std::size_t>(w) * h;
  for (std::size_t i = 0; i < n; ++i, p += want) {
    out.rgb.pixels[i * 3 + 0] = p[0] / 255.0f;
    out.rgb.pixels[i * 3 + 1] = p[1] / 255.0f;
    out.rgb.pixels[i * 3 + 2] = p[2] / 255.0f;
    if (has_alpha) out.alpha.values[i] = p[3] / 255.0f;
  }
  return out;
}

} // namespace mediagen::builtin
