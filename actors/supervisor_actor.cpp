#include "actors/supervisor_actor.hpp"

#include <random>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/retention.hpp"
#include "actors/task_actor.hpp"
#include "actors/upload_job.hpp"
#include "common/json.hpp"

namespace mediagen {

namespace {

/// The supervisor's full interface: what others may send, what its tasks tell it, and its own
/// timers (never handed out).
using supervisor_self_actor = supervisor_actor::extend_with<task_listener_actor>::extend<
    /// Timer: forget ended tasks past retention.
    caf::reacts_to<atom::internal, atom::tick>,
    /// Timer: the shutdown grace period is over; cancel every live task.
    caf::reacts_to<atom::internal, atom::cancel>>;

/// A task that has not ended yet.
struct live_task {
  task_actor handle;
  std::string workflow;
  task_state state = task_state::queued; ///< queued | running | cancelling (as the task reported)
  bool silent = false;
};

/// What an idempotency key names: its task, and the fingerprint of the request that started it.
struct keyed_task {
  std::string task_id;
  std::string fingerprint;
};

struct supervisor_data {
  supervisor_settings settings;
  /// Task id → its actor, until it ends.
  std::unordered_map<std::string, live_task> live;
  /// Monitored address → task id, to name a task that died without reporting its end.
  std::unordered_map<caf::actor_addr, std::string> id_of;
  /// Ended tasks' final snapshots, for GET /tasks/:id until retention ends.
  std::unordered_map<std::string, task_snapshot> ended;
  retention_queue ended_order{std::chrono::seconds(300), 100000};
  /// Scoped idempotency key → its task, for as long as the task is live or retained: a key is
  /// recorded in the same handler that starts its task, so two starts with one key (however
  /// close together) start one task.
  std::unordered_map<std::string, keyed_task> keyed;
  /// Task id → its scoped key, to free the key when the task is forgotten.
  std::unordered_map<std::string, std::string> key_of;
  std::size_t queued = 0; ///< live tasks not yet running
  std::uint64_t started = 0, refused = 0, completed = 0, failed = 0, cancelled = 0, repeats = 0;
  bool shutting_down = false;
  std::optional<caf::typed_response_promise<bool>> shutdown_done;

  static inline const char* name = "supervisor";

  ~supervisor_data() {
    if (shutdown_done) shutdown_done->deliver(false);
  }

  void forget_later(const std::string& id) {
    ended_order.add(id, std::chrono::steady_clock::now(), [this](const std::string& old) { forget(old); });
  }

  /// An ended task's retention is over: its snapshot and its key go.
  void forget(const std::string& id) {
    ended.erase(id);
    if (auto it = key_of.find(id); it != key_of.end()) {
      keyed.erase(it->second);
      key_of.erase(it);
    }
  }

  /// The task `req`'s key already names, or null; key_conflict when it was started by another request.
  caf::expected<const keyed_task*> named_by_key(const generation_request& req) const {
    if (req.idempotency_key.empty()) return nullptr;
    auto it = keyed.find(req.idempotency_key);
    if (it == keyed.end()) return nullptr;
    if (it->second.fingerprint != req.fingerprint)
      return make_error(error_code::key_conflict,
                        "This idempotency key was used with a different request; use a new key for a new request.");
    return &it->second;
  }

