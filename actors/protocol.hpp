#pragma once
// Every actor interface of mediagen, declared once: atoms, the messages they carry and the typed
// handles. Read this file and you know the system (docs/DESIGN.md "The actors").
//
// Every actor answers (atom::status) with a JSON object describing itself; GET /debug/actors
// gathers them.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/sse_queue.hpp"
#include "backends/comfyui/messages.hpp"
#include "generation/generation_request.hpp"
#include "generation/result.hpp"
#include "persistence/gallery_changes.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mediagen::sse_queue_ptr)
// Parsed WebSocket frames travel only inside one process, from the listener thread to its actor.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mediagen::comfyui::ws_frame)

namespace mediagen {

// -- atoms (CAF 0.17: at most 10 characters; same text = same type as CAF's own) ----------------
namespace atom {
using append = caf::atom_constant<caf::atom("append")>;
using await = caf::atom_constant<caf::atom("await")>;
using cancel = caf::atom_constant<caf::atom("cancel")>;
using change = caf::atom_constant<caf::atom("change")>;
using close_all = caf::atom_constant<caf::atom("close_all")>;
using compacted = caf::atom_constant<caf::atom("compacted")>;
using done = caf::atom_constant<caf::atom("done")>;
using ended = caf::atom_constant<caf::atom("ended")>;
using fetched = caf::atom_constant<caf::atom("fetched")>;
using finished = caf::atom_constant<caf::atom("finished")>;
using health = caf::atom_constant<caf::atom("health")>;
using history = caf::atom_constant<caf::atom("history")>;
using get = caf::atom_constant<caf::atom("get")>;
using list = caf::atom_constant<caf::atom("list")>;
using open = caf::atom_constant<caf::atom("open")>;
using progress = caf::atom_constant<caf::atom("progress")>;
using publish = caf::atom_constant<caf::atom("publish")>;
using run = caf::atom_constant<caf::atom("run")>;
using shutdown = caf::atom_constant<caf::atom("shutdown")>;
using start = caf::atom_constant<caf::atom("start")>;
using status = caf::atom_constant<caf::atom("status")>;
using submitted = caf::atom_constant<caf::atom("submitted")>;
using subscribe = caf::atom_constant<caf::atom("subscribe")>;
using tick = caf::atom_constant<caf::atom("tick")>;
using unsub = caf::atom_constant<caf::atom("unsub")>;
using ws = caf::atom_constant<caf::atom("ws")>;
} // namespace atom

// -- messages ------------------------------------------------------------------------------------

/// Progress a backend reports for one job.
struct backend_progress {
  std::string state;          ///< "queued" or "running"
  std::int64_t queue_position = 0; ///< jobs ahead of this one (queued only)
  progress_info progress;     ///< percentage across the backend's part of the task
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backend_progress& x) {
  return f(x.state, x.queue_position, x.progress);
}

/// How a backend job ended. The output files are already in storage.
struct backend_outcome {
  bool ok = false;
  bool cancelled = false;
  std::string error;          ///< one sentence when failed
  std::string details_json;   ///< optional JSON details ("" = none)
  std::vector<output_file> outputs;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backend_outcome& x) {
  return f(x.ok, x.cancelled, x.error, x.details_json, x.outputs);
}

/// A prepared graph for a backend.
struct backend_job {
  std::string task_id;
  std::string workflow_base;  ///< the workflow's base file (ComfyUI frees VRAM when it changes)
  std::string graph_json;
  /// Uploaded inputs, by the names the graph uses (a ComfyUI backend uploads them first and
  /// renames them in the graph to what ComfyUI answers).
  std::vector<input_file> inputs;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backend_job& x) {
  return f(x.task_id, x.workflow_base, x.graph_json, x.inputs);
}

/// What a task ended with, as the sync HTTP handler needs it.
struct task_outcome {
  std::string task_id;
  std::string state;          ///< completed | failed | cancelled | timeout | refused
  int http_status = 200;      ///< for failed/refused: 502 backend, 500 ours, 429 queue full, ...
  generation_result result;   ///< completed only
  std::string error;          ///< one sentence for anything but completed
  std::string details_json;   ///< "" = none
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_outcome& x) {
  return f(x.task_id, x.state, x.http_status, x.result, x.error, x.details_json);
}

/// The supervisor's answer to an async start: a task id, or a refusal.
struct start_answer {
  bool accepted = false;
  std::string task_id;
  int http_status = 202;
  std::string error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_answer& x) {
  return f(x.accepted, x.task_id, x.http_status, x.error);
}

// -- handles -------------------------------------------------------------------------------------

/// The one generation task's actor.
using task_actor = caf::typed_actor<
    /// Answered once the task ends (or after `timeout_ms`, with state "timeout"; the task goes on).
    caf::replies_to<atom::await, std::int64_t>::with<task_outcome>,
    /// Stop: a queued job never starts, a running one is interrupted in its backend.
    caf::reacts_to<atom::cancel>,
    /// From the backend: progress of this task's job.
    caf::reacts_to<atom::progress, backend_progress>,
    /// From the backend: the job ended.
    caf::reacts_to<atom::done, backend_outcome>,
    /// Internal: the sync wait of promise number n timed out.
    caf::reacts_to<atom::await, atom::tick, std::int64_t>,
    /// GET /tasks/:id while the task lives: its status JSON.
    caf::replies_to<atom::get>::with<std::string>,
    caf::replies_to<atom::status>::with<std::string>>;

/// A backend instance (builtin, or one ComfyUI).
using backend_actor = caf::typed_actor<
    /// Queue a job; progress and the outcome go to the task.
    caf::reacts_to<atom::run, backend_job, task_actor>,
    /// Cancel a task's job, queued or running; the task still gets its `done` (cancelled).
    caf::reacts_to<atom::cancel, std::string>,
    /// Internal: a worker finished the job of this task.
    caf::reacts_to<atom::finished, std::string>,
    caf::replies_to<atom::status>::with<std::string>>;

/// How submitting a prompt to ComfyUI went (uploads, /free, /prompt), from a worker thread.
struct submit_outcome {
  bool ok = false;
  std::string prompt_id;
  std::string error;          ///< one sentence when !ok
  std::string details_json;   ///< ComfyUI's error and node_errors ("" = none)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, submit_outcome& x) {
  return f(x.ok, x.prompt_id, x.error, x.details_json);
}

/// One ComfyUI instance: a backend, plus what its socket and its worker threads report.
using comfyui_instance_actor = backend_actor::extend<
    /// From the socket thread: a parsed text frame.
    caf::reacts_to<atom::ws, comfyui::ws_frame>,
    /// From the socket thread: connected or not, and why.
    caf::reacts_to<atom::ws, bool, std::string>,
    /// From a worker: the task's prompt is queued in ComfyUI (or could not be).
    caf::reacts_to<atom::submitted, std::string, submit_outcome>,
    /// From a worker: the task's outputs are in storage (or could not be fetched).
    caf::reacts_to<atom::fetched, std::string, backend_outcome>,
    /// Timer: poll /history for the oldest prompts, in case the socket went quiet.
    caf::reacts_to<atom::history>,
    /// From a worker: whether /history has the task's prompt yet.
    caf::reacts_to<atom::history, std::string, bool>,
    /// Timer: probe /system_stats.
    caf::reacts_to<atom::health>,
    /// From a worker: the probe's answer (ok, one sentence when not).
    caf::reacts_to<atom::health, bool, std::string>>;

/// Several ComfyUI instances behind one backend handle: each task goes to the healthy instance
/// with the fewest queued plus running tasks.
using comfyui_pool_actor = backend_actor::extend<
    /// From an instance (by index): it became healthy or not.
    caf::reacts_to<atom::health, std::int64_t, bool>>;

/// The single writer of media-data.json and its journal. Gallery reads never come here: they
/// read the snapshot the store publishes after each commit (persistence/gallery_snapshot.hpp).
using media_store_actor = caf::typed_actor<
    /// Append an entry; answered with its uid and folder once the journal record holding it is durable.
    caf::replies_to<atom::append, generation_result>::with<std::int64_t, std::string>,
    /// Edit or delete entries, or change the folders: checked, one journal record, applied and
    /// published, or refused with nothing changed.
    caf::replies_to<atom::change, gallery_change>::with<change_outcome>,
    /// Internal: commit what was appended since the last commit.
    caf::reacts_to<atom::done>,
    /// Internal: the journal's oldest record may be due for a rewrite of media-data.json.
    caf::reacts_to<atom::tick>,
    /// Internal: the background rewrite of media-data.json ended ("" or why not; milliseconds).
    caf::reacts_to<atom::compacted, std::string, double>,
    caf::replies_to<atom::status>::with<std::string>>;

/// Per-task event logs and their SSE subscribers.
using sse_hub_actor = caf::typed_actor<
    /// A task exists: subscribes to it may come (sent before the client learns the id).
    caf::reacts_to<atom::open, std::string>,
    /// Append an event (name, data JSON) to a task's log and fan it out; `terminal` closes the log.
    caf::reacts_to<atom::publish, std::string, std::string, std::string, bool>,
    /// A new stream: replays events after `last_event_id`, then follows. Answers an HTTP status:
    /// 200 subscribed, 204 the task ended and Last-Event-ID is at or past its terminal event,
    /// 404 unknown task, 503 too many streams.
    caf::replies_to<atom::subscribe, std::string, std::int64_t, sse_queue_ptr>::with<int>,
    /// A stream went away.
    caf::reacts_to<atom::unsub, std::string, sse_queue_ptr>,
    /// Shutdown: close every stream.
    caf::reacts_to<atom::close_all>,
    /// Internal: forget logs past retention.
    caf::reacts_to<atom::tick>,
    caf::replies_to<atom::status>::with<std::string>>;

/// The only way in: admission, the task registry, cancel, retention.
using supervisor_actor = caf::typed_actor<
    /// Async start: the task id, or a refusal (429 queue full, 503 shutting down).
    caf::replies_to<atom::start, generation_request>::with<start_answer>,
    /// Sync start: delegated to the new task's await, so its outcome reaches the caller directly.
    caf::replies_to<atom::start, atom::await, generation_request>::with<task_outcome>,
    /// GET /tasks/:id: the task's status JSON, or "" when unknown.
    caf::replies_to<atom::get, std::string>::with<std::string>,
    /// Cancel a task: 202, 404 unknown, 409 already ended.
    caf::replies_to<atom::cancel, std::string>::with<int>,
    /// The tasks not yet ended, as a JSON array.
    caf::replies_to<atom::list>::with<std::string>,
    /// From a task that ends: its id, final state and final status JSON.
    caf::reacts_to<atom::ended, std::string, std::string, std::string>,
    /// From a task: it left the backend queue and runs (for the queued/running counts).
    caf::reacts_to<atom::progress, std::string, std::string>,
    /// Internal: forget ended tasks past retention.
    caf::reacts_to<atom::tick>,
    /// Stop admitting; cancel what is still running after the grace period. Answers when all ended.
    caf::replies_to<atom::shutdown, std::int64_t>::with<bool>,
    caf::replies_to<atom::status>::with<std::string>,
    /// Every live task's status, for /debug/actors.
    caf::replies_to<atom::list, atom::status>::with<std::vector<std::string>>>;

} // namespace mediagen
