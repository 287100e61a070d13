#include "actors/task_actor.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <caf/all.hpp>

#include "common/iso_time.hpp"
#include "generation/plan.hpp"

namespace mediagen {

namespace {

using clock = std::chrono::system_clock;

/// The task's full interface: its public one plus its own timer.
using task_self_actor = task_actor::extend<
    /// Timer: the sync wait of promise number n is over.
    caf::reacts_to<atom::internal, atom::await, atom::tick, std::int64_t>,
    /// Timer: the cancel grace period is over; the task ends `cancelled` whatever the backend does.
    caf::reacts_to<atom::internal, atom::cancel, atom::tick>>;

struct task_data {
  task_context ctx;
  /// What GET /tasks/:id, the events and the waiters see; its state only moves forward.
  task_snapshot snap;
  bool cancel_requested = false;
  /// Sync callers waiting for the end; a slot is emptied once answered (timeout or end).
  std::vector<std::optional<caf::typed_response_promise<task_snapshot>>> waiters;

  static inline const char* name = "task";

  bool ended() const { return has_ended(snap.state); }

  ~task_data() {
    // CAF 0.17 has no broken_promise: answer every waiter before the actor disappears.
    for (auto& w : waiters)
      if (w) {
        task_snapshot s = snap;
        s.state = task_state::failed;
        s.failure = make_error(error_code::internal_failure, "The task ended unexpectedly.");
        w->deliver(s);
      }
  }
};

using task_pointer = task_self_actor::stateful_pointer<task_data>;

void publish(task_pointer self, clock::time_point at) {
  if (self->state.ctx.request.silent) return;
  self->send(self->state.ctx.hub, atom::publish::value, task_event{self->state.snap, at});
}

// The one way a task ends: one terminal event, every waiter answered, the supervisor told.
void finish(task_pointer self, task_state final_state) {
  auto& st = self->state;
  if (st.ended()) return;
  st.snap.state = final_state;
  st.snap.ended_at = clock::now();
  st.snap.progress.message.clear(); // it belonged to the event that reported it
  // The uploads served this task only; they are gone before anyone hears it ended.
  if (st.ctx.inputs)
    for (auto& f : st.ctx.request.files) st.ctx.inputs->remove(f.stored_name);
  if (final_state == task_state::completed) {
    st.snap.progress.percentage = 100;
    st.snap.progress.current_step = "Completed";
  }
  publish(self, st.snap.ended_at);
  for (auto& w : st.waiters)
    if (w) {
      w->deliver(st.snap);
      w.reset();
    }
  self->send(st.ctx.supervisor, atom::ended::value, st.snap);
  self->quit();
}

void fail(task_pointer self, error_code code, std::string error, std::string details_json = {}) {
  self->state.snap.failure = make_error(code, std::move(error), std::move(details_json));
  finish(self, task_state::failed);
}

generation_result make_result(const task_data& st, std::vector<output_file> outputs) {
  const auto& req = st.ctx.request;
  generation_result r;
  r.task_id = req.task_id;
  r.workflow = req.workflow;
  r.type = !req.upload.empty() ? req.upload : req.wf && req.wf->type != "inpaint" ? req.wf->type : "image";
  r.inpaint = req.inpaint;
  r.inpaint_area_json = req.inpaint_area_json;
  r.prompt = req.prompt;
  r.name = req.name;
  r.seed = req.seed;
  r.description = req.description;
  r.tags = req.tags;
  r.summary = req.summary;
  r.orientation = req.orientation;
  r.request_origin = req.request_origin;
  r.extra_inputs_json = req.extra_inputs_json;
  r.outputs = std::move(outputs);
  r.time_taken = std::chrono::duration<double>(clock::now() - st.snap.created_at).count();
  r.timestamp = iso_now();
  if (req.wf) {
    r.warnings = req.wf->warnings;
    auto post = run_post_tasks(*req.wf, req.planned_data_json);
    if (!post.error.empty()) r.warnings.push_back(post.error);
    if (post.name) r.name = *post.name;
    if (post.description) r.description = *post.description;
    if (!post.tags.empty()) r.tags = std::move(post.tags); // what the tasks made wins over the request's
  }
  return r;
}

void on_backend_done(task_pointer self, backend_outcome& outcome) {
  auto& st = self->state;
  if (st.ended()) return;
  // Cancelling: however the job ended, the task was cancelled. Outputs that made it anyway (a
  // render that finished before it saw the cancel, an upload's file copy) are not kept.
  if (st.cancel_requested) {
    if (st.ctx.outputs)
      for (auto& o : outcome.outputs) st.ctx.outputs->remove(o.name);
    return finish(self, task_state::cancelled);
  }
  if (outcome.cancelled) return finish(self, task_state::cancelled);
  if (!outcome.ok)
    return fail(self, error_code::backend_failed, outcome.error.empty() ? "The backend failed." : outcome.error,
                outcome.details_json);
  if (outcome.outputs.empty()) return fail(self, error_code::backend_failed, "The workflow produced no output file.");
  st.snap.result = make_result(st, std::move(outcome.outputs));
  if (st.ctx.request.silent) return finish(self, task_state::completed);
  // Async: `complete` goes out only once the entry is durable in media-data.json.
  st.snap.progress.current_step = "Saving";
  self->request(st.ctx.store, std::chrono::seconds(60), atom::append::value, st.snap.result)
      .then(
          [self](std::int64_t uid, std::string& folder) {
            self->state.snap.result.uid = uid;
            self->state.snap.result.folder = std::move(folder);
            finish(self, task_state::completed);
          },
          [self](caf::error& e) {
            // The store's refusal is a failure of its own; anything else (a timeout) is rendered.
            if (e.category() == error_category) {
              self->state.snap.failure = std::move(e);
              return finish(self, task_state::failed);
            }
            fail(self, error_code::internal_failure,
                 "The result could not be stored in the gallery (" + self->system().render(e) + ").");
          });
}

void on_backend_progress(task_pointer self, const backend_progress& p) {
  auto& st = self->state;
  auto& snap = st.snap;
  // A cancelling task's last progress event said so; it waits for its end only.
  if (st.ended() || snap.state == task_state::cancelling) return;
  snap.progress.message = p.progress.message; // only the event that reports it carries it
  if (p.state == task_state::queued) {
    if (snap.state != task_state::queued && p.progress.message.empty()) return;
    if (snap.state == task_state::queued) snap.queue_position = p.queue_position;
  } else {
    if (snap.state == task_state::queued) {
      snap.state = task_state::running;
      snap.started_at = clock::now();
      self->send(st.ctx.supervisor, atom::progress::value, snap.task_id, task_state::running);
    }
    // One percentage across the whole task, never going down; 100 is kept for `complete`.
    double pct = std::min(99.0, p.progress.percentage);
    snap.progress.percentage = std::max(snap.progress.percentage, pct);
    snap.progress.current_step = p.progress.current_step;
    snap.progress.current_value = p.progress.current_value;
    snap.progress.max_value = p.progress.max_value;
  }
  publish(self, clock::now());
}

// A backend's live preview, labelled with the step of the latest progress, goes to the hub. The
// backend already rate-limited it (backend_job::preview_interval_ms); a task that did not ask,
// a silent task or one that ended or is cancelling drops it.
void on_backend_preview(task_pointer self, preview_image& image) {
  auto& st = self->state;
  if (st.ended() || st.cancel_requested || st.ctx.request.silent || !st.ctx.request.previews) return;
  task_preview p;
  p.task_id = st.snap.task_id;
  p.image = std::move(image);
  p.step = st.snap.progress.current_value;
  p.max = st.snap.progress.max_value;
  self->send(st.ctx.hub, atom::preview::value, std::move(p));
}

actor_status status_of(task_pointer self) {
  auto& st = self->state;
  task_figures f;
  f.workflow = st.ctx.request.workflow;
  f.silent = st.ctx.request.silent;
  f.percentage = st.snap.progress.percentage;
  f.queue_position = st.snap.queue_position;
  f.waiters = static_cast<std::uint64_t>(
      std::count_if(st.waiters.begin(), st.waiters.end(), [](auto& w) { return w.has_value(); }));
  f.age_seconds = std::chrono::duration<double>(clock::now() - st.snap.created_at).count();
  return make_status("task", st.snap.task_id, to_string(st.snap.state), self->mailbox().size(), f);
}

task_self_actor::behavior_type task(task_pointer self, task_context ctx) {
  auto& state = self->state;
  state.ctx = std::move(ctx);
  state.snap.task_id = state.ctx.request.task_id;
  state.snap.workflow = state.ctx.request.workflow;
  state.snap.request_origin = state.ctx.request.request_origin;
  state.snap.created_at = clock::now();
  state.snap.progress.current_step = "Queued";
  self->set_exception_handler([self](std::exception_ptr& eptr) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(eptr);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {}
    fail(self, error_code::internal_failure, "The task failed inside the server: " + what + ".");
    return caf::make_error(caf::sec::runtime_error, what);
  });
  publish(self, state.snap.created_at);
  // The supervisor has sent the job (already planned on the HTTP thread) to the backend, which
  // reports progress and the outcome here.
  return {
      [self](atom::await, std::int64_t timeout_ms) -> caf::result<task_snapshot> {
        auto& st = self->state;
        if (st.ended()) return st.snap;
        auto promise = self->make_response_promise<task_snapshot>();
        st.waiters.emplace_back(promise);
        if (timeout_ms > 0)
          self->delayed_send(self, std::chrono::milliseconds(timeout_ms), atom::internal::value, atom::await::value,
                             atom::tick::value, static_cast<std::int64_t>(st.waiters.size() - 1));
        return promise;
      },
      [self](atom::internal, atom::await, atom::tick, std::int64_t index) {
        auto& st = self->state;
        if (index < 0 || static_cast<size_t>(index) >= st.waiters.size() || !st.waiters[index]) return;
        st.waiters[index]->deliver(make_error(error_code::wait_timed_out,
                                              "The generation did not finish within the request's timeout; it goes on.",
                                              st.snap.task_id));
        st.waiters[index].reset();
      },
      [self](atom::cancel) {
        auto& st = self->state;
        if (st.ended() || st.cancel_requested) return; // a second cancel changes nothing
        st.cancel_requested = true;
        st.snap.state = task_state::cancelling;
        st.snap.progress.current_step = "Cancelling";
        st.snap.progress.message = "";
        publish(self, clock::now());
        self->send(st.ctx.supervisor, atom::progress::value, st.snap.task_id, task_state::cancelling);
        if (!st.ctx.backend) return; // an upload: its file copy ends on its own and is dropped then
        self->send(st.ctx.backend, atom::cancel::value, st.snap.task_id);
        // A backend may never confirm (ComfyUI checks interrupts only between nodes): the task
        // ends anyway; the backend removes whatever the job still produces.
        self->delayed_send(self, st.ctx.cancel_grace, atom::internal::value, atom::cancel::value, atom::tick::value);
      },
      [self](atom::internal, atom::cancel, atom::tick) {
        auto& st = self->state;
        if (st.ended()) return;
        // The backend did not confirm the stop in time (docs/OPERATIONS.md "Logs").
        std::fprintf(stderr, "warn task cancel grace over id=%s\n", st.snap.task_id.c_str());
        finish(self, task_state::cancelled);
      },
      [self](atom::progress, const backend_progress& p) { on_backend_progress(self, p); },
      [self](atom::done, backend_outcome& outcome) { on_backend_done(self, outcome); },
      [self](atom::preview, preview_image& image) { on_backend_preview(self, image); },
      [self](atom::get) { return self->state.snap; },
      [self](atom::status) { return status_of(self); },
  };
}

} // namespace

task_actor spawn_task(caf::actor_system& sys, task_context ctx, bool lazy) {
  if (lazy) return sys.spawn<caf::lazy_init>(task, std::move(ctx));
  return sys.spawn(task, std::move(ctx));
}

} // namespace mediagen
