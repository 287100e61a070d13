#include "backends/builtin/procedural.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace mediagen::builtin {

namespace {

// splitmix64: a tiny, well-mixed generator; everything random below is drawn from it.
struct rng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  float unit() { return static_cast<float>(next() >> 40) / 16777216.0f; } ///< [0, 1)
  float range(float lo, float hi) { return lo + (hi - lo) * unit(); }
};

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ULL;
  return h;
}

/// Everything about the look that the prompt and seed decide, drawn once before the first step.
struct style {
  float base_freq;  ///< noise cells across the longer side at step 1
  float lacunarity; ///< frequency growth per step
  float gain;       ///< amplitude decay per step
  float warp;       ///< how far the accumulated field bends later octaves (fraction of the image)
  float pal_a[3], pal_b[3], pal_c[3], pal_d[3]; ///< cosine palette a + b cos(2pi (c t + d))
  float shade;                                  ///< how much the second field darkens / lightens
};

style draw_style(rng& r) {
  style s{};
  s.base_freq = r.range(1.5f, 3.5f);
  s.lacunarity = r.range(1.8f, 2.1f);
  s.gain = r.range(0.48f, 0.6f);
  s.warp = r.range(0.08f, 0.22f);
  for (int c = 0; c < 3; ++c) {
    s.pal_a[c] = r.range(0.45f, 0.6f);
    s.pal_b[c] = r.range(0.35f, 0.5f);
    s.pal_c[c] = r.range(0.5f, 1.4f);
    s.pal_d[c] = r.unit();
  }
  s.shade = r.range(0.1f, 0.25f);
  return s;
}

/// A wrapping grid of random values for one octave, two independent fields interleaved so one
/// lookup brings both into cache.
struct lattice {
  int size = 0;              ///< power of two
  std::vector<float> values; ///< size * size * 2

  lattice(int n, rng& r) : size(n), values(static_cast<std::size_t>(n) * n * 2) {
    for (float& v : values) v = r.range(-1.0f, 1.0f);
  }
};

int lattice_size_for(float cells) {
  // Large enough that the warped sample points rarely wrap around; past 256 the repetition of
  // a faint high octave is invisible, so the table stays small for big images.
  int n = 4;
  while (n < 256 && n < static_cast<int>(cells) + 4) n *= 2;
  return n;
}

constexpr int cos_table_size = 4096;

/// cos(2 pi x) for x in [0, 1), tabulated: the colouring pass would otherwise be mostly libm.
struct cos_table {
  float v[cos_table_size + 1];
  cos_table() {
    for (int i = 0; i <= cos_table_size; ++i)
      v[i] = static_cast<float>(std::cos(2.0 * 3.14159265358979323846 * i / cos_table_size));
  }
  float operator()(float x) const {
    x -= std::floor(x);
    float f = x * cos_table_size;
    int i = std::min(static_cast<int>(f), cos_table_size - 1);
    float t = f - static_cast<float>(i);
    return v[i] + (v[i + 1] - v[i]) * t;
  }
};

const cos_table& cosine() {
  static const cos_table table;
  return table;
}

constexpr int poll_rows = 64;

/// One step's layer: its lattice and how it lies over the image. Each octave is turned by its
/// own angle so that the lattice axes of successive octaves never line up into a visible grid.
struct octave {
  const lattice* lat;
  float freq, amp, warp;
  float cos_a, sin_a; ///< rotation
  float ox, oy;       ///< offset into the lattice, in cells
};

