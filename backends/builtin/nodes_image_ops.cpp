// Nodes that transform images, with the input names and meaning of their ComfyUI namesakes.
// Batches follow ComfyUI too: the first image input sets the batch size, and a shorter second
// batch repeats its last image.

#include <algorithm>
#include <cmath>

#include "backends/builtin/nodes.hpp"

namespace mediagen::builtin::nodes {

namespace {

constexpr int poll_rows = 64;

const image& nth_or_last(const image_batch& batch, std::size_t i) { return batch[std::min(i, batch.size() - 1)]; }

/// The colour channels of a picture: alpha, when there is one, is carried along untouched.
int colour_channels(const image& img) { return std::min(img.channels, 3); }

/// Torch's "reflect" padding: the edge pixel is not repeated (-1 -> 1, n -> n-2).
int reflect(int i, int n) {
  if (n == 1) return 0;
  const int period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

/// One pass of a separable blur along x (horizontal) or y; `out` has src's shape and starts
/// zeroed. Both passes add whole contiguous rows times one weight, the shape of loop a compiler
/// vectorises: a 31-pixel radius on a 4096-square picture stays a matter of seconds.
void blur_pass(const image& src, image& out, const std::vector<float>& kernel, bool horizontal, node_call& call) {
  const int r = static_cast<int>(kernel.size() / 2);
  const int w = src.width, h = src.height, ch = src.channels;
  const int n = horizontal ? w : h;
  std::vector<int> at(static_cast<std::size_t>(n + 2 * r)); // reflected source position of i - r
  for (int i = 0; i < n + 2 * r; ++i) at[static_cast<std::size_t>(i)] = reflect(i - r, n);
  const std::size_t row_len = static_cast<std::size_t>(w) * ch;
  std::vector<float> padded(horizontal ? static_cast<std::size_t>(w + 2 * r) * ch : 0);
  for (int y = 0; y < h; ++y) {
    if (y % poll_rows == poll_rows - 1) call.check_cancelled();
    float* orow = out.row(y);
    if (horizontal) {
      // The row with r reflected pixels on each side, so every tap reads a plain offset.
      const float* srow = src.row(y);
      for (int i = 0; i < w + 2 * r; ++i)
        std::copy_n(srow + static_cast<std::size_t>(at[static_cast<std::size_t>(i)]) * ch, ch,
                    padded.data() + static_cast<std::size_t>(i) * ch);
      for (int k = 0; k <= 2 * r; ++k) {
        const float wgt = kernel[static_cast<std::size_t>(k)];
        const float* p = padded.data() + static_cast<std::size_t>(k) * ch;
        for (std::size_t i = 0; i < row_len; ++i) orow[i] += wgt * p[i];
      }
    } else {
      for (int k = 0; k <= 2 * r; ++k) {
        const float wgt = kernel[static_cast<std::size_t>(k)];
        const float* p = src.row(at[static_cast<std::size_t>(y + k)]);
        for (std::size_t i = 0; i < row_len; ++i) orow[i] += wgt * p[i];
      }
    }
  }
}

float blend_channel(const std::string& mode, float a, float b) {
  if (mode == "multiply") return a * b;
  if (mode == "screen") return 1.0f - (1.0f - a) * (1.0f - b);
  if (mode == "overlay") return a <= 0.5f ? 2.0f * a * b : 1.0f - 2.0f * (1.0f - a) * (1.0f - b);
  if (mode == "difference") return a - b;
  if (mode == "soft_light") {
    float d = a <= 0.25f ? ((16.0f * a - 12.0f) * a + 4.0f) * a : std::sqrt(a);
    return b <= 0.5f ? a - (1.0f - 2.0f * b) * a * (1.0f - a) : a + (2.0f * b - 1.0f) * (d - a);
  }
  return b; // normal
}

} // namespace

std::vector<node_value> image_scale(node_call& call) {
  const image_batch& in = call.images("image");
  std::string method = call.choice("upscale_method", {"nearest-exact", "bilinear", "area", "bicubic", "lanczos"},
                                   "bilinear");
  int width = static_cast<int>(call.integer("width", 0, max_side));
  int height = static_cast<int>(call.integer("height", 0, max_side));
  std::string crop = call.choice("crop", {"disabled", "center"}, "disabled");
  resample_filter filter = resample_filter::bilinear;
  parse_resample_filter(method, filter);

  image_batch out;
  out.reserve(in.size());
  for (const image& src : in) {
    call.check_cancelled();
    // As in ComfyUI: 0 keeps the aspect ratio from the other side; both 0 keeps the image.
    int w = width, h = height;
    if (w == 0 && h == 0) {
      out.push_back(src);
      continue;
    }
    if (w == 0) w = std::max(1, static_cast<int>(std::lround(static_cast<double>(src.width) * h / src.height)));
    if (h == 0) h = std::max(1, static_cast<int>(std::lround(static_cast<double>(src.height) * w / src.width)));
    w = std::min(w, max_side);
    h = std::min(h, max_side);
    out.push_back(crop == "center" ? resize(crop_to_aspect(src, w, h), w, h, filter) : resize(src, w, h, filter));
  }
  return {std::move(out)};
}

std::vector<node_value> image_invert(node_call& call) {
  image_batch out = call.images("image");
  for (image& img : out) {
    const int cc = colour_channels(img);
    for (std::size_t i = 0; i < img.pixels.size(); ++i)
      if (static_cast<int>(i % static_cast<std::size_t>(img.channels)) < cc) img.pixels[i] = 1.0f - img.pixels[i];
  }
  return {std::move(out)};
}

std::vector<node_value> image_blur(node_call& call) {
  const image_batch& in = call.images("image");
  int radius = static_cast<int>(call.integer("blur_radius", 0, 31));
  double sigma = call.number("sigma", 0.1, 10.0);
  if (radius == 0) return {in};

  // ComfyUI spreads the kernel over -1..1 whatever the radius, so sigma is relative to it.
  std::vector<float> kernel(static_cast<std::size_t>(2 * radius + 1));
  double sum = 0.0;
  for (int k = -radius; k <= radius; ++k) {
    double x = static_cast<double>(k) / radius;
    double wgt = std::exp(-(x * x) / (2.0 * sigma * sigma));
    kernel[static_cast<std::size_t>(k + radius)] = static_cast<float>(wgt);
    sum += wgt;
  }
  for (float& k : kernel) k = static_cast<float>(k / sum);

  image_batch out;
  out.reserve(in.size());
  for (const image& src : in) {
    image tmp = make_image(src.width, src.height, src.channels);
    image dst = make_image(src.width, src.height, src.channels);
    blur_pass(src, tmp, kernel, true, call);
    blur_pass(tmp, dst, kernel, false, call);
    out.push_back(std::move(dst));
  }
  return {std::move(out)};
}

std::vector<node_value> image_blend(node_call& call) {
  const image_batch& first = call.images("image1");
  const image_batch& second = call.images("image2");
  double factor = call.number("blend_factor", 0.0, 1.0);
  std::string mode = call.choice("blend_mode", {"normal", "multiply", "screen", "overlay", "soft_light", "difference"},
                                 "normal");
  const float f = static_cast<float>(factor);

  image_batch out;
  out.reserve(first.size());
  for (std::size_t b = 0; b < first.size(); ++b) {
    call.check_cancelled();
    const image& a = first[b];
    image other = resize(nth_or_last(second, b), a.width, a.height, resample_filter::bilinear);
    image dst = a;
    const int cc = colour_channels(a);
    const std::size_t n = static_cast<std::size_t>(a.width) * a.height;
    for (std::size_t i = 0; i < n; ++i) {
      float* d = dst.pixels.data() + i * static_cast<std::size_t>(a.channels);
      const float* o = other.pixels.data() + i * static_cast<std::size_t>(other.channels);
      for (int c = 0; c < cc; ++c) {
        float blended = blend_channel(mode, d[c], o[std::min(c, other.channels - 1)]);
        d[c] = std::clamp(d[c] * (1.0f - f) + blended * f, 0.0f, 1.0f);
      }
    }
    out.push_back(std::move(dst));
  }
  return {std::move(out)};
}

std::vector<node_value> image_composite_masked(node_call& call) {
  const image_batch& destinations = call.images("destination");
  const image_batch& sources = call.images("source");
  const int x = static_cast<int>(call.integer("x", -16384, 16384));
  const int y = static_cast<int>(call.integer("y", -16384, 16384));
  const bool resize_source = call.flag("resize_source", false);
  const mask* given_mask = call.optional_mask("mask");

  image_batch out;
  out.reserve(destinations.size());
  for (std::size_t b = 0; b < destinations.size(); ++b) {
    call.check_cancelled();
    image dst = destinations[b];
    image src = nth_or_last(sources, b);
    if (resize_source) src = resize(src, dst.width, dst.height, resample_filter::bilinear);
    // The mask applies to the source, so it takes the source's size.
    mask m = given_mask ? resize(*given_mask, src.width, src.height, resample_filter::bilinear)
                        : make_mask(src.width, src.height, 1.0f);
    const int x0 = std::max(0, x), x1 = std::min(dst.width, x + src.width);
    const int y0 = std::max(0, y), y1 = std::min(dst.height, y + src.height);
    for (int dy = y0; dy < y1; ++dy) {
      float* drow = dst.row(dy);
      const float* srow = src.row(dy - y);
      const float* mrow = m.row(dy - y);
      for (int dx = x0; dx < x1; ++dx) {
        const float a = mrow[dx - x];
        // Unmasked pixels are not touched at all, so they keep their exact bytes.
        if (!(a > 0.0f)) continue;
        const float t = std::min(a, 1.0f);
        float* d = drow + static_cast<std::size_t>(dx) * dst.channels;
        const float* s = srow + static_cast<std::size_t>(dx - x) * src.channels;
        for (int c = 0; c < dst.channels; ++c) {
          // A source without alpha is opaque; a source alpha is dropped if the destination has none.
          float sv = c < 3 ? s[std::min(c, src.channels - 1)] : (src.channels == 4 ? s[3] : 1.0f);
          d[c] = t >= 1.0f ? sv : d[c] * (1.0f - t) + sv * t;
        }
      }
    }
    out.push_back(std::move(dst));
  }
  return {std::move(out)};
}

} // namespace mediagen::builtin::nodes
