#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/protocol.hpp"
#include "backends/worker_pool.hpp"
#include "generation/workflow.hpp"
#include "persistence/storage.hpp"
#include "persistence/task_journal.hpp"

namespace mediagen {

struct supervisor_settings {
  std::shared_ptr<const workflow_catalog> catalog;
  backend_actor builtin;                 ///< runs workflows of backend "builtin"
  backend_actor comfyui;                 ///< runs workflows of backend "comfyui" (may be invalid)
  sse_hub_actor hub;
  media_store_actor store;
  std::shared_ptr<storage> inputs;       ///< uploaded files, removed by each task at its end
  std::shared_ptr<storage> outputs;      ///< where an upload task stores its file (POST /upload/*)
  /// Threads for upload tasks' file copies (never CAF's scheduler threads).
  std::shared_ptr<worker_pool> upload_workers;
  std::size_t max_queued_tasks = 1000;
  std::chrono::seconds retention{300};
  std::size_t max_retained = 100000;     ///< ended tasks kept at most (oldest go first)
  /// Records starts and ends so a crash's unfinished tasks are reported `lost` (may be null).
  std::shared_ptr<task_journal> journal;
  /// Tasks an earlier run left unfinished, as the journal found them at start.
  std::vector<lost_task> lost;
  /// Makes task ids; tests may pin it.
  std::function<std::string()> new_task_id;
};

supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_settings settings);

/// 32 random hex digits.
std::string random_task_id();

} // namespace mediagen
