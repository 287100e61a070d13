#pragma once
// Every actor interface of mediagen, declared once: atoms, the typed values messages carry and
// the typed handles. Read this file and you know the system (docs/DESIGN.md "The actors").
//
// Actors speak typed values only: task states are an enum, statuses are structs, refusals and
// failures are CAF errors of actors/errors.hpp. Nothing here knows HTTP or JSON; http/ renders
// and maps (http/task_json.cpp, http/status_json.cpp, http/status_codes.cpp).
//
// Each interface lists what others may send. Messages an actor sends itself (timers) or gets
// from its own threads are tagged `atom::internal` and live only in the actor's own full type,
// which is never handed out: no other actor can send them.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <caf/variant.hpp>

#include "actors/backend_failure.hpp"
#include "actors/errors.hpp"
#include "actors/sse_queue.hpp"
#include "backends/comfyui/messages.hpp"
#include "backends/comfyui/preview_frame.hpp"
#include "backends/comfyui/ws_listener.hpp"
#include "generation/generation_request.hpp"
#include "generation/result.hpp"
#include "persistence/gallery_changes.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mediagen::sse_queue_ptr)
// Parsed WebSocket frames travel only inside one process, from the listener thread to its actor.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mediagen::comfyui::ws_frame)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mediagen::comfyui::preview_frame)

namespace mediagen::comfyui {
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_stats& x) {
  return f(caf::meta::type_name("ws_stats"), x.running, x.connected, x.attempts, x.connects, x.failures, x.drops,
           x.text_frames, x.binary_frames, x.malformed_frames, x.next_backoff, x.last_error);
}
} // namespace mediagen::comfyui

