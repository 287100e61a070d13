#include "backends/builtin/image.hpp"

#include <algorithm>
#include <cmath>
#include <new>

#include <stb_image_resize.h>

namespace mediagen::builtin {

image make_image(int width, int height, int channels, float fill) {
  image img;
  img.width = width;
  img.height = height;
  img.channels = channels;
  img.pixels.assign(static_cast<std::size_t>(width) * height * channels, fill);
  return img;
}

mask make_mask(int width, int height, float fill) {
  mask m;
  m.width = width;
  m.height = height;
  m.values.assign(static_cast<std::size_t>(width) * height, fill);
  return m;
}

std::uint8_t to_byte(float v) {
  // Written so that NaN lands on 0 instead of being undefined behaviour in the cast.
  if (!(v > 0.0f)) return 0;
  if (v >= 1.0f) return 255;
  return static_cast<std::uint8_t>(v * 255.0f + 0.5f);
}

std::vector<std::uint8_t> to_bytes(const image& img) {
  std::vector<std::uint8_t> out(img.pixels.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = to_byte(img.pixels[i]);
  return out;
}

image from_bytes(const std::uint8_t* data, int width, int height, int channels) {
  image img = make_image(width, height, channels);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = data[i] / 255.0f;
  return img;
}

bool parse_resample_filter(const std::string& name, resample_filter& out) {
  if (name == "nearest-exact" || name == "nearest")
    out = resample_filter::nearest;
  else if (name == "bilinear")
    out = resample_filter::bilinear;
  else if (name == "area")
    out = resample_filter::area;
  else if (name == "bicubic")
    out = resample_filter::bicubic;
  else if (name == "lanczos")
    out = resample_filter::lanczos;
  else
    return false;
  return true;
}

namespace {

// stb has no lanczos; catmull-rom is the closest sharp interpolating kernel it offers.
stbir_filter stb_filter(resample_filter f) {
  switch (f) {
    case resample_filter::area: return STBIR_FILTER_BOX;
    case resample_filter::bicubic:
    case resample_filter::lanczos: return STBIR_FILTER_CATMULLROM;
    default: return STBIR_FILTER_TRIANGLE;
  }
}

// Pixel centres map onto pixel centres, as torch's "nearest-exact" does.
void resize_nearest(const float* src, int sw, int sh, float* dst, int dw, int dh, int channels) {
  std::vector<int> xs(dw);
  for (int x = 0; x < dw; ++x) xs[x] = std::min(sw - 1, static_cast<int>((x + 0.5) * sw / dw));
  for (int y = 0; y < dh; ++y) {
    int sy = std::min(sh - 1, static_cast<int>((y + 0.5) * sh / dh));
    const float* srow = src + static_cast<std::size_t>(sy) * sw * channels;
    float* drow = dst + static_cast<std::size_t>(y) * dw * channels;
    for (int x = 0; x < dw; ++x)
      std::copy_n(srow + static_cast<std::size_t>(xs[x]) * channels, channels,
                  drow + static_cast<std::size_t>(x) * channels);
  }
}

void resize_plane(const float* src, int sw, int sh, float* dst, int dw, int dh, int channels, resample_filter filter,
                  std::size_t count) {
  if (filter == resample_filter::nearest) {
    resize_nearest(src, sw, sh, dst, dw, dh, channels);
    return;
  }
  int alpha = channels == 4 ? 3 : STBIR_ALPHA_CHANNEL_NONE;
  int ok = stbir_resize_float_generic(src, sw, sh, 0, dst, dw, dh, 0, channels, alpha, 0, STBIR_EDGE_CLAMP,
                                      stb_filter(filter), STBIR_COLORSPACE_LINEAR, nullptr);
  if (!ok) throw std::bad_alloc();
  // Cubic kernels overshoot near edges; values outside 0..1 mean nothing here.
  for (std::size_t i = 0; i < count; ++i) dst[i] = std::clamp(dst[i], 0.0f, 1.0f);
}

} // namespace

image resize(const image& src, int width, int height, resample_filter filter) {
  if (src.width == width && src.height == height) return src;
  image out = make_image(width, height, src.channels);
  resize_plane(src.pixels.data(), src.width, src.height, out.pixels.data(), width, height, src.channels, filter,
               out.pixels.size());
  return out;
}

mask resize(const mask& src, int width, int height, resample_filter filter) {
  if (src.width == width && src.height == height) return src;
  mask out = make_mask(width, height);
  resize_plane(src.values.data(), src.width, src.height, out.values.data(), width, height, 1, filter,
               out.values.size());
  return out;
}

image crop_to_aspect(const image& src, int target_w, int target_h) {
  // Compare src.w/src.h with target_w/target_h without dividing.
  long long lhs = static_cast<long long>(src.width) * target_h;
  long long rhs = static_cast<long long>(target_w) * src.height;
  int x0 = 0, y0 = 0, w = src.width, h = src.height;
  if (lhs > rhs) { // too wide: trim left and right
    w = std::max(1, static_cast<int>(rhs / target_h));
    x0 = (src.width - w) / 2;
  } else if (lhs < rhs) { // too tall: trim top and bottom
    h = std::max(1, static_cast<int>(lhs / target_w));
    y0 = (src.height - h) / 2;
  } else {
    return src;
  }
  image out = make_image(w, h, src.channels);
  for (int y = 0; y < h; ++y)
    std::copy_n(src.row(y0 + y) + static_cast<std::size_t>(x0) * src.channels,
                static_cast<std::size_t>(w) * src.channels, out.row(y));
  return out;
}

} // namespace mediagen::builtin