/// Both fields' noise at one point (image units), smoothstep-interpolated between lattice values.
inline void sample(const octave& o, float px, float py, float& a, float& b) {
  // A large multiple of any lattice size keeps coordinates positive, so a cast is a floor.
  constexpr float bias = 8192.0f;
  const int mask = o.lat->size - 1;
  const float* L = o.lat->values.data();
  float u = (o.cos_a * px - o.sin_a * py) * o.freq + o.ox + bias;
  float v = (o.sin_a * px + o.cos_a * py) * o.freq + o.oy + bias;
  int iu = static_cast<int>(u);
  int iv = static_cast<int>(v);
  float tu = u - static_cast<float>(iu);
  float tv = v - static_cast<float>(iv);
  tu = tu * tu * (3.0f - 2.0f * tu);
  tv = tv * tv * (3.0f - 2.0f * tv);
  int x0 = (iu & mask) * 2, x1 = ((iu + 1) & mask) * 2;
  const float* r0 = L + static_cast<std::size_t>(iv & mask) * o.lat->size * 2;
  const float* r1 = L + static_cast<std::size_t>((iv + 1) & mask) * o.lat->size * 2;
  float a0 = r0[x0] + (r0[x1] - r0[x0]) * tu;
  float a1 = r1[x0] + (r1[x1] - r1[x0]) * tu;
  float b0 = r0[x0 + 1] + (r0[x1 + 1] - r0[x0 + 1]) * tu;
  float b1 = r1[x0 + 1] + (r1[x1 + 1] - r1[x0 + 1]) * tu;
  a = a0 + (a1 - a0) * tv;
  b = b0 + (b1 - b0) * tv;
}

/// Adds one octave to both fields. The sample point of each pixel is pushed by the fields
/// accumulated so far, which is what turns plain noise into flowing, marbled shapes. Each pixel
/// averages a 2x2 grid of samples, so the fine octaves blend instead of turning into grain.
void add_octave(std::vector<float>& fa, std::vector<float>& fb, int w, int h, const std::vector<float>& nx,
                const std::vector<float>& ny, float pixel, const octave& o, const std::function<void()>& poll) {
  const float q = 0.25f * pixel; // sub-sample offset: a quarter pixel, in image units
  const float amp = 0.25f * o.amp;
  for (int y = 0; y < h; ++y) {
    if (poll && y % poll_rows == poll_rows - 1) poll();
    float* ra = fa.data() + static_cast<std::size_t>(y) * w;
    float* rb = fb.data() + static_cast<std::size_t>(y) * w;
    for (int x = 0; x < w; ++x) {
      const float px = nx[x] + o.warp * rb[x];
      const float py = ny[y] + o.warp * ra[x];
      float a = 0.0f, b = 0.0f, sa, sb;
      sample(o, px - q, py - q, sa, sb);
      a += sa;
      b += sb;
      sample(o, px + q, py - q, sa, sb);
      a += sa;
      b += sb;
      sample(o, px - q, py + q, sa, sb);
      a += sa;
      b += sb;
      sample(o, px + q, py + q, sa, sb);
      a += sa;
      b += sb;
      ra[x] += amp * a;
      rb[x] += amp * b;
    }
  }
}

void mean_and_scale(const std::vector<float>& f, float& mean, float& inv_std) {
  double sum = 0.0, sq = 0.0;
  for (float v : f) {
    sum += v;
    sq += static_cast<double>(v) * v;
  }
  double n = static_cast<double>(f.size());
  double m = sum / n;
  double var = std::max(sq / n - m * m, 1e-12);
  mean = static_cast<float>(m);
  inv_std = static_cast<float>(1.0 / std::sqrt(var));
}

/// Maps the two fields to colours: the first picks a place on the palette, the second shades.
/// Normalising by the fields' own spread keeps the contrast the same however many steps ran.
image colourise(const std::vector<float>& fa, const std::vector<float>& fb, int w, int h, const style& s) {
  float ma, ia, mb, ib;
  mean_and_scale(fa, ma, ia);
  mean_and_scale(fb, mb, ib);
  const cos_table& cos2pi = cosine();
  image picture = make_image(w, h, 3);
  float* out = picture.pixels.data();
  const std::size_t n = fa.size();
  for (std::size_t i = 0; i < n; ++i) {
    float t = (fa[i] - ma) * ia;
    float u = (fb[i] - mb) * ib;
    float pos = 0.5f + 0.22f * t + 0.06f * u;
    float light = 1.0f + s.shade * (u / (1.0f + std::fabs(u)));
    for (int c = 0; c < 3; ++c) {
      float v = (s.pal_a[c] + s.pal_b[c] * cos2pi(s.pal_c[c] * pos + s.pal_d[c])) * light;
      out[i * 3 + c] = std::clamp(v, 0.0f, 1.0f);
    }
  }
  return picture;
}

