#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/protocol.hpp"
#include "persistence/storage.hpp"

namespace mediagen {

/// Everything a task needs, given at spawn.
struct task_context {
  /// Planned on the HTTP thread: its task id, resolved workflow and filled graph are final.
  generation_request request;
  backend_actor backend;            ///< where the supervisor sent the job (cancel goes there); none for an upload
  sse_hub_actor hub;                ///< unused for silent tasks
  media_store_actor store;          ///< never messaged by silent (sync) tasks
  task_listener_actor supervisor;   ///< hears `progress` (running) and `ended`
  std::shared_ptr<storage> inputs;  ///< the request's uploaded files live here until the task ends
  std::shared_ptr<storage> outputs; ///< outputs of a cancelled task that still reach it are removed here
  /// A cancelled task is `cancelling` until its backend confirms the stop, and ends `cancelled`
  /// after this long at the latest (an upload has no backend: it waits for its file copy).
  std::chrono::milliseconds cancel_grace{10000};
};

/// Spawns a task. A `lazy` task starts (plans, submits) only when its first message arrives:
/// a sync request's `await` is therefore always in its mailbox before the task can end.
task_actor spawn_task(caf::actor_system& sys, task_context ctx, bool lazy = false);

} // namespace mediagen
