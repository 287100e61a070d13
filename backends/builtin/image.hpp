#pragma once
// The pixel types the builtin nodes pass between each other, and the resampling they share.
// Pixels are floats in 0..1 so that chains of operations do not lose precision at every step;
// they are quantised to 8 bits only when encoded.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mediagen::builtin {

/// An RGB or RGBA picture, row-major, channels interleaved, values 0..1.
struct image {
  int width = 0;
  int height = 0;
  int channels = 3;          ///< 3 (RGB) or 4 (RGBA)
  std::vector<float> pixels; ///< width * height * channels values

  float* row(int y) { return pixels.data() + static_cast<std::size_t>(y) * width * channels; }
  const float* row(int y) const { return pixels.data() + static_cast<std::size_t>(y) * width * channels; }
};

/// A single-channel weight per pixel, 0..1 (ComfyUI's MASK: 1 means "selected").
struct mask {
  int width = 0;
  int height = 0;
  std::vector<float> values; ///< width * height values, row-major

  float* row(int y) { return values.data() + static_cast<std::size_t>(y) * width; }
  const float* row(int y) const { return values.data() + static_cast<std::size_t>(y) * width; }
};

/// A blank image / mask filled with `fill`.
image make_image(int width, int height, int channels, float fill = 0.0f);
mask make_mask(int width, int height, float fill = 0.0f);

/// 8-bit conversions. Rounding is exact both ways: from_bytes(to_bytes(x)) gives back the same
/// bytes, which is what lets untouched pixels survive a chain of nodes bit for bit.
std::vector<std::uint8_t> to_bytes(const image& img);
image from_bytes(const std::uint8_t* data, int width, int height, int channels);
std::uint8_t to_byte(float v);

/// How `resize` interpolates; names follow ComfyUI's upscale_method values.
enum class resample_filter { nearest, bilinear, area, bicubic, lanczos };

/// Parses a ComfyUI upscale_method name; false when unknown.
bool parse_resample_filter(const std::string& name, resample_filter& out);

/// Scales to exactly width x height; results are clamped to 0..1.
image resize(const image& src, int width, int height, resample_filter filter);
mask resize(const mask& src, int width, int height, resample_filter filter);

/// The centred region of `src` with the aspect ratio of target_w:target_h (ComfyUI's crop "center").
image crop_to_aspect(const image& src, int target_w, int target_h);

} // namespace mediagen::builtin
