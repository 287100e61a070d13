// Nodes that make images from nothing but their inputs.

#include "backends/builtin/nodes.hpp"
#include "backends/builtin/procedural.hpp"

namespace mediagen::builtin::nodes {

namespace {

// A batch is held as floats in memory; this keeps one EmptyImage under ~400 MB.
constexpr long long max_batch_pixels = 4096LL * 4096LL * 2;

} // namespace

std::vector<node_value> procedural_image(node_call& call) {
  procedural_params p;
  p.prompt = call.text("prompt", "");
  p.seed = call.seed("seed");
  p.width = static_cast<int>(call.integer("width", 8, max_side));
  p.height = static_cast<int>(call.integer("height", 8, max_side));
  p.steps = static_cast<int>(call.integer("steps", 1, 200));
  call.check_cancelled();
  procedural_preview preview;
  preview.due = [&] { return call.preview_due(); };
  preview.take = [&](const image& picture) { call.preview(picture); };
  image img = render_procedural(
      p, [&](int step) { call.progress(step, p.steps); }, [&] { call.check_cancelled(); }, preview);
  return {image_batch{std::move(img)}};
}

std::vector<node_value> empty_image(node_call& call) {
  int width = static_cast<int>(call.integer("width", 1, max_side));
  int height = static_cast<int>(call.integer("height", 1, max_side));
  int batch = static_cast<int>(call.integer("batch_size", 1, 64, 1));
  std::int64_t color = call.integer("color", 0, 0xFFFFFF, 0);
  if (static_cast<long long>(width) * height * batch > max_batch_pixels)
    throw node_error("batch_size times width times height must not exceed " + std::to_string(max_batch_pixels) +
                     " pixels.");
  const float rgb[3] = {((color >> 16) & 0xFF) / 255.0f, ((color >> 8) & 0xFF) / 255.0f, (color & 0xFF) / 255.0f};
  image one = make_image(width, height, 3);
  for (std::size_t i = 0; i < one.pixels.size(); ++i) one.pixels[i] = rgb[i % 3];
  return {image_batch(static_cast<std::size_t>(batch), one)};
}

} // namespace mediagen::builtin::nodes
