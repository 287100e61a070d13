#include "actors/supervisor_actor.hpp"

#include <deque>
#include <random>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/status_json.hpp"
#include "actors/task_actor.hpp"
#include "actors/upload_job.hpp"
#include "generation/clock.hpp"

namespace mediagen {

namespace {

/// A task that has not ended yet.
struct live_task {
  task_actor handle;
  std::string workflow;
  std::string state = "queued"; ///< queued | running (as the task reported)
  bool silent = false;
};

/// An ended task, kept for GET /tasks/:id until retention ends.
struct ended_task {
  std::string state;
  std::string status_json;
  std::chrono::steady_clock::time_point ended_at;
};

struct supervisor_state {
  supervisor_settings settings;
  std::unordered_map<std::string, live_task> live;
  std::unordered_map<caf::actor_addr, std::string> id_of; ///< monitored address → task id
  std::unordered_map<std::string, ended_task> ended;
  std::deque<std::string> ended_order;                    ///< for retention, oldest first
  std::size_t queued = 0;                                 ///< live tasks not yet running
  std::uint64_t started = 0, refused = 0, completed = 0, failed = 0, cancelled = 0;
  bool shutting_down = false;
  std::optional<caf::typed_response_promise<bool>> shutdown_done;

  static inline const char* name = "supervisor";

