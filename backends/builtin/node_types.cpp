// The one table of supported node types: checking a graph and running it both read it, so a
// node's inputs are declared once, next to nothing else.

#include "backends/builtin/nodes.hpp"

namespace mediagen::builtin {

namespace {

constexpr value_kind img = value_kind::image;
constexpr value_kind msk = value_kind::mask;
constexpr value_kind lit = value_kind::literal;

std::vector<node_type> make_table() {
  return {
      {"ProceduralImage",
       {{"prompt", lit, true}, {"seed", lit, true}, {"width", lit, true}, {"height", lit, true}, {"steps", lit, true}},
       {img},
       false,
       nodes::procedural_image},
      {"EmptyImage",
       {{"width", lit, true}, {"height", lit, true}, {"batch_size", lit, false}, {"color", lit, false}},
       {img},
       false,
       nodes::empty_image},
      {"LoadImage", {{"image", lit, true}}, {img, msk}, false, nodes::load_image},
      {"LoadImageMask", {{"image", lit, true}, {"channel", lit, false}}, {msk}, false, nodes::load_image_mask},
      {"ImageScale",
       {{"image", img, true},
        {"upscale_method", lit, false},
        {"width", lit, true},
        {"height", lit, true},
        {"crop", lit, false}},
       {img},
       false,
       nodes::image_scale},
      {"ImageInvert", {{"image", img, true}}, {img}, false, nodes::image_invert},
      {"ImageBlur",
       {{"image", img, true}, {"blur_radius", lit, true}, {"sigma", lit, true}},
       {img},
       false,
       nodes::image_blur},
      {"ImageBlend",
       {{"image1", img, true}, {"image2", img, true}, {"blend_factor", lit, true}, {"blend_mode", lit, false}},
       {img},
       false,
       nodes::image_blend},
      {"ImageCompositeMasked",
       {{"destination", img, true},
        {"source", img, true},
        {"x", lit, true},
        {"y", lit, true},
        {"resize_source", lit, false},
        {"mask", msk, false}},
       {img},
       false,
       nodes::image_composite_masked},
      {"SaveImage", {{"images", img, true}, {"filename_prefix", lit, false}}, {}, true, nodes::save_image},
  };
}

} // namespace

const std::vector<node_type>& node_type_table() {
  static const std::vector<node_type> table = make_table();
  return table;
}

const node_type* find_node_type(const std::string& class_type) {
  for (const node_type& t : node_type_table())
    if (class_type == t.class_type) return &t;
  return nullptr;
}

const std::vector<std::string>& supported_node_types() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const node_type& t : node_type_table()) out.push_back(t.class_type);
    return out;
  }();
  return names;
}

} // namespace mediagen::builtin
