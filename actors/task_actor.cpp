#include "actors/task_actor.hpp"

#include <algorithm>
#include <chrono>

#include <caf/all.hpp>

#include "actors/status_json.hpp"
#include "generation/clock.hpp"
#include "generation/plan.hpp"

namespace mediagen {

namespace {

using clock = std::chrono::system_clock;

struct task_state {
  task_context ctx;
  const workflow* wf = nullptr;
  /// queued → running → completed | failed | cancelled
  std::string state = "queued";
  progress_info progress;
  std::int64_t queue_position = 0;
  clock::time_point created_at = clock::now();
  clock::time_point started_at{};
  clock::time_point ended_at{};
  /// Set when the task has ended; from then on only await/get answer.
  bool ended = false;
  bool cancel_requested = false;
  generation_result result;
  std::string error;
  std::string details_json;
  int failure_status = 502;
  /// Sync callers waiting for the end; a slot is emptied once answered (timeout or end).
  std::vector<std::optional<caf::typed_response_promise<task_outcome>>> waiters;

  static inline const char* name = "task";

  task_outcome outcome() const {
    task_outcome o;
    o.task_id = ctx.task_id;
    o.state = state;
    o.result = result;
    o.error = error;
    o.details_json = details_json;
    o.http_status = state == "completed" ? 200 : state == "cancelled" ? 409 : failure_status;
    return o;
  }

