// Several ComfyUI instances behind one backend handle: each task goes to the
// healthy instance with the fewest queued plus running tasks, and a task whose instance dies
// before it made outputs goes to another healthy one (`retries` times at most).

#include "actors/comfyui_backend_actor.hpp"

#include <cstdio>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>

#include "actors/comfyui_instance.hpp"

namespace mediagen {

namespace {

struct member {
  backend_actor handle; // the instance's public side: its internal messages are its own
  std::string url;
  bool healthy = true;
  std::size_t load = 0; ///< tasks sent there and not yet finished
};

struct pool_state {
  std::vector<member> members;
  std::unordered_map<std::string, std::size_t> owner;         ///< task id → member index
  std::size_t retries = 1;                                    ///< resubmissions a task may have
  std::unordered_map<std::string, std::size_t> resubmissions; ///< task id → how often it moved
  /// Tasks cancelled while with the pool: a lost job of one of these is not resubmitted (the
  /// cancel may have reached the instance after it had let the job go).
  std::unordered_set<std::string> cancelled;
  std::uint64_t resubmitted = 0;

  static inline const char* name = "comfyui_pool";
};

using pool_pointer = comfyui_pool_actor::stateful_pointer<pool_state>;

// The healthy member with the least load; when none is healthy, the least loaded of all, so
// the task fails fast with the instance's own error instead of waiting for nothing.
std::size_t pick(const pool_state& st) {
  std::size_t best = st.members.size();
  for (bool healthy_only : {true, false}) {
    for (std::size_t i = 0; i < st.members.size(); ++i) {
      if (healthy_only && !st.members[i].healthy) continue;
      if (best == st.members.size() || st.members[i].load < st.members[best].load) best = i;
    }
    if (best != st.members.size()) return best;
  }
  return 0;
}

// The healthy member other than `except` with the least load; none = members.size().
std::size_t pick_other(const pool_state& st, std::size_t except) {
  std::size_t best = st.members.size();
  for (std::size_t i = 0; i < st.members.size(); ++i) {
    if (i == except || !st.members[i].healthy) continue;
    if (best == st.members.size() || st.members[i].load < st.members[best].load) best = i;
  }
  return best;
}

void place(pool_pointer self, std::size_t i, backend_job job, task_actor task) {
  auto& st = self->state;
  ++st.members[i].load;
  st.owner[job.task_id] = i;
  self->send(st.members[i].handle, atom::run::value, std::move(job), std::move(task));
}

// The task no longer counts against the member it was on.
void release(pool_state& st, const std::string& task_id) {
  auto it = st.owner.find(task_id);
  if (it == st.owner.end()) return;
  if (st.members[it->second].load > 0) --st.members[it->second].load;
  st.owner.erase(it);
}

// Member `from` died under the job (no outputs yet): another healthy member runs it, or the
// task fails with one sentence saying why none could.
void resubmit(pool_pointer self, std::size_t from, backend_job& job, task_actor& task, const std::string& reason) {
  auto& st = self->state;
  const std::string id = job.task_id;
  release(st, id);
  if (st.cancelled.erase(id)) {
    st.resubmissions.erase(id);
    backend_outcome o;
    o.cancelled = true;
    return self->send(task, atom::done::value, o);
  }
  std::size_t used = st.resubmissions[id];
  std::size_t to = used < st.retries ? pick_other(st, from) : st.members.size();
  if (to == st.members.size()) {
    st.resubmissions.erase(id);
    backend_outcome o;
    if (st.retries == 0)
      o.error = reason + ", and resubmitting to another instance is turned off.";
    else if (used >= st.retries)
      o.error = reason + ", and it was resubmitted " + std::to_string(used) + " time" + (used == 1 ? "" : "s") +
                " already.";
    else
      o.error = reason + ", and no other healthy ComfyUI instance can take it.";
    return self->send(task, atom::done::value, std::move(o));
  }
  st.resubmissions[id] = used + 1;
  ++st.resubmitted;
  std::string from_url = from < st.members.size() ? st.members[from].url : "?";
  std::fprintf(stderr, "warn comfyui task resubmitted task=%s from=%s to=%s\n", id.c_str(), from_url.c_str(),
               st.members[to].url.c_str());
  // One progress event says so; the task keeps its state, step and percentage (a queued
  // report leaves a running task running, and carries only the message to it).
  backend_progress p;
  p.state = task_state::queued;
  p.progress.message = "ComfyUI instance " + from_url + " lost; resubmitted to " + st.members[to].url + ".";
  self->send(task, atom::progress::value, p);
  place(self, to, std::move(job), std::move(task));
}

} // namespace

comfyui_pool_actor::behavior_type comfyui_pool(pool_pointer self, comfyui_settings settings) {
  self->state.retries = settings.retries;
  for (std::size_t i = 0; i < settings.urls.size(); ++i) {
    comfyui_instance_settings s;
    s.url = settings.urls[i];
    s.index = static_cast<std::int64_t>(i);
    s.pool = self;
    s.outputs = settings.outputs;
    s.inputs = settings.inputs;
    s.worker_threads = settings.worker_threads;
    s.history_poll = settings.history_poll;
    s.health_interval = settings.health_interval;
    auto handle = spawn_comfyui_instance(self->system(), s);
    self->link_to(handle); // the instances live and die with the pool
    self->state.members.push_back(member{handle, s.url});
  }
  return {
      [self](atom::run, backend_job& job, task_actor& task) {
        if (self->state.members.empty())
          return self->send(task, atom::done::value,
                            backend_outcome{false, false, "No ComfyUI instance is configured.", "", {}});
        place(self, pick(self->state), std::move(job), std::move(task));
      },
      [self](atom::cancel, const std::string& task_id) {
        auto& st = self->state;
        auto it = st.owner.find(task_id);
        if (it == st.owner.end()) return;
        st.cancelled.insert(task_id);
        self->send(st.members[it->second].handle, atom::cancel::value, task_id);
      },
      [self](atom::finished, const std::string& task_id) {
        auto& st = self->state;
        release(st, task_id);
        st.resubmissions.erase(task_id);
        st.cancelled.erase(task_id);
      },
      [self](atom::lost, std::int64_t index, backend_job& job, task_actor& task, const std::string& reason) {
        resubmit(self, static_cast<std::size_t>(index), job, task, reason);
      },
      [self](atom::health, std::int64_t index, bool healthy) {
        if (index >= 0 && static_cast<std::size_t>(index) < self->state.members.size())
          self->state.members[static_cast<std::size_t>(index)].healthy = healthy;
      },
      [self](atom::status) -> caf::result<actor_status> {
        // The pool's own figures are the sums of its instances' statuses, gathered without blocking.
        auto rp = self->make_response_promise<actor_status>();
        auto& st = self->state;
        auto status = std::make_shared<actor_status>();
        status->kind = "backend";
        status->id = "comfyui";
        status->mailbox = self->mailbox().size();
        status->parts.resize(st.members.size());
        bool any_healthy = false;
        for (auto& m : st.members) any_healthy |= m.healthy;
        status->state = any_healthy ? "running" : "unhealthy";
        auto remaining = std::make_shared<std::size_t>(st.members.size());
        auto finish = [rp, status, any_healthy, resubmitted = st.resubmitted]() mutable {
          backend_figures sum;
          sum.resubmitted = resubmitted;
          sum.backend = "comfyui-pool";
          sum.healthy = any_healthy;
          for (auto& part : status->parts)
            if (auto* f = caf::get_if<backend_figures>(&part.figures)) {
              sum.queued += f->queued;
              sum.running += f->running;
              sum.submitted += f->submitted;
              sum.completed += f->completed;
              sum.failed += f->failed;
              sum.cancelled += f->cancelled;
              sum.frees += f->frees;
              sum.lost += f->lost;
              sum.round_trip_seconds += f->round_trip_seconds;
            }
          status->figures = sum;
          rp.deliver(std::move(*status));
        };
        if (st.members.empty()) {
          finish();
          return rp;
        }
        for (std::size_t i = 0; i < st.members.size(); ++i) {
          std::string url = st.members[i].url;
          self->request(st.members[i].handle, std::chrono::seconds(2), atom::status::value)
              .then(
                  [=](actor_status& s) mutable {
                    status->parts[i] = std::move(s);
                    if (--*remaining == 0) finish();
                  },
                  [=](caf::error&) mutable {
                    backend_figures f;
                    f.backend = "comfyui";
                    f.url = url;
                    f.healthy = false;
                    status->parts[i] = make_status("backend", "comfyui-" + std::to_string(i), "unreachable", 0, f);
                    if (--*remaining == 0) finish();
                  });
        }
        return rp;
      },
  };
}

comfyui_pool_actor spawn_comfyui_backend(caf::actor_system& sys, comfyui_settings settings) {
  return sys.spawn(comfyui_pool, std::move(settings));
}

} // namespace mediagen