  ~supervisor_state() {
    if (shutdown_done) shutdown_done->deliver(false);
  }
};

using supervisor_pointer = supervisor_actor::stateful_pointer<supervisor_state>;

// Admission: the answer for a request that may not start, or 0.
int refusal(supervisor_state& st) {
  if (st.shutting_down) return 503;
  if (st.queued >= st.settings.max_queued_tasks) return 429;
  return 0;
}

std::string refusal_text(int status) {
  return status == 503 ? "The server is shutting down." : "Too many tasks are waiting; try again shortly.";
}

// Spawns the task. The job goes to its backend from here, the one place requests pass in the
// order they were accepted, so backends see tasks first come, first served (tasks spawned one
// after another may initialize in any order on CAF's threads). `before_run` is called between
// the spawn and the job's hand-off: a sync request's await must reach the task first.
template <class BeforeRun>
task_actor start_task(supervisor_pointer self, const generation_request& req, std::string& id, BeforeRun before_run) {
  auto& st = self->state;
  id = req.task_id.empty() || st.live.count(req.task_id) || st.ended.count(req.task_id) ? st.settings.new_task_id()
                                                                                      : req.task_id;
  const workflow* wf = st.settings.catalog->find(req.workflow);
  // An upload runs no backend: its job is storing its file (actors/upload_job.hpp).
  bool upload = !req.upload.empty();
  backend_actor backend = upload ? backend_actor{}
                          : wf && wf->backend == "comfyui" ? st.settings.comfyui : st.settings.builtin;
  task_context ctx;
  ctx.task_id = id;
  ctx.backend = backend;
  ctx.request = req;
  ctx.catalog = st.settings.catalog;
  ctx.hub = st.settings.hub;
  ctx.store = st.settings.store;
  ctx.supervisor = self;
  ctx.inputs = st.settings.inputs;
  ctx.outputs = st.settings.outputs;
  if (st.settings.journal) st.settings.journal->started(id, req.workflow);
  // The hub learns of the task before the client does, so a subscribe never precedes it.
  if (!req.silent) self->send(st.settings.hub, atom::open::value, id);
  // A silent (sync) task is lazy: the await delegated to it is its first message, so it cannot
  // finish before anyone waits for it, however the threads are scheduled.
  auto task = spawn_task(self->system(), std::move(ctx), req.silent);
  self->monitor(task);
  st.id_of.emplace(task.address(), id);
  st.live.emplace(id, live_task{task, req.workflow, "queued", req.silent});
  ++st.queued;
  ++st.started;
  before_run(task);
  if (!upload)
    self->send(backend, atom::run::value, backend_job{id, wf ? wf->base : "", req.graph_json, req.files}, task);
  else if (st.settings.upload_workers && st.settings.outputs && !req.files.empty())
    post_upload_job(*st.settings.upload_workers, st.settings.inputs, st.settings.outputs, req.files.front(),
                    req.upload, task);
  else
    self->send(task, atom::done::value, backend_outcome{false, false, "This server does not take uploads.", "", {}});
  return task;
}

void task_ended(supervisor_pointer self, const std::string& id, const std::string& state, std::string status) {
  auto& st = self->state;
  auto it = st.live.find(id);
  if (it == st.live.end()) return;
  if (it->second.state == "queued") --st.queued;
  std::fprintf(stderr, "%s task ended id=%s workflow=%s state=%s\n", state == "failed" ? "warn" : "info", id.c_str(),
               json::quote(it->second.workflow).c_str(), state.c_str());
  st.id_of.erase(it->second.handle.address());
  st.live.erase(it);
  if (state == "completed") ++st.completed;
  else if (state == "cancelled") ++st.cancelled;
  else ++st.failed;
  st.ended[id] = ended_task{state, std::move(status), std::chrono::steady_clock::now()};
  st.ended_order.push_back(id);
  while (st.ended_order.size() > st.settings.max_retained) {
    st.ended.erase(st.ended_order.front());
    st.ended_order.pop_front();
  }
  if (auto& journal = st.settings.journal) {
    journal->ended(id, state);
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

// Asks every live task `question` (get or status) and calls `done` with the JSON answers once
// all replied; a task that ends meanwhile is left out.
template <class Question, class Done>
void ask_every_task(supervisor_pointer self, Question question, Done done) {
  auto& st = self->state;
  if (st.live.empty()) return done(std::vector<std::string>{});
  auto answers = std::make_shared<std::vector<std::string>>();
  auto remaining = std::make_shared<std::size_t>(st.live.size());
  auto one_more = [answers, remaining, done]() mutable {
    if (--*remaining == 0) done(std::move(*answers));
  };
  for (auto& [id, t] : st.live)
    self->request(t.handle, std::chrono::seconds(2), question)
        .then([answers, one_more](std::string& s) mutable {
                answers->push_back(std::move(s));
                one_more();
              },
              [one_more](caf::error&) mutable { one_more(); });
}

} // namespace

supervisor_actor::behavior_type supervisor(supervisor_pointer self, supervisor_settings settings) {
  self->state.settings = std::move(settings);
  if (!self->state.settings.new_task_id) self->state.settings.new_task_id = random_task_id;
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.id_of.find(dm.source);
    if (it == st.id_of.end()) return;
    // A task that died without reporting its end: its stream still gets one terminal event.
    std::string id = it->second;
    bool silent = st.live.count(id) && st.live[id].silent;
    std::string error = "The task ended unexpectedly (" + self->system().render(dm.reason) + ").";
    if (!silent)
      self->send(st.settings.hub, atom::publish::value, id, std::string("error-event"),
                 "{\"taskId\":" + json::quote(id) + ",\"status\":\"error\",\"error\":{\"message\":" +
                     json::quote(error) + "},\"timestamp\":" + json::quote(iso_now()) + "}",
                 true);
    task_ended(self, id, "failed",
               "{\"taskId\":" + json::quote(id) + ",\"state\":\"failed\",\"error\":{\"message\":" + json::quote(error) + "}}");
  });
  // Tasks a crash left unfinished answer GET /tasks/:id as `lost` until retention ends.
  for (auto& t : self->state.settings.lost) {
    self->state.ended[t.id] = ended_task{
        "lost",
        "{\"taskId\":" + json::quote(t.id) + ",\"state\":\"lost\",\"workflow\":" + json::quote(t.workflow) +
            ",\"error\":{\"message\":\"The server stopped while this task was queued or running.\"}}",
        std::chrono::steady_clock::now()};
    self->state.ended_order.push_back(t.id);
  }
  self->delayed_send(self, std::chrono::seconds(5), atom::tick::value);
  return {
      [self](atom::start, const generation_request& req) {
        start_answer answer;
        if (int status = refusal(self->state)) {
          ++self->state.refused;
          answer.http_status = status;
          answer.error = refusal_text(status);
          return answer;
        }
        start_task(self, req, answer.task_id, [](const task_actor&) {});
        answer.accepted = true;
        return answer;
      },
      [self](atom::start, atom::await, const generation_request& req) -> caf::result<task_outcome> {
        if (int status = refusal(self->state)) {
          ++self->state.refused;
          task_outcome o;
          o.state = "refused";
          o.http_status = status;
          o.error = refusal_text(status);
          return o;
        }
        std::string id;
        caf::delegated<task_outcome> answer;
        // The task answers the waiting HTTP thread itself: one hop instead of two.
        start_task(self, req, id, [&](const task_actor& task) { answer = self->delegate(task, atom::await::value, req.timeout_ms); });
        return answer;
      },
      [self](atom::get, const std::string& id) -> caf::result<std::string> {
        auto& st = self->state;
        if (auto it = st.live.find(id); it != st.live.end()) {
          // Not delegated: a task that just ended may be gone before the request reaches it. Its
          // `ended` report was sent before it quit, so by the time the error comes back here the
          // final status is in `ended`.
          auto rp = self->make_response_promise<std::string>();
          self->request(it->second.handle, std::chrono::seconds(10), atom::get::value)
              .then([rp](std::string& status) mutable { rp.deliver(std::move(status)); },
                    [self, rp, id](caf::error&) mutable {
                      auto ended = self->state.ended.find(id);
                      rp.deliver(ended == self->state.ended.end() ? std::string() : ended->second.status_json);
                    });
          return rp;
        }
        if (auto it = st.ended.find(id); it != st.ended.end()) return it->second.status_json;
        return std::string();
      },
      [self](atom::cancel, const std::string& id) {
        auto& st = self->state;
        if (id == "*") { // the shutdown grace period is over
          for (auto& entry : st.live) self->send(entry.second.handle, atom::cancel::value);
          return 202;
        }
        if (auto it = st.live.find(id); it != st.live.end()) {
          self->send(it->second.handle, atom::cancel::value);
          return 202;
        }
        return st.ended.count(id) ? 409 : 404;
      },
      [self](atom::list) {
        auto rp = self->make_response_promise<std::string>();
        // GET /generation/tasks/active: each live task's own status, reshaped.
        ask_every_task(self, atom::get::value, [rp](std::vector<std::string> statuses) mutable {
          std::string out = "[";
          for (auto& text : statuses) {
            json::document d;
            if (!json::parse(text, d).empty()) continue;
            if (out.size() > 1) out += ",";
            out += "{\"taskId\":" + json::stringify(d["taskId"]) + ",\"workflow\":" + json::stringify(d["workflow"]) +
                   ",\"requestOrigin\":" + json::stringify(d["requestOrigin"]) + ",\"state\":" + json::stringify(d["state"]) + ",\"progress\":" + json::stringify(d["progress"]) + "}";
          }
          rp.deliver(out + "]");
        });
        return rp;
      },
      [self](atom::ended, const std::string& id, const std::string& state, std::string& status) {
        task_ended(self, id, state, std::move(status));
      },
      [self](atom::progress, const std::string& id, const std::string& state) {
        auto& st = self->state;
        auto it = st.live.find(id);
        if (it == st.live.end() || it->second.state == state) return;
        if (it->second.state == "queued") --st.queued;
        it->second.state = state;
      },
      [self](atom::tick) {
        auto& st = self->state;
        auto now = std::chrono::steady_clock::now();
        while (!st.ended_order.empty()) {
          auto it = st.ended.find(st.ended_order.front());
          if (it != st.ended.end() && now - it->second.ended_at < st.settings.retention) break;
          if (it != st.ended.end()) st.ended.erase(it);
          st.ended_order.pop_front();
        }
        self->delayed_send(self, std::chrono::seconds(5), atom::tick::value);
      },
      [self](atom::shutdown, std::int64_t grace_seconds) -> caf::result<bool> {
        auto& st = self->state;
        st.shutting_down = true;
        if (st.live.empty()) return true;
        // Queued tasks would only start during the grace period: they are cancelled now.
        for (auto& entry : st.live)
          if (entry.second.state == "queued") self->send(entry.second.handle, atom::cancel::value);
        auto rp = self->make_response_promise<bool>();
        st.shutdown_done = rp;
        // Tasks still running when the grace period ends are cancelled (one `cancelled` each).
        caf::delayed_anon_send(supervisor_actor{self}, std::chrono::seconds(grace_seconds), atom::cancel::value, std::string("*"));
        return rp;
      },
      [self](atom::status) {
        auto& st = self->state;
        return status_json("supervisor", "supervisor")
            .add("state", st.shutting_down ? "shutting-down" : "running")
            .add("mailbox", static_cast<std::uint64_t>(self->mailbox().size()))
            .add("live", static_cast<std::uint64_t>(st.live.size()))
            .add("queued", static_cast<std::uint64_t>(st.queued))
            .add("running", static_cast<std::uint64_t>(st.live.size() - st.queued))
            .add("retainedEnded", static_cast<std::uint64_t>(st.ended.size()))
            .add("started", st.started)
            .add("refused", st.refused)
            .add("completed", st.completed)
            .add("failed", st.failed)
            .add("cancelled", st.cancelled)
            .str();
      },
      [self](atom::list, atom::status) -> caf::result<std::vector<std::string>> {
        auto rp = self->make_response_promise<std::vector<std::string>>();
        ask_every_task(self, atom::status::value, [rp](std::vector<std::string> statuses) mutable {
          rp.deliver(std::move(statuses));
        });
        return rp;
      },
  };
}

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
