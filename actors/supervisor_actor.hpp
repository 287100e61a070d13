#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/protocol.hpp"
#include "backends/worker_pool.hpp"
#include "persistence/storage.hpp"
#include "persistence/task_journal.hpp"

namespace mediagen {

struct supervisor_settings {
  backend_actor builtin; ///< runs workflows of backend "builtin"
  backend_actor comfyui; ///< runs workflows of backend "comfyui" (may be invalid)
  sse_hub_actor hub;
  media_store_actor store;
  std::shared_ptr<storage> inputs;  ///< uploaded files, removed by each task at its end
  std::shared_ptr<storage> outputs; ///< where an upload task stores its file (POST /upload/*)
  /// Threads for upload tasks' file copies (never CAF's scheduler threads).
  std::shared_ptr<worker_pool> upload_workers;
  std::size_t max_queued_tasks = 1000;
  /// A cancelled task waits this long at most for its backend to confirm the stop.
  std::chrono::milliseconds cancel_grace{10000};
  /// previewIntervalMs: how often a task that asked for previews gets one at most.
  std::int64_t preview_interval_ms = 500;
  std::chrono::seconds retention{300};
  std::size_t max_retained = 100000; ///< ended tasks kept at most (oldest go first)
  /// Records starts and ends so a crash's unfinished tasks are reported `lost` (may be null).
  std::shared_ptr<task_journal> journal;
  /// Tasks an earlier run left unfinished, as the journal found them at start.
  std::vector<lost_task> lost;
};

supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_settings settings);

/// 32 random hex digits: how the HTTP layer chooses a task id before planning.
std::string random_task_id();

} // namespace mediagen
