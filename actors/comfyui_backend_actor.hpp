#pragma once
// The ComfyUI backend: one actor per instance (its socket, its prompts) and a pool actor that
// spreads tasks over the instances.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/protocol.hpp"
#include "persistence/storage.hpp"

namespace mediagen {

struct comfyui_settings {
  std::vector<std::string> urls;                   ///< one per instance
  std::shared_ptr<storage> outputs;                ///< fetched outputs are stored here
  std::shared_ptr<storage> inputs;                 ///< uploaded inputs are read from here
  std::size_t worker_threads = 4;                  ///< per instance: uploads, submits, /history, /view
  std::chrono::milliseconds history_poll{2000};    ///< the slow poll beside the socket
  std::chrono::milliseconds health_interval{2000}; ///< /system_stats probes
  /// How often a task may move to another healthy instance when its instance dies before the
  /// task made outputs (comfyuiRetries).
  std::size_t retries = 1;
};

/// Spawns the pool and its instances. The pool is the backend the supervisor sends ComfyUI tasks to.
comfyui_pool_actor spawn_comfyui_backend(caf::actor_system& sys, comfyui_settings settings);

} // namespace mediagen
