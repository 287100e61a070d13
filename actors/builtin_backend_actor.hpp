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
  /// Nice value of the render threads (0..19; Linux applies it per thread): renders then yield
  /// the CPU to the HTTP threads, connection loops and CAF's scheduler (`renderNice`).
  int render_nice = 10;
};

backend_actor spawn_builtin_backend(caf::actor_system& sys, builtin_backend_settings settings);

} // namespace mediagen
