#include "actors/builtin_backend_actor.hpp"

#include <atomic>
#include <map>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/preview_throttle.hpp"
#include "backends/builtin/graph_executor.hpp"
#include "backends/builtin/image_codec.hpp"
#include "backends/job_queue.hpp"
#include "backends/worker_pool.hpp"
#include "common/json.hpp"
#include "persistence/atomic_file.hpp"

namespace mediagen {

namespace {

/// How a render ended, as the worker tells the actor.
enum class render_end : std::uint8_t { completed, failed, cancelled };

/// The backend's full interface: the public one plus what its worker threads report.
using builtin_self_actor = backend_actor::extend<
    /// From a worker: the render of this task's job ended so.
    caf::reacts_to<atom::internal, atom::finished, std::string, render_end>>;

struct waiting_job {
  backend_job job;
  task_actor task;
  std::chrono::steady_clock::time_point queued_at = std::chrono::steady_clock::now();
};

struct running_job {
  task_actor task;
  std::shared_ptr<std::atomic<bool>> cancel_requested;
  std::chrono::steady_clock::time_point queued_at;
};

struct builtin_backend_state {
  builtin_backend_settings settings;
  /// Renders run here, never on CAF's scheduler.
  std::unique_ptr<worker_pool> pool;
  /// Jobs not yet handed to a worker: higher priorities first, each in arrival order.
  job_queue<waiting_job, priority_levels> waiting;
  /// Jobs on a worker, by task id.
  std::unordered_map<std::string, running_job> running;
  /// Renders ended, by how.
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  std::uint64_t cancelled = 0;
  /// Jobs cancelled before a worker took them.
  std::uint64_t cancelled_while_queued = 0;
  /// Seconds from `run` to the end of the render, summed over finished jobs (for /metrics).
  double round_trip_seconds = 0;

  static inline const char* name = "builtin_backend";

  ~builtin_backend_state() {
    // Queued jobs will never run: tell their tasks, so nobody waits forever.
    waiting.for_each([](waiting_job& w) {
      backend_outcome o;
      o.cancelled = true;
      caf::anon_send(w.task, atom::done::value, o);
    });
    for (auto& entry : running) entry.second.cancel_requested->store(true);
    pool.reset(); // joins the workers once their (now cancelled) renders return
  }
};

using backend_pointer = builtin_self_actor::stateful_pointer<builtin_backend_state>;

/// One percentage across the whole graph, each node weighted by the steps it takes (a node
/// with a `steps` input, such as ProceduralImage, counts that many; any other node counts one),
/// so the bar moves with the work rather than jumping from node to node.
class weighted_progress {
public:
  explicit weighted_progress(const std::string& graph_json) {
    json::document graph;
    if (!json::parse(graph_json, graph).empty() || !graph.IsObject()) return;
    for (auto& node : graph.GetObject()) {
      double w = 1;
      if (auto* inputs = json::member(node.value, "inputs"))
        if (auto steps = json::get_number(*inputs, "steps"); steps && *steps >= 1) w = *steps;
      weight_[node.name.GetString()] = w;
      total_ += w;
    }
  }