namespace mediagen {

// -- atoms (CAF 0.17: at most 10 characters; same text = same type as CAF's own) ----------------
namespace atom {
using append = caf::atom_constant<caf::atom("append")>;
using await = caf::atom_constant<caf::atom("await")>;
using cancel = caf::atom_constant<caf::atom("cancel")>;
using change = caf::atom_constant<caf::atom("change")>;
using close_all = caf::atom_constant<caf::atom("close_all")>;
using compacted = caf::atom_constant<caf::atom("compacted")>;
using deliver = caf::atom_constant<caf::atom("deliver")>;
using done = caf::atom_constant<caf::atom("done")>;
using ended = caf::atom_constant<caf::atom("ended")>;
using fetched = caf::atom_constant<caf::atom("fetched")>;
using finished = caf::atom_constant<caf::atom("finished")>;
using health = caf::atom_constant<caf::atom("health")>;
using history = caf::atom_constant<caf::atom("history")>;
using get = caf::atom_constant<caf::atom("get")>;
/// Tags messages only the actor itself (its timers, its threads) may send.
using internal = caf::atom_constant<caf::atom("internal")>;
using list = caf::atom_constant<caf::atom("list")>;
using lost = caf::atom_constant<caf::atom("lost")>;
using ok = caf::atom_constant<caf::atom("ok")>;
using open = caf::atom_constant<caf::atom("open")>;
using preview = caf::atom_constant<caf::atom("preview")>;
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

// -- task states and snapshots -------------------------------------------------------------------

/// queued → running → completed | failed | cancelled; `lost`: a crash left it unfinished.
/// A cancel moves a queued or running task to `cancelling` at once; it ends `cancelled` when
/// its backend confirms the stop, or after the cancel grace period at the latest.
enum class task_state : std::uint8_t { queued, running, cancelling, completed, failed, cancelled, lost };

/// "queued", "running", "cancelling", "completed", "failed", "cancelled", "lost".
const char* to_string(task_state s);

/// True for the states a task never leaves.
constexpr bool has_ended(task_state s) {
  return s != task_state::queued && s != task_state::running && s != task_state::cancelling;
}

/// Which webhook event a task in this state makes: progress while it lives (cancelling included), then complete,
/// error (failed, lost) or cancelled.
webhook_event webhook_event_of(task_state s);

using wall_time = std::chrono::system_clock::time_point;

/// Everything known about one task at one moment (GET /tasks/:id, events, the sync answer).
struct task_snapshot {
  std::string task_id;
  std::string workflow;
  std::string request_origin; ///< the client page that started it ("" = not given)
  task_state state = task_state::queued;
  progress_info progress;
  std::int64_t queue_position = 0; ///< jobs ahead of it (queued only)
  generation_result result;        ///< completed only
  caf::error failure;              ///< failed or lost only: backend_failed | internal_failure
  wall_time created_at{};          ///< epoch = not yet
  wall_time started_at{};
  wall_time ended_at{};
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_snapshot& x) {
  return f(caf::meta::type_name("task_snapshot"), x.task_id, x.workflow, x.request_origin, x.state, x.progress,
           x.queue_position, x.result, x.failure, x.created_at, x.started_at, x.ended_at);
}

/// One entry of a task's event log: the task as it was when the event happened. An ended
/// state makes it the terminal event.
struct task_event {
  task_snapshot task;
  wall_time at{};
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_event& x) {
  return f(caf::meta::type_name("task_event"), x.task, x.at);
}

// -- status: one interface every actor extends ---------------------------------------------------

struct supervisor_figures {
  std::uint64_t live = 0, queued = 0, running = 0, retained_ended = 0;
  std::uint64_t started = 0, refused = 0, completed = 0, failed = 0, cancelled = 0;
  std::uint64_t idempotency_keys = 0; ///< keys that name a live or retained task
  std::uint64_t repeats = 0;          ///< starts answered with the task their key already names
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_figures& x) {
  return f(caf::meta::type_name("supervisor_figures"), x.live, x.queued, x.running, x.retained_ended, x.started,
           x.refused, x.completed, x.failed, x.cancelled, x.idempotency_keys, x.repeats);
}

struct sse_hub_figures {
  std::uint64_t tasks = 0, ended_tasks = 0, stored_events = 0, subscribers = 0;
  std::uint64_t events_published = 0, dropped_slow = 0;
  std::uint64_t previews_published = 0; ///< live previews fanned out (never stored in a log)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sse_hub_figures& x) {
  return f(caf::meta::type_name("sse_hub_figures"), x.tasks, x.ended_tasks, x.stored_events, x.subscribers,
           x.events_published, x.dropped_slow, x.previews_published);
}

struct media_store_figures {
  std::uint64_t entries = 0;
  std::int64_t next_uid = 0;
  std::uint64_t pending_appends = 0, commits = 0, entries_committed = 0, commit_failures = 0;
  double last_commit_ms = 0, total_commit_ms = 0, commit_p50_ms = 0, commit_p99_ms = 0;
  std::uint64_t journal_records = 0, journal_bytes = 0;
  bool compacting = false;
  std::uint64_t changes = 0, compactions = 0, compaction_failures = 0;
  double last_compaction_ms = 0;
  std::string last_error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, media_store_figures& x) {
  return f(caf::meta::type_name("media_store_figures"), x.entries, x.next_uid, x.pending_appends, x.commits,
           x.entries_committed, x.commit_failures, x.last_commit_ms, x.total_commit_ms, x.commit_p50_ms,
           x.commit_p99_ms, x.journal_records, x.journal_bytes, x.compacting, x.changes, x.compactions,
           x.compaction_failures, x.last_compaction_ms, x.last_error);
}

/// A backend unit (builtin, one ComfyUI instance) or a pool of them (the sums of its instances).
struct backend_figures {
  std::string backend; ///< builtin | comfyui | comfyui-pool
  std::string url;     ///< ComfyUI instances only
  bool healthy = true;
  std::string detail;            ///< why it is unhealthy (last probe or socket error)
  bool socket_connected = false; ///< ComfyUI instances only
  std::uint64_t workers = 0;     ///< builtin only
  std::uint64_t queued = 0;      ///< jobs waiting
  std::uint64_t running = 0;     ///< jobs under way
  std::uint64_t submitted = 0;   ///< ComfyUI: prompts ComfyUI accepted
  std::uint64_t completed = 0, failed = 0, cancelled = 0;
  std::uint64_t cancelled_while_queued = 0;
  std::uint64_t frees = 0;       ///< ComfyUI: /free calls on workflow switches
  std::uint64_t lost = 0;        ///< ComfyUI: jobs the instance died under, handed back to the pool
  std::uint64_t resubmitted = 0; ///< ComfyUI pool: lost jobs it gave to another instance
  double round_trip_seconds = 0; ///< from `run` to the job's end, summed over finished jobs
  std::string client_id;         ///< ComfyUI: our clientId
  comfyui::ws_stats socket;      ///< ComfyUI: the WebSocket's figures

