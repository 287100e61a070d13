#pragma once
// The node implementations; node_types.cpp wires them to their class_type and inputs.

#include <vector>

#include "backends/builtin/node_runtime.hpp"

namespace mediagen::builtin::nodes {

// nodes_generate.cpp
std::vector<node_value> procedural_image(node_call& call);
std::vector<node_value> empty_image(node_call& call);

// nodes_io.cpp
std::vector<node_value> load_image(node_call& call);
std::vector<node_value> load_image_mask(node_call& call);
std::vector<node_value> save_image(node_call& call);

// nodes_image_ops.cpp
std::vector<node_value> image_scale(node_call& call);
std::vector<node_value> image_invert(node_call& call);
std::vector<node_value> image_blur(node_call& call);
std::vector<node_value> image_blend(node_call& call);
std::vector<node_value> image_composite_masked(node_call& call);

/// The largest width or height any node makes.
constexpr int max_side = 4096;

} // namespace mediagen::builtin::nodes