  progress_info update(const builtin::node_progress& p) {
    if (p.node_id != current_) {
      done_ += current_weight_;
      current_ = p.node_id;
      auto it = weight_.find(p.node_id);
      current_weight_ = it == weight_.end() ? 1 : it->second;
    }
    progress_info out;
    double fraction = static_cast<double>(p.value) / std::max(1, p.max);
    out.percentage = total_ > 0 ? 100.0 * std::min(1.0, (done_ + current_weight_ * fraction) / total_) : 0;
    out.current_step = p.title;
    out.current_value = p.value;
    out.max_value = p.max;
    return out;
  }

private:
  std::map<std::string, double> weight_;
  double total_ = 0;
  double done_ = 0;
  std::string current_;
  double current_weight_ = 0;
};

void report_position(const waiting_job& w, std::size_t position) {
  backend_progress p;
  p.state = task_state::queued;
  p.queue_position = static_cast<std::int64_t>(position);
  p.progress.current_step = "Queued";
  caf::anon_send(w.task, atom::progress::value, p);
}

// Runs on a worker thread: the render, its progress, and the outcome to the task.
void render(backend_job job, task_actor task, builtin_self_actor backend, builtin_backend_settings settings,
            std::shared_ptr<std::atomic<bool>> cancel_requested) {
  builtin::execution_context ctx;
  ctx.cancel_requested = cancel_requested.get();
  weighted_progress progress(job.graph_json);
  ctx.on_progress = [&](const builtin::node_progress& p) {
    backend_progress bp;
    bp.state = task_state::running;
    bp.progress = progress.update(p);
    caf::anon_send(task, atom::progress::value, bp);
  };
  ctx.save_output = [&](const std::string& prefix, const std::string& ext, const std::string& bytes) {
    return settings.outputs->save_new(prefix, ext, bytes);
  };
  ctx.load_input = [&](const std::string& name) {
    std::string bytes;
    if (!storage::plain_name(name) || !read_whole_file(settings.inputs_dir + "/" + name, bytes))
      throw std::runtime_error("input file '" + name + "' is not available");
    return bytes;
  };
  // Previews only when the job asked: the throttle is asked before any pixel is coloured.
  preview_throttle previews(std::chrono::milliseconds(job.preview_interval_ms));
  if (previews.enabled()) {
    ctx.preview_due = [&] { return previews.due(); };
    ctx.on_preview = [&](const builtin::image& picture) {
      try {
        caf::anon_send(task, atom::preview::value, preview_image{"image/jpeg", builtin::encode_preview_jpeg(picture)});
      } catch (const std::exception&) {
        // A preview that cannot be encoded is skipped; the render goes on.
      }
    };
  }
  auto result = builtin::execute_graph(job.graph_json, ctx);
  backend_outcome outcome;
  outcome.ok = result.ok;
  outcome.cancelled = result.cancelled;
  outcome.error = result.error;
  for (auto& f : result.outputs) outcome.outputs.push_back(output_file{f.filename, f.kind, f.bytes});
  // Cancelled after its last check: the task may have ended (cancel grace over) and could not
  // remove these any more; a cancelled job reports no outputs.
  if (cancel_requested->load() && !outcome.cancelled) {
    for (auto& o : outcome.outputs) settings.outputs->remove(o.name);
    outcome = backend_outcome{};
    outcome.cancelled = true;
  }
  auto end = outcome.cancelled ? render_end::cancelled : outcome.ok ? render_end::completed : render_end::failed;
  caf::anon_send(task, atom::done::value, std::move(outcome));
  caf::anon_send(backend, atom::internal::value, atom::finished::value, job.task_id, end);
}

void dispatch(backend_pointer self) {
  auto& st = self->state;
  bool moved = false;
  while (st.running.size() < st.settings.workers && !st.waiting.empty()) {
    auto next = st.waiting.pop();
    auto flag = std::make_shared<std::atomic<bool>>(false);
    st.running.emplace(next.job.task_id, running_job{next.task, flag, next.queued_at});
    builtin_self_actor me = self;
    st.pool->post([job = std::move(next.job), task = next.task, me, settings = st.settings, flag]() mutable {
      render(std::move(job), std::move(task), std::move(me), std::move(settings), std::move(flag));
    });
    moved = true;
  }
  if (moved) st.waiting.visit_from(0, queue_positions_reported, report_position);
}

} // namespace

builtin_self_actor::behavior_type builtin_backend(backend_pointer self, builtin_backend_settings settings) {
  self->state.settings = settings;
  // Renders are CPU-bound: below the HTTP threads' priority (docs/DESIGN.md "Connections").
  self->state.pool = std::make_unique<worker_pool>(settings.workers, settings.render_nice, "mg-render");
  return {
      [self](atom::run, backend_job& job, task_actor& task) {
        auto& st = self->state;
        auto level = rank(job.priority);
        auto position = st.waiting.push(level, waiting_job{std::move(job), std::move(task)});
        if (st.running.size() < st.settings.workers) return dispatch(self);
        // The new job and the ones it went ahead of (only those near it: a burst must not cost
        // a message per waiting job) hear their positions.
        st.waiting.visit_from(position, queue_positions_reported + 1, report_position);
      },
      [self](atom::cancel, const std::string& task_id) {
        auto& st = self->state;
        if (auto it = st.running.find(task_id); it != st.running.end()) {
          it->second.cancel_requested->store(true);
          return;
        }
        bool removed = st.waiting.remove_first([&](const waiting_job& w) { return w.job.task_id == task_id; },
                                               [&](waiting_job& w) {
                                                 backend_outcome o;
                                                 o.cancelled = true;
                                                 self->send(w.task, atom::done::value, o);
                                               });
        if (removed) ++st.cancelled_while_queued;
      },
      [self](atom::internal, atom::finished, const std::string& task_id, render_end end) {
        auto& st = self->state;
        if (auto it = st.running.find(task_id); it != st.running.end())
          st.round_trip_seconds +=
              std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.queued_at).count();
        st.running.erase(task_id);
        if (end == render_end::completed)
          ++st.completed;
        else if (end == render_end::failed)
          ++st.failed;
        else
          ++st.cancelled;
        dispatch(self);
      },
      [self](atom::status) {
        auto& st = self->state;
        backend_figures f;
        f.backend = "builtin";
        f.workers = st.settings.workers;
        f.running = st.running.size();
        f.queued = st.waiting.size();
        f.completed = st.completed;
        f.failed = st.failed;
        f.cancelled = st.cancelled;
        f.cancelled_while_queued = st.cancelled_while_queued;
        f.round_trip_seconds = st.round_trip_seconds;
        return make_status("backend", "builtin", "running", self->mailbox().size(), f);
      },
  };
}

backend_actor spawn_builtin_backend(caf::actor_system& sys, builtin_backend_settings settings) {
  return sys.spawn(builtin_backend, std::move(settings));
}

} // namespace mediagen
