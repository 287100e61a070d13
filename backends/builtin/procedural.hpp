#pragma once
// The picture ProceduralImage draws: domain-warped value noise coloured through a palette.
// A pure function of (prompt, seed, width, height, steps): no clock, no global state, no
// threads, so the same inputs give the same pixels on every run of the same build.

#include <cstdint>
#include <functional>
#include <string>

#include "backends/builtin/image.hpp"

namespace mediagen::builtin {

struct procedural_params {
  std::string prompt;
  std::uint64_t seed = 0;
  int width = 512;
  int height = 512;
  int steps = 12; ///< each step adds one octave of detail over the whole image
};

/// Live previews of a render: after each step but the last, `due()` is asked; only when it
/// answers true is the picture so far coloured, at most `max_side` pixels on its longer side,
/// and handed to `take`. Unset functions: no preview work.
struct procedural_preview {
  std::function<bool()> due;
  std::function<void(const image&)> take;
  int max_side = 256;
};

/// Renders the image. `after_step(k)` runs after step k (1-based, the last one after the
/// colours are final); `poll()` runs every few rows so a long step can be abandoned. Either may
/// throw to stop the render; nothing else throws except std::bad_alloc. Previews do not change
/// the pixels of the result.
image render_procedural(const procedural_params& params, const std::function<void(int)>& after_step,
                        const std::function<void()>& poll, const procedural_preview& preview = {});

} // namespace mediagen::builtin
