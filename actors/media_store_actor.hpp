#pragma once

#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/protocol.hpp"
#include "persistence/storage.hpp"

namespace mediagen {

/// Spawns the media store (detached: its fsyncs must not block CAF's shared scheduler).
/// `db` was loaded from `path` at start; the store owns it from now on. Each commit first makes
/// the entries' output files in `outputs` durable.
media_store_actor spawn_media_store(caf::actor_system& sys, std::unique_ptr<media_database> db,
                                    std::string path, std::shared_ptr<storage> outputs);

} // namespace mediagen