  ~task_state() {
    // CAF 0.17 has no broken_promise: answer every waiter before the actor disappears.
    for (auto& w : waiters)
      if (w) {
        task_outcome o;
        o.task_id = ctx.task_id;
        o.state = "failed";
        o.http_status = 500;
        o.error = "The task ended unexpectedly.";
        w->deliver(o);
      }
  }
};

using task_pointer = task_actor::stateful_pointer<task_state>;

std::string error_json(const task_state& st) {
  std::string out = "{\"message\":" + json::quote(st.error);
  if (!st.details_json.empty()) out += ",\"details\":" + st.details_json;
  return out + "}";
}

std::string progress_json(const progress_info& p) {
  json::document d;
  progress_to_json(p, d, d.GetAllocator());
  return json::stringify(d);
}

std::string time_or_null(clock::time_point t) {
  return t == clock::time_point{} ? "null" : json::quote(iso_timestamp(t));
}

// GET /tasks/:id (docs/API.md).
std::string task_status(const task_state& st) {
  std::string out = "{\"taskId\":" + json::quote(st.ctx.task_id) + ",\"state\":" + json::quote(st.state) +
                    ",\"workflow\":" + json::quote(st.ctx.request.workflow) + ",\"requestOrigin\":" +
                    (st.ctx.request.request_origin.empty() ? "null" : json::quote(st.ctx.request.request_origin)) +
                    ",\"progress\":" +
                    progress_json(st.progress) + ",\"queuePosition\":" +
                    (st.state == "queued" ? std::to_string(st.queue_position) : "null");
  if (st.state == "completed") out += ",\"result\":" + result_to_json(st.result);
  if (st.state == "failed") out += ",\"error\":" + error_json(st);
  out += ",\"createdAt\":" + time_or_null(st.created_at) + ",\"startedAt\":" + time_or_null(st.started_at) +
         ",\"endedAt\":" + time_or_null(st.ended_at) + "}";
  return out;
}

void publish(task_pointer self, const char* event, const std::string& data, bool terminal) {
  if (self->state.ctx.request.silent) return;
  self->send(self->state.ctx.hub, atom::publish::value, self->state.ctx.task_id, std::string(event), data, terminal);
}

void publish_progress(task_pointer self) {
  auto& st = self->state;
  std::string data = "{\"taskId\":" + json::quote(st.ctx.task_id) + ",\"status\":" +
                     (st.state == "queued" ? "\"queued\"" : "\"in-progress\"") + ",\"progress\":" +
                     progress_json(st.progress);
  if (st.state == "queued") data += ",\"queuePosition\":" + std::to_string(st.queue_position);
  data += ",\"timestamp\":" + json::quote(iso_now()) + "}";
  publish(self, "progress", data, false);
}

// The one way a task ends: one terminal event, every waiter answered, the supervisor told.
void finish(task_pointer self, const std::string& final_state) {
  auto& st = self->state;
  if (st.ended) return;
  st.ended = true;
  st.state = final_state;
  st.ended_at = clock::now();
  // The uploads served this task only; they are gone before anyone hears it ended.
  if (st.ctx.inputs)
    for (auto& f : st.ctx.request.files) st.ctx.inputs->remove(f.stored_name);
  auto id = json::quote(st.ctx.task_id);
  auto ts = json::quote(iso_timestamp(st.ended_at));
  if (final_state == "completed") {
    st.progress.percentage = 100;
    st.progress.current_step = "Completed";
    publish(self, "complete",
            "{\"taskId\":" + id + ",\"status\":\"completed\",\"progress\":" + progress_json(st.progress) +
                ",\"result\":" + result_to_json(st.result) + ",\"timestamp\":" + ts + "}",
            true);
  } else if (final_state == "cancelled") {
    publish(self, "cancelled",
            "{\"taskId\":" + id + ",\"status\":\"cancelled\",\"message\":\"Generation cancelled\",\"timestamp\":" +
                ts + "}",
            true);
  } else {
    publish(self, "error-event",
            "{\"taskId\":" + id + ",\"status\":\"error\",\"error\":" + error_json(st) + ",\"timestamp\":" + ts + "}",
            true);
  }
  auto outcome = st.outcome();
  for (auto& w : st.waiters)
    if (w) {
      w->deliver(outcome);
      w.reset();
    }
  self->send(st.ctx.supervisor, atom::ended::value, st.ctx.task_id, final_state, task_status(st));
  self->quit();
}

void fail(task_pointer self, std::string error, int status, std::string details_json = {}) {
  self->state.error = std::move(error);
  self->state.failure_status = status;
  self->state.details_json = std::move(details_json);
  finish(self, "failed");
}

generation_result make_result(const task_state& st, std::vector<output_file> outputs) {
  generation_result r;
  r.task_id = st.ctx.task_id;
  r.workflow = st.ctx.request.workflow;
  r.type = !st.ctx.request.upload.empty() ? st.ctx.request.upload : st.wf && st.wf->type != "inpaint" ? st.wf->type : "image";
  r.inpaint = st.ctx.request.inpaint;
  r.inpaint_area_json = st.ctx.request.inpaint_area_json;
  r.prompt = st.ctx.request.prompt;
  r.name = st.ctx.request.name;
  r.seed = st.ctx.request.seed;
  r.description = st.ctx.request.description;
  r.tags = st.ctx.request.tags;
  r.summary = st.ctx.request.summary;
  r.orientation = st.ctx.request.orientation;
  r.request_origin = st.ctx.request.request_origin;
  r.extra_inputs_json = st.ctx.request.extra_inputs_json;
  r.outputs = std::move(outputs);
  r.time_taken = std::chrono::duration<double>(clock::now() - st.created_at).count();
  r.timestamp = iso_now();
  if (st.wf) {
    r.warnings = st.wf->warnings;
    auto post = run_post_tasks(*st.wf, st.ctx.request.planned_data_json);
    if (!post.error.empty()) r.warnings.push_back(post.error);
    if (post.name) r.name = *post.name;
    if (post.description) r.description = *post.description;
    if (!post.tags.empty()) r.tags = std::move(post.tags); // what the tasks made wins over the request's
  }
  return r;
}

void on_backend_done(task_pointer self, backend_outcome& outcome) {
  auto& st = self->state;
  if (st.ended) return;
  if (outcome.cancelled) return finish(self, "cancelled");
  // An upload has no backend to interrupt: a cancel waits for its file copy, which is then dropped.
  if (st.cancel_requested && !st.ctx.request.upload.empty()) {
    for (auto& o : outcome.outputs)
      if (st.ctx.outputs && o.url.rfind("/media/", 0) == 0) st.ctx.outputs->remove(o.url.substr(7));
    return finish(self, "cancelled");
  }
  if (!outcome.ok)
    return fail(self, outcome.error.empty() ? "The backend failed." : outcome.error,
                502, outcome.details_json);
  if (outcome.outputs.empty()) return fail(self, "The workflow produced no output file.", 502);
  st.result = make_result(st, std::move(outcome.outputs));
  if (st.ctx.request.silent) return finish(self, "completed");
  // Async: `complete` goes out only once the entry is durable in media-data.json.
  st.progress.current_step = "Saving";
  self->request(st.ctx.store, std::chrono::seconds(60), atom::append::value, st.result)
      .then([self](std::int64_t uid, std::string& folder) {
              self->state.result.uid = uid;
              self->state.result.folder = std::move(folder);
              finish(self, "completed");
            },
            [self](caf::error& e) {
              // The store's refusal is a sentence of its own; anything else (a timeout) is rendered.
              if (e.context().match_elements<std::string>()) return fail(self, e.context().get_as<std::string>(0), 500);
              fail(self, "The result could not be stored in the gallery (" + self->system().render(e) + ").", 500);
            });
}

void on_backend_progress(task_pointer self, const backend_progress& p) {
  auto& st = self->state;
  if (st.ended) return;
  if (p.state == "queued") {
    if (st.state != "queued") return;
    st.queue_position = p.queue_position;
  } else {
    if (st.state == "queued") {
      st.state = "running";
      st.started_at = clock::now();
      self->send(st.ctx.supervisor, atom::progress::value, st.ctx.task_id, std::string("running"));
    }
    // One percentage across the whole task, never going down; 100 is kept for `complete`.
    double pct = std::min(99.0, p.progress.percentage);
    st.progress.percentage = std::max(st.progress.percentage, pct);
    st.progress.current_step = p.progress.current_step;
    st.progress.current_value = p.progress.current_value;
    st.progress.max_value = p.progress.max_value;
  }
  publish_progress(self);
}

} // namespace

task_actor::behavior_type task(task_pointer self, task_context ctx) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.wf = st.ctx.catalog->find(st.ctx.request.workflow);
  st.progress.current_step = "Queued";
  self->set_exception_handler([self](std::exception_ptr& eptr) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(eptr);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    fail(self, "The task failed inside the server: " + what + ".", 500);
    return caf::make_error(caf::sec::runtime_error, what);
  });
  publish_progress(self);
  // The supervisor has sent the job (already planned on the HTTP thread) to the backend, which
  // reports progress and the outcome here.
  return {
      [self](atom::await, std::int64_t timeout_ms) -> caf::result<task_outcome> {
        auto& st = self->state;
        if (st.ended) return st.outcome();
        auto promise = self->make_response_promise<task_outcome>();
        st.waiters.emplace_back(promise);
        if (timeout_ms > 0)
          self->delayed_send(self, std::chrono::milliseconds(timeout_ms), atom::await::value, atom::tick::value,
                             static_cast<std::int64_t>(st.waiters.size() - 1));
        return promise;
      },
      [self](atom::await, atom::tick, std::int64_t index) {
        auto& st = self->state;
        if (index < 0 || static_cast<size_t>(index) >= st.waiters.size() || !st.waiters[index]) return;
        task_outcome o;
        o.task_id = st.ctx.task_id;
        o.state = "timeout";
        o.http_status = 504;
        o.error = "The generation did not finish within the request's timeout; it goes on.";
        st.waiters[index]->deliver(o);
        st.waiters[index].reset();
      },
      [self](atom::cancel) {
        auto& st = self->state;
        if (st.ended || st.cancel_requested) return;
        st.cancel_requested = true;
        if (st.ctx.backend) self->send(st.ctx.backend, atom::cancel::value, st.ctx.task_id);
      },
      [self](atom::progress, const backend_progress& p) { on_backend_progress(self, p); },
      [self](atom::done, backend_outcome& outcome) { on_backend_done(self, outcome); },
      [self](atom::get) { return task_status(self->state); },
      [self](atom::status) {
        auto& st = self->state;
        return status_json("task", st.ctx.task_id)
            .add("state", st.state)
            .add("workflow", st.ctx.request.workflow)
            .add("silent", st.ctx.request.silent)
            .add("mailbox", static_cast<std::uint64_t>(self->mailbox().size()))
            .add("percentage", st.progress.percentage)
            .add("queuePosition", st.queue_position)
            .add("waiters", static_cast<std::uint64_t>(
                                std::count_if(st.waiters.begin(), st.waiters.end(), [](auto& w) { return w.has_value(); })))
            .add("ageSeconds", std::chrono::duration<double>(clock::now() - st.created_at).count())
            .str();
      },
  };
}

task_actor spawn_task(caf::actor_system& sys, task_context ctx, bool lazy) {
  if (lazy) return sys.spawn<caf::lazy_init>(task, std::move(ctx));
  return sys.spawn(task, std::move(ctx));
}

} // namespace mediagen