  std::uint64_t queue() const { return queued + running; }
  std::uint64_t finished() const { return completed + failed + cancelled; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backend_figures& x) {
  return f(caf::meta::type_name("backend_figures"), x.backend, x.url, x.healthy, x.detail, x.socket_connected,
           x.workers, x.queued, x.running, x.submitted, x.completed, x.failed, x.cancelled, x.cancelled_while_queued,
           x.frees, x.lost, x.resubmitted, x.round_trip_seconds, x.client_id, x.socket);
}

struct webhook_figures {
  std::uint64_t pending = 0;                            ///< messages not yet delivered nor failed for good
  std::uint64_t in_flight = 0;                          ///< attempts under way
  std::uint64_t waiting = 0;                            ///< due, but their host has all its attempts under way
  std::uint64_t delivered = 0, failed = 0, retried = 0; ///< since start
  std::uint64_t resumed = 0;                            ///< pending messages the journal handed over at start
  std::uint64_t journal_records = 0;                    ///< records since the journal was last rewritten
  std::uint64_t journal_failures = 0;
  std::string last_error; ///< the last attempt's or the journal's
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, webhook_figures& x) {
  return f(caf::meta::type_name("webhook_figures"), x.pending, x.in_flight, x.waiting, x.delivered, x.failed, x.retried,
           x.resumed, x.journal_records, x.journal_failures, x.last_error);
}

struct task_figures {
  std::string workflow;
  bool silent = false;
  double percentage = 0;
  std::int64_t queue_position = 0;
  std::uint64_t waiters = 0;
  double age_seconds = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_figures& x) {
  return f(caf::meta::type_name("task_figures"), x.workflow, x.silent, x.percentage, x.queue_position, x.waiters,
           x.age_seconds);
}

/// What every actor answers (atom::status) with: who it is, how it is, its own figures, and
/// the statuses of the actors it is made of (a pool's instances).
struct actor_status {
  std::string kind; ///< supervisor | sse_hub | media_store | webhooks | backend | task
  std::string id;
  std::string state; ///< running | shutting-down | closing | unhealthy | unreachable | a task_state
  std::uint64_t mailbox = 0;
  caf::variant<supervisor_figures, sse_hub_figures, media_store_figures, backend_figures, task_figures, webhook_figures>
      figures;
  std::vector<actor_status> parts;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, actor_status& x) {
  return f(caf::meta::type_name("actor_status"), x.kind, x.id, x.state, x.mailbox, x.figures, x.parts);
}

/// An actor's status from its header fields and its figures.
template <class Figures>
actor_status make_status(std::string kind, std::string id, std::string state, std::size_t mailbox, Figures figures) {
  actor_status s;
  s.kind = std::move(kind);
  s.id = std::move(id);
  s.state = std::move(state);
  s.mailbox = mailbox;
  s.figures = std::move(figures);
  return s;
}

/// The status protocol: every actor interface below extends it (as tenzir's actors.hpp does).
using status_client_actor = caf::typed_actor<caf::replies_to<atom::status>::with<actor_status>>;

// -- messages between tasks and backends ---------------------------------------------------------

/// Progress a backend reports for one job.
struct backend_progress {
  task_state state = task_state::queued; ///< queued or running
  std::int64_t queue_position = 0;       ///< jobs ahead of this one (queued only)
  progress_info progress;                ///< percentage across the backend's part of the task
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backend_progress& x) {
  return f(x.state, x.queue_position, x.progress);
}

/// How a backend job ended. The output files are already in storage.
struct backend_outcome {
  bool ok = false;
  bool cancelled = false;
  std::string error;       ///< one sentence when failed
  backend_failure details; ///< optional: the backend's own report of the failure
  std::vector<output_file> outputs;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backend_outcome& x) {
  return f(x.ok, x.cancelled, x.error, x.details, x.outputs);
}

/// A prepared graph for a backend.
struct backend_job {
  std::string task_id;
  std::string workflow_base; ///< the workflow's base file (ComfyUI frees VRAM when it changes)
  std::string graph_json;
  /// Uploaded inputs, by the names the graph uses (a ComfyUI backend uploads them first and
  /// renames them in the graph to what ComfyUI answers).
  std::vector<input_file> inputs;
  /// Live previews: the backend sends the task one at most this often; 0 = none, and no
  /// preview work at all (the request did not ask, or it is sync).
  std::int64_t preview_interval_ms = 0;
  /// Backends run waiting jobs of a higher priority first, each priority in arrival order.
  task_priority priority = task_priority::normal;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backend_job& x) {
  return f(x.task_id, x.workflow_base, x.graph_json, x.inputs, x.preview_interval_ms, x.priority);
}

/// A live preview of a running job: a small image file (docs/API.md "preview" events).
struct preview_image {
  std::string mime;  ///< "image/jpeg" or "image/png"
  std::string bytes; ///< the file
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, preview_image& x) {
  return f(caf::meta::type_name("preview_image"), x.mime, x.bytes);
}

/// A task's preview as the hub gets it: the image and the step of the latest progress.
struct task_preview {
  std::string task_id;
  preview_image image;
  std::int64_t step = 0; ///< progress value when the preview came (0 = none reported yet)
  std::int64_t max = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_preview& x) {
  return f(caf::meta::type_name("task_preview"), x.task_id, x.image, x.step, x.max);
}

// -- handles -------------------------------------------------------------------------------------

/// The one generation task's actor.
using task_actor = status_client_actor::extend<
    /// Answered with the ended task once it ends; wait_timed_out after `timeout_ms` (the task goes on).
    caf::replies_to<atom::await, std::int64_t>::with<task_snapshot>,
    /// Stop: a queued job never starts, a running one is interrupted in its backend; the task is
    /// `cancelling` until the backend confirms, or the cancel grace period ends.
    caf::reacts_to<atom::cancel>,
    /// From the backend: progress of this task's job.
    caf::reacts_to<atom::progress, backend_progress>,
    /// From the backend: the job ended.
    caf::reacts_to<atom::done, backend_outcome>,
    /// From the backend: a live preview (only for jobs with a preview interval).
    caf::reacts_to<atom::preview, preview_image>,
    /// GET /tasks/:id while the task lives.
    caf::replies_to<atom::get>::with<task_snapshot>>;

/// A backend instance (builtin, one ComfyUI, or a pool of ComfyUIs).
using backend_actor = status_client_actor::extend<
    /// Queue a job; progress and the outcome go to the task.
    caf::reacts_to<atom::run, backend_job, task_actor>,
    /// Cancel a task's job, queued or running; the task still gets its `done` (cancelled). A
    /// cancelled job never reports outputs: what it still produces is removed from storage by
    /// the backend (the task may have ended already and could not remove it).
    caf::reacts_to<atom::cancel, std::string>>;

/// How submitting a prompt to ComfyUI went (uploads, /free, /prompt), from a worker thread.
struct submit_outcome {
  bool ok = false;
  bool unreachable = false; ///< no HTTP answer at all (the instance is down): another may take the job
  std::string prompt_id;
  std::string error;       ///< one sentence when !ok
  backend_failure details; ///< a refused prompt: ComfyUI's error and node_errors
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, submit_outcome& x) {
  return f(x.ok, x.unreachable, x.prompt_id, x.error, x.details);
}

/// Where an instance has a prompt we gave it.
enum class prompt_whereabouts : std::uint8_t {
  queued,     ///< in /queue (running or pending)
  finished,   ///< its /history entry exists
  vanished,   ///< neither: the instance forgot it (restarted, or its queue was cleared)
  unreachable ///< no answer, or an answer we could not read: nothing known
};

/// Several ComfyUI instances behind one backend handle: each task goes to the healthy instance
/// with the fewest queued plus running tasks. What its instances tell it:
using comfyui_pool_actor = backend_actor::extend<
    /// An instance ended the job of this task.
    caf::reacts_to<atom::finished, std::string>,
    /// An instance (by index) died before the job produced outputs, for this reason (one
    /// sentence): the pool resubmits the job to another healthy instance, or fails the task.
    caf::reacts_to<atom::lost, std::int64_t, backend_job, task_actor, std::string>,
    /// An instance (by index) became healthy or not.
    caf::reacts_to<atom::health, std::int64_t, bool>>;

/// One ComfyUI instance: a backend, plus what its socket, its worker threads and its timers
/// report (all internal: only the instance's own threads hold its full handle).
using comfyui_instance_actor = backend_actor::extend<
    /// From the socket thread: a parsed text frame.
    caf::reacts_to<atom::internal, atom::ws, comfyui::ws_frame>,
    /// From the socket thread: connected or not, and why.
    caf::reacts_to<atom::internal, atom::ws, bool, std::string>,
    /// From the socket thread: a preview image frame (sent only while a job wants previews).
    caf::reacts_to<atom::internal, atom::preview, comfyui::preview_frame>,
    /// From a worker: the task's prompt is queued in ComfyUI (or could not be).
    caf::reacts_to<atom::internal, atom::submitted, std::string, submit_outcome>,
    /// From a worker: the task's outputs are in storage (or could not be fetched).
    caf::reacts_to<atom::internal, atom::fetched, std::string, backend_outcome>,
    /// Timer: poll /history for the oldest prompts, in case the socket went quiet.
    caf::reacts_to<atom::internal, atom::history>,
    /// From a worker: where the instance has the task's prompt (/queue, then /history).
    caf::reacts_to<atom::internal, atom::history, std::string, prompt_whereabouts>,
    /// Timer: probe /system_stats.
    caf::reacts_to<atom::internal, atom::health>,
    /// From a worker: the probe's answer (ok, one sentence when not).
    caf::reacts_to<atom::internal, atom::health, bool, std::string>>;

/// The single writer of media-data.json and its journal. Gallery reads never come here: they
/// read the snapshot the store publishes after each commit (persistence/gallery_snapshot.hpp).
/// Its commit trigger and compaction reports are internal (actors/media_store_actor.cpp).
using media_store_actor = status_client_actor::extend<
    /// Append an entry; answered with its uid and folder once the journal record holding it is durable.
    caf::replies_to<atom::append, generation_result>::with<std::int64_t, std::string>,
    /// Edit or delete entries, or change the folders: checked, one journal record, applied and
    /// published, or refused with nothing changed (change_refused, carrying the change_refusal).
    caf::replies_to<atom::change, gallery_change>::with<change_done>>;

/// Renders one event as a ready SSE frame with event id `id` (http/ provides it).
using sse_frame_renderer = std::function<std::string(std::int64_t id, const task_event& event)>;
/// Renders a preview as a ready SSE frame; it has no id: previews are not part of the log.
using sse_preview_renderer = std::function<std::string(const task_preview& preview)>;

/// Per-task event logs and their SSE subscribers.
using sse_hub_actor = status_client_actor::extend<
    /// A task exists: subscribes to it may come (sent before the client learns the id).
    caf::reacts_to<atom::open, std::string>,
    /// Append an event to its task's log and fan it out; an ended state closes the log.
    caf::reacts_to<atom::publish, task_event>,
    /// A task's live preview: kept as its latest (replacing the one before, never logged) and
    /// offered to its streams, where a newer preview replaces one not yet written.
    caf::reacts_to<atom::preview, task_preview>,
    /// A new stream: replays the events after `last_event_id` into the queue the hub makes (of
    /// the hub's queue capacity), then the task's latest preview if it still runs, then follows. Errors: unknown_task, too_many_streams, and
    /// stream_finished when the task ended and `last_event_id` is at or past its terminal event.
    caf::replies_to<atom::subscribe, std::string, std::int64_t>::with<sse_queue_ptr>,
    /// A stream went away.
    caf::reacts_to<atom::unsub, std::string, sse_queue_ptr>,
    /// Shutdown: close every stream.
    caf::reacts_to<atom::close_all>>;

// -- webhooks ------------------------------------------------------------------------------------

/// pending (attempts to come) → delivered (a 2xx) | failed (a 4xx other than 408/429, or out of attempts).
enum class webhook_state : std::uint8_t { pending, delivered, failed };

/// "pending", "delivered", "failed".
const char* to_string(webhook_state s);

/// One webhook message of a task, as the webhook actor knows it (GET /tasks/:id).
struct webhook_delivery {
  std::string id; ///< the webhook-id header
  std::string url;
  webhook_event event = webhook_event::complete;
  webhook_state state = webhook_state::pending;
  std::uint32_t attempts = 0;
  int last_status = 0;      ///< the receiver's last HTTP status; 0 = none yet, or no answer
  std::string last_error;   ///< "" or why the last attempt failed
  wall_time next_attempt{}; ///< pending and waiting for a retry: when; epoch = now or under way
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, webhook_delivery& x) {
  return f(caf::meta::type_name("webhook_delivery"), x.id, x.url, x.event, x.state, x.attempts, x.last_status,
           x.last_error, x.next_attempt);
}

/// Signed webhook deliveries with retries, journaled (actors/webhook_actor.hpp).
using webhook_actor = status_client_actor::extend<
    /// A task's event for the webhook its request named; sent only for events the webhook wants.
    caf::reacts_to<atom::deliver, webhook_spec, task_event>,
    /// The deliveries of a task, oldest first (none: an empty list).
    caf::replies_to<atom::get, std::string>::with<std::vector<webhook_delivery>>>;

/// What tasks tell their supervisor.
using task_listener_actor = caf::typed_actor<
    /// The task ended: its final snapshot.
    caf::reacts_to<atom::ended, task_snapshot>,
    /// The task left the backend queue and runs (for the queued/running counts).
    caf::reacts_to<atom::progress, std::string, task_state>>;

/// The only way in: admission, the task registry, cancel, retention.
using supervisor_actor = status_client_actor::extend<
    /// Async start of a planned request (its task id chosen): answers that id, or an error
    /// (queue_full, shutting_down, duplicate_task).
    caf::replies_to<atom::start, generation_request>::with<std::string>,
    /// Sync start: delegated to the new task's await, so the ended task reaches the caller directly.
    caf::replies_to<atom::start, atom::await, generation_request>::with<task_snapshot>,
    /// A task as it is now (unknown_task when there is none).
    caf::replies_to<atom::get, std::string>::with<task_snapshot>,
    /// Cancel a task: ok (also for a task already cancelling), or unknown_task / task_ended.
    caf::replies_to<atom::cancel, std::string>::with<atom::ok>,
    /// The tasks not yet ended.
    caf::replies_to<atom::list>::with<std::vector<task_snapshot>>,
    /// Stop admitting; cancel what is still running after the grace period. Answers when all ended.
    caf::replies_to<atom::shutdown, std::int64_t>::with<bool>,
    /// Every live task's status, for /debug/actors.
    caf::replies_to<atom::list, atom::status>::with<std::vector<actor_status>>>;

} // namespace mediagen
