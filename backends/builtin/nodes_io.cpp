// Nodes that cross the executor's edge: reading uploads through load_input, writing results
// through save_output.

#include <exception>
#include <new>

#include "backends/builtin/image_codec.hpp"
#include "backends/builtin/nodes.hpp"

namespace mediagen::builtin::nodes {

namespace {

decoded_image load_named(node_call& call) {
  std::string name = call.text("image");
  if (name.empty()) throw node_error("image must name an uploaded file.");
  if (!call.context().load_input) throw node_error("no input files are available to this run.");
  std::string bytes;
  try {
    bytes = call.context().load_input(name);
  } catch (const std::exception& e) {
    throw node_error(end_sentence(e.what()));
  }
  try {
    return decode_image(bytes);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    throw node_error(end_sentence("image '" + name + "' could not be read: " + e.what()));
  }
}

/// ComfyUI's mask convention: 1 where the picture is transparent.
mask inverted(const mask& alpha) {
  mask m = alpha;
  for (float& v : m.values) v = 1.0f - v;
  return m;
}

/// Storage names may only hold what a URL and every file system take without escaping.
std::string clean_prefix(const std::string& raw) {
  std::string out;
  for (char c : raw) {
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (keep && out.size() < 64) out += c;
  }
  return out.empty() ? "image" : out;
}

} // namespace

std::vector<node_value> load_image(node_call& call) {
  decoded_image d = load_named(call);
  // No alpha means nothing is masked: an all-zero mask the size of the picture.
  mask m = d.has_alpha ? inverted(d.alpha) : make_mask(d.rgb.width, d.rgb.height, 0.0f);
  return {image_batch{std::move(d.rgb)}, std::move(m)};
}

std::vector<node_value> load_image_mask(node_call& call) {
  std::string channel = call.choice("channel", {"alpha", "red", "green", "blue"}, "alpha");
  decoded_image d = load_named(call);
  if (channel == "alpha") return {inverted(d.alpha)}; // a file without alpha is opaque: mask 0
  int c = channel == "red" ? 0 : channel == "green" ? 1 : 2;
  mask m = make_mask(d.rgb.width, d.rgb.height);
  for (std::size_t i = 0; i < m.values.size(); ++i) m.values[i] = d.rgb.pixels[i * 3 + c];
  return {std::move(m)};
}

std::vector<node_value> save_image(node_call& call) {
  const image_batch& batch = call.images("images");
  std::string prefix = clean_prefix(call.text("filename_prefix", "image"));
  if (!call.context().save_output) throw node_error("there is nowhere to store outputs in this run.");
  const int count = static_cast<int>(batch.size());
  for (int i = 0; i < count; ++i) {
    call.check_cancelled();
    const image& img = batch[static_cast<std::size_t>(i)];
    std::string png = encode_png(img);
    std::string name;
    try {
      name = call.context().save_output(prefix, "png", png);
    } catch (const std::exception& e) {
      throw node_error(end_sentence(std::string("the image could not be stored: ") + e.what()));
    }
    call.add_output(produced_file{name, "image", png.size(), img.width, img.height});
    call.progress(i + 1, count);
  }
  return {};
}

} // namespace mediagen::builtin::nodes
