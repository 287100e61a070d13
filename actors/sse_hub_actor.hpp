#pragma once

#include <chrono>

#include <caf/fwd.hpp>

#include "actors/protocol.hpp"

namespace mediagen {

struct sse_hub_settings {
  std::chrono::seconds retention{300};   ///< how long an ended task's log stays
  std::size_t queue_capacity = 1024;     ///< frames a slow subscriber may fall behind by
  std::size_t max_subscribers_per_task = 1000;
  std::size_t max_subscribers_total = 10000;
  std::size_t max_retained = 100000;     ///< ended tasks' logs kept at most (oldest go first)
};

sse_hub_actor spawn_sse_hub(caf::actor_system& sys, sse_hub_settings settings);

} // namespace mediagen