/// The picture so far, small: the fields sampled (nearest) onto a grid at most `max_side` on its
/// longer side, then coloured like the result. Costs a few hundred thousand pixels at most,
/// whatever the image's size.
image colourise_preview(const std::vector<float>& fa, const std::vector<float>& fb, int w, int h, const style& s,
                        int max_side) {
  const int longer = std::max(w, h);
  const int side = std::max(1, std::min(max_side, longer));
  // Rounded like encode_preview_jpeg's scaling, never below one pixel.
  const int pw = std::max(1, static_cast<int>((static_cast<long long>(w) * side + longer / 2) / longer));
  const int ph = std::max(1, static_cast<int>((static_cast<long long>(h) * side + longer / 2) / longer));
  std::vector<float> sa(static_cast<std::size_t>(pw) * ph), sb(sa.size());
  for (int y = 0; y < ph; ++y) {
    const int sy = std::min(h - 1, static_cast<int>((static_cast<long long>(y) * h + h / 2) / ph));
    for (int x = 0; x < pw; ++x) {
      const int sx = std::min(w - 1, static_cast<int>((static_cast<long long>(x) * w + w / 2) / pw));
      const std::size_t from = static_cast<std::size_t>(sy) * w + sx;
      sa[static_cast<std::size_t>(y) * pw + x] = fa[from];
      sb[static_cast<std::size_t>(y) * pw + x] = fb[from];
    }
  }
  return colourise(sa, sb, pw, ph, s);
}

} // namespace

image render_procedural(const procedural_params& p, const std::function<void(int)>& after_step,
                        const std::function<void()>& poll, const procedural_preview& preview) {
  const int w = p.width, h = p.height;
  // Prompt and seed are mixed so that changing either changes every random draw.
  rng r{fnv1a(p.prompt) ^ (p.seed * 0xD6E8FEB86659FD93ULL + 0x2545F4914F6CDD1DULL)};
  r.next();
  style s = draw_style(r);

  // Coordinates in units of the longer side, so the picture keeps its proportions.
  const float longer = static_cast<float>(std::max(w, h));
  std::vector<float> nx(w), ny(h);
  for (int x = 0; x < w; ++x) nx[x] = (static_cast<float>(x) + 0.5f) / longer;
  for (int y = 0; y < h; ++y) ny[y] = (static_cast<float>(y) + 0.5f) / longer;

  std::vector<float> fa(static_cast<std::size_t>(w) * h, 0.0f), fb(fa.size(), 0.0f);
  // Cells smaller than ~3 pixels would only add grain: later steps stay at that frequency and
  // keep refining with fresh lattices at ever lower amplitude.
  const float max_freq = std::max(s.base_freq, longer / 3.0f);
  float freq = s.base_freq, amp = 1.0f;
  image result;
  const int steps = std::max(1, p.steps);
  for (int step = 1; step <= steps; ++step) {
    lattice lat(lattice_size_for(freq * (1.0f + 2.0f * s.warp)), r);
    const float angle = r.range(0.0f, 6.2831853f);
    octave o{&lat,
             freq,
             amp,
             s.warp,
             std::cos(angle),
             std::sin(angle),
             r.range(0.0f, static_cast<float>(lat.size)),
             r.range(0.0f, static_cast<float>(lat.size))};
    add_octave(fa, fb, w, h, nx, ny, 1.0f / longer, o, poll);
    freq = std::min(freq * s.lacunarity, max_freq);
    amp *= s.gain;
    if (step == steps) result = colourise(fa, fb, w, h, s);
    if (after_step) after_step(step);
    if (step < steps && preview.due && preview.take && preview.due())
      preview.take(colourise_preview(fa, fb, w, h, s, preview.max_side));
  }
  return result;
}

} // namespace mediagen::builtin
