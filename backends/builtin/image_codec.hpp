#pragma once
// PNG encoding, small JPEG previews, and PNG/JPEG/BMP/GIF (first frame) decoding through stb.
// stb_image has no WebP decoder, so a WebP upload is refused with stb's own reason.

#include <string>

#include "backends/builtin/image.hpp"

namespace mediagen::builtin {

/// Encodes as an 8-bit PNG with as many channels as the image has. Throws std::runtime_error.
std::string encode_png(const image& img);

/// A live preview: the image scaled down (area filter) to at most `max_side` pixels on its longer
/// side, as an RGB JPEG of `quality` (1..100). Throws std::runtime_error.
std::string encode_preview_jpeg(const image& img, int max_side = 256, int quality = 80);

/// A decoded file: the colour channels and, when the file had one, its alpha channel.
struct decoded_image {
  image rgb; ///< always 3 channels
  bool has_alpha = false;
  mask alpha; ///< alpha 0..1 (1 = opaque); filled with 1 when the file has none
};

/// Decodes an image file held in memory. Throws std::runtime_error with a short reason.
decoded_image decode_image(const std::string& bytes);

} // namespace mediagen::builtin
