#pragma once

#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/protocol.hpp"
#include "persistence/storage.hpp"

namespace mediagen {

struct builtin_backend_settings {
  std::size_t workers = 1;          ///< renders at once; the rest wait in the actor's queue
  std::shared_ptr<storage> outputs; ///< where SaveImage writes
  std::string inputs_dir;           ///< where uploaded inputs are read from
};

backend_actor spawn_builtin_backend(caf::actor_system& sys, builtin_backend_settings settings);

} // namespace mediagen