  void remember_key(const generation_request& req) {
    if (req.idempotency_key.empty()) return;
    keyed[req.idempotency_key] = keyed_task{req.task_id, req.fingerprint};
    key_of[req.task_id] = req.idempotency_key;
  }
};

using supervisor_pointer = supervisor_self_actor::stateful_pointer<supervisor_data>;

// Admission, and the id as the HTTP layer fixed it (never changed here: the graph was planned
// with it). None when the request may start.
caf::error refusal(const supervisor_data& st, const generation_request& req) {
  if (st.shutting_down) return make_error(error_code::shutting_down, "The server is shutting down.");
  if (st.queued >= st.settings.max_queued_tasks)
    return make_error(error_code::queue_full, "Too many tasks are waiting; try again shortly.");
  if (req.task_id.empty() || (!req.wf && req.upload.empty()))
    return make_error(error_code::internal_failure, "The request was not planned.");
  if (st.live.count(req.task_id) || st.ended.count(req.task_id))
    return make_error(error_code::duplicate_task, "A task with id '" + req.task_id + "' exists already.");
  return {};
}

// Spawns the task. The job goes to its backend from here, the one place requests pass in the
// order they were accepted, so backends see tasks first come, first served (tasks spawned one
// after another may initialize in any order on CAF's threads). `before_run` is called between
// the spawn and the job's hand-off: a sync request's await must reach the task first.
template <class BeforeRun>
task_actor start_task(supervisor_pointer self, const generation_request& req, BeforeRun before_run) {
  auto& st = self->state;
  const std::string& id = req.task_id;
  // An upload runs no backend: its job is storing its file (actors/upload_job.hpp).
  bool upload = !req.upload.empty();
  backend_actor backend = upload                         ? backend_actor{}
                          : req.wf->backend == "comfyui" ? st.settings.comfyui
                                                         : st.settings.builtin;
  task_context ctx;
  ctx.backend = backend;
  ctx.request = req;
  ctx.hub = st.settings.hub;
  ctx.store = st.settings.store;
  ctx.webhooks = st.settings.webhooks;
  ctx.supervisor = task_listener_actor{self};
  ctx.inputs = st.settings.inputs;
  ctx.outputs = st.settings.outputs;
  ctx.cancel_grace = st.settings.cancel_grace;
  if (st.settings.journal) st.settings.journal->started(id, req.workflow);
  // The hub learns of the task before the client does, so a subscribe never precedes it.
  if (!req.silent) self->send(st.settings.hub, atom::open::value, id);
  // A silent (sync) task is lazy: the await delegated to it is its first message, so it cannot
  // finish before anyone waits for it, however the threads are scheduled.
  auto task = spawn_task(self->system(), std::move(ctx), req.silent);
  self->monitor(task);
  st.id_of.emplace(task.address(), id);
  st.live.emplace(id, live_task{task, req.workflow, task_state::queued, req.silent});
  st.remember_key(req);
  ++st.queued;
  ++st.started;
  before_run(task);
  if (!upload) {
    // Previews only for a stream to show them on: a silent (sync) task has none.
    std::int64_t previews = req.previews && !req.silent ? st.settings.preview_interval_ms : 0;
    self->send(backend, atom::run::value,
               backend_job{id, req.wf->base, req.graph_json, req.files, previews, req.priority}, task);
  } else if (st.settings.upload_workers && st.settings.outputs && !req.files.empty())
    post_upload_job(*st.settings.upload_workers, st.settings.inputs, st.settings.outputs, req.files.front(), req.upload,
                    task);
  else
    self->send(task, atom::done::value, backend_outcome{false, false, "This server does not take uploads.", {}, {}});
  return task;
}

void task_ended(supervisor_pointer self, task_snapshot final_snapshot) {
  auto& st = self->state;
  const std::string id = final_snapshot.task_id;
  auto it = st.live.find(id);
  if (it == st.live.end()) return;
  if (it->second.state == task_state::queued) --st.queued;
  auto state = final_snapshot.state;
  std::fprintf(stderr, "%s task ended id=%s workflow=%s state=%s\n", state == task_state::failed ? "warn" : "info",
               id.c_str(), json::quote(it->second.workflow).c_str(), to_string(state));
  st.id_of.erase(it->second.handle.address());
  st.live.erase(it);
  if (state == task_state::completed)
    ++st.completed;
  else if (state == task_state::cancelled)
    ++st.cancelled;
  else
    ++st.failed;
  st.ended[id] = std::move(final_snapshot);
  st.forget_later(id);
  if (auto& journal = st.settings.journal) {
    journal->ended(id, to_string(state));
    if (journal->lines() > 100000) { // keep the journal small: only what is still open
      std::vector<std::pair<std::string, std::string>> open_tasks;
      for (auto& [live_id, t] : st.live) open_tasks.emplace_back(live_id, t.workflow);
      if (auto e = journal->compact(open_tasks, st.settings.lost); !e.empty())
        std::fprintf(stderr, "error supervisor journal compaction failed reason=\"%s\"\n", e.c_str());
    }
  }
  if (st.live.empty() && st.shutdown_done) {
    st.shutdown_done->deliver(true);
    st.shutdown_done.reset();
  }
}

// Asks every live task `question` (get or status) and calls `done` with the answers once all
// replied; a task that ends meanwhile is left out.
template <class Answer, class Question, class Done>
void ask_every_task(supervisor_pointer self, Question question, Done done) {
  auto& st = self->state;
  if (st.live.empty()) return done(std::vector<Answer>{});
  auto answers = std::make_shared<std::vector<Answer>>();
  auto remaining = std::make_shared<std::size_t>(st.live.size());
  auto one_more = [answers, remaining, done]() mutable {
    if (--*remaining == 0) done(std::move(*answers));
  };
  for (auto& [id, t] : st.live)
    self->request(t.handle, std::chrono::seconds(2), question)
        .then(
            [answers, one_more](Answer& a) mutable {
              answers->push_back(std::move(a));
              one_more();
            },
            [one_more](caf::error&) mutable { one_more(); });
}

// A sync repeat waits for the task its key names, live or ended. Not delegated: a task that just
// ended may be gone before the await reaches it; its `ended` report came first, so the answer is
// then in `ended` (as for atom::get).
caf::result<task_snapshot> await_repeat(supervisor_pointer self, const std::string& id, std::int64_t timeout_ms) {
  auto& st = self->state;
  if (auto it = st.ended.find(id); it != st.ended.end()) return it->second;
  auto it = st.live.find(id);
  if (it == st.live.end()) return make_error(error_code::unknown_task, "Task '" + id + "' not found.");
  auto rp = self->make_response_promise<task_snapshot>();
  // The task answers wait_timed_out itself after timeout_ms; the margin only guards a lost reply.
  self->request(it->second.handle, std::chrono::milliseconds(timeout_ms) + std::chrono::seconds(5), atom::await::value,
                timeout_ms)
      .then([rp](task_snapshot& snap) mutable { rp.deliver(std::move(snap)); },
            [self, rp, id](caf::error& e) mutable {
              auto ended = self->state.ended.find(id);
              if (ended != self->state.ended.end())
                rp.deliver(ended->second);
              else
                rp.deliver(std::move(e));
            });
  return rp;
}

actor_status status_of(supervisor_pointer self) {
  auto& st = self->state;
  supervisor_figures f;
  f.live = st.live.size();
  f.queued = st.queued;
  f.running = st.live.size() - st.queued;
  f.retained_ended = st.ended.size();
  f.started = st.started;
  f.refused = st.refused;
  f.completed = st.completed;
  f.failed = st.failed;
  f.cancelled = st.cancelled;
  f.idempotency_keys = st.keyed.size();
  f.repeats = st.repeats;
  return make_status("supervisor", "supervisor", st.shutting_down ? "shutting-down" : "running", self->mailbox().size(),
                     f);
}

supervisor_self_actor::behavior_type supervisor(supervisor_pointer self, supervisor_settings settings) {
  auto& sup = self->state; // "st" is the handlers' name for it
  sup.settings = std::move(settings);
  sup.ended_order = retention_queue{sup.settings.retention, sup.settings.max_retained};
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.id_of.find(dm.source);
    if (it == st.id_of.end()) return;
    // A task that died without reporting its end: its stream still gets one terminal event.
    task_snapshot snap;
    snap.task_id = it->second;
    auto live = st.live.find(snap.task_id);
    bool silent = live != st.live.end() && live->second.silent;
    if (live != st.live.end()) snap.workflow = live->second.workflow;
    snap.state = task_state::failed;
    snap.ended_at = std::chrono::system_clock::now();
    snap.failure = make_error(error_code::internal_failure,
                              "The task ended unexpectedly (" + self->system().render(dm.reason) + ").");
    if (!silent) self->send(st.settings.hub, atom::publish::value, task_event{snap, snap.ended_at});
    task_ended(self, std::move(snap));
  });
  // Tasks a crash left unfinished answer GET /tasks/:id as `lost` until retention ends.
  for (auto& t : sup.settings.lost) {
    task_snapshot snap;
    snap.task_id = t.id;
    snap.workflow = t.workflow;
    snap.state = task_state::lost;
    snap.failure = make_error(error_code::internal_failure,
                              "The server stopped while this task was queued or running.");
    sup.ended[t.id] = std::move(snap);
    sup.forget_later(t.id);
  }
  self->delayed_send(self, retention_queue::sweep_interval, atom::internal::value, atom::tick::value);
  return {
      [self](atom::start, const generation_request& req) -> caf::result<std::string> {
        auto& st = self->state;
        auto named = st.named_by_key(req);
        if (!named) {
          ++st.refused;
          return std::move(named.error());
        }
        if (*named) { // a repeat: the task its key names answers, nothing starts
          ++st.repeats;
          return (*named)->task_id;
        }
        if (auto refused = refusal(self->state, req)) {
          ++self->state.refused;
          return refused;
        }
        start_task(self, req, [](const task_actor&) {});
        return req.task_id;
      },
      [self](atom::start, atom::await, const generation_request& req) -> caf::result<task_snapshot> {
        auto& st = self->state;
        auto named = st.named_by_key(req);
        if (!named) {
          ++st.refused;
          return std::move(named.error());
        }
        if (*named) {
          ++st.repeats;
          return await_repeat(self, (*named)->task_id, req.timeout_ms);
        }
        if (auto refused = refusal(self->state, req)) {
          ++self->state.refused;
          return refused;
        }
        caf::delegated<task_snapshot> answer;
        // The task answers the waiting HTTP thread itself: one hop instead of two.
        start_task(self, req,
                   [&](const task_actor& task) { answer = self->delegate(task, atom::await::value, req.timeout_ms); });
        return answer;
      },
      [self](atom::get, const std::string& id) -> caf::result<task_snapshot> {
        auto& st = self->state;
        if (auto it = st.live.find(id); it != st.live.end()) {
          // Not delegated: a task that just ended may be gone before the request reaches it. Its
          // `ended` report was sent before it quit, so by the time the error comes back here the
          // final snapshot is in `ended`.
          auto rp = self->make_response_promise<task_snapshot>();
          self->request(it->second.handle, std::chrono::seconds(10), atom::get::value)
              .then([rp](task_snapshot& snap) mutable { rp.deliver(std::move(snap)); },
                    [self, rp, id](caf::error&) mutable {
                      auto ended = self->state.ended.find(id);
                      if (ended != self->state.ended.end())
                        rp.deliver(ended->second);
                      else
                        rp.deliver(make_error(error_code::unknown_task, "Task '" + id + "' not found."));
                    });
          return rp;
        }
        if (auto it = st.ended.find(id); it != st.ended.end()) return it->second;
        return make_error(error_code::unknown_task, "Task '" + id + "' not found.");
      },
      [self](atom::cancel, const std::string& id) -> caf::result<atom::ok> {
        auto& st = self->state;
        if (auto it = st.live.find(id); it != st.live.end()) {
          self->send(it->second.handle, atom::cancel::value);
          return atom::ok::value;
        }
        if (st.ended.count(id)) return make_error(error_code::task_ended, "Task '" + id + "' has already ended.");
        return make_error(error_code::unknown_task, "Task '" + id + "' not found.");
      },
      [self](atom::internal, atom::cancel) {
        for (auto& entry : self->state.live) self->send(entry.second.handle, atom::cancel::value);
      },
      [self](atom::list) {
        auto rp = self->make_response_promise<std::vector<task_snapshot>>();
        ask_every_task<task_snapshot>(self, atom::get::value,
                                      [rp](std::vector<task_snapshot> snaps) mutable { rp.deliver(std::move(snaps)); });
        return rp;
      },
      [self](atom::ended, task_snapshot& snap) { task_ended(self, std::move(snap)); },
      [self](atom::progress, const std::string& id, task_state state) {
        auto& st = self->state;
        auto it = st.live.find(id);
        if (it == st.live.end() || it->second.state == state) return;
        if (it->second.state == task_state::queued) --st.queued;
        it->second.state = state;
      },
      [self](atom::internal, atom::tick) {
        auto& st = self->state;
        st.ended_order.expire(std::chrono::steady_clock::now(), [&st](const std::string& id) { st.forget(id); });
        self->delayed_send(self, retention_queue::sweep_interval, atom::internal::value, atom::tick::value);
      },
      [self](atom::shutdown, std::int64_t grace_seconds) -> caf::result<bool> {
        auto& st = self->state;
        st.shutting_down = true;
        if (st.live.empty()) return true;
        // Queued tasks would only start during the grace period: they are cancelled now.
        for (auto& entry : st.live)
          if (entry.second.state == task_state::queued) self->send(entry.second.handle, atom::cancel::value);
        auto rp = self->make_response_promise<bool>();
        st.shutdown_done = rp;
        // Tasks still running when the grace period ends are cancelled (one `cancelled` each).
        self->delayed_send(self, std::chrono::seconds(grace_seconds), atom::internal::value, atom::cancel::value);
        return rp;
      },
      [self](atom::status) { return status_of(self); },
      [self](atom::list, atom::status) -> caf::result<std::vector<actor_status>> {
        auto rp = self->make_response_promise<std::vector<actor_status>>();
        ask_every_task<actor_status>(self, atom::status::value, [rp](std::vector<actor_status> statuses) mutable {
          rp.deliver(std::move(statuses));
        });
        return rp;
      },
  };
}

} // namespace

supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_settings settings) {
  return sys.spawn(supervisor, std::move(settings));
}

std::string random_task_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    auto bits = rng();
    for (int i = 0; i < 16; ++i) id[half * 16 + i] = hex[(bits >> (i * 4)) & 0xF];
  }
  return id;
}

} // namespace mediagen
