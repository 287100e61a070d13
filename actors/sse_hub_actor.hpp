#pragma once

#include <chrono>

#include <caf/fwd.hpp>

#include "actors/protocol.hpp"

namespace mediagen {

struct sse_hub_settings {
  std::chrono::seconds retention{300}; ///< how long an ended task's log stays
  /// Frames one stream's queue holds: a whole replayed log plus what a slow reader may fall
  /// behind by; a subscriber whose queue is full is dropped.
  std::size_t queue_capacity = 1024;
  std::size_t max_subscribers_per_task = 1000;
  std::size_t max_subscribers_total = 10000;
  std::size_t max_retained = 100000; ///< ended tasks' logs kept at most (oldest go first)
  /// Turns each published event into its SSE frame (the hub stores and fans out frames; what
  /// they say is http/'s business: http/task_json.hpp). Required.
  sse_frame_renderer render;
  /// Turns a live preview into its SSE frame (no id). Without one, previews are ignored.
  sse_preview_renderer render_preview;
};

sse_hub_actor spawn_sse_hub(caf::actor_system& sys, sse_hub_settings settings);

} // namespace mediagen
