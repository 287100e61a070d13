#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/protocol.hpp"
#include "persistence/storage.hpp"

namespace mediagen {

struct comfyui_instance_settings {
  std::string url;
  std::int64_t index = 0;  ///< position in the pool
  comfyui_pool_actor pool; ///< told of finished jobs and health changes
  std::shared_ptr<storage> outputs;
  std::shared_ptr<storage> inputs;
  std::size_t worker_threads = 4;
  std::chrono::milliseconds history_poll{2000};
  std::chrono::milliseconds health_interval{2000};
};

/// Spawns one instance; the handle is its public (backend) side only.
backend_actor spawn_comfyui_instance(caf::actor_system& sys, comfyui_instance_settings settings);

} // namespace mediagen
