// One ComfyUI instance as an actor: its WebSocket (opened at start, reconnected with back-off),
// its prompts, its progress, its health. Blocking HTTP runs on the instance's worker threads.

#include "actors/comfyui_instance.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/comfyui_jobs.hpp"
#include "actors/preview_throttle.hpp"
#include "backends/comfyui/instance_client.hpp"
#include "backends/comfyui/prompt_id.hpp"
#include "backends/job_queue.hpp"
#include "backends/worker_pool.hpp"
#include "common/json.hpp"

namespace mediagen {

namespace {

/// Share of the task's percentage before the graph runs (uploads, submit) and after (fetching).
constexpr double submit_share = 5, fetch_share = 10;

/// Prompts whose /history each poll checks. ComfyUI runs its queue in order, so the oldest are
/// the ones that can have finished; polling every prompt would cost a request per queued
/// prompt per tick.
constexpr std::size_t prompts_polled = 4;

/// Prompts we keep in ComfyUI's own queue at once: the one it runs and the next, so it never
/// idles between prompts. ComfyUI runs its queue first come, first served (`front` would put a
/// prompt ahead, but the latest `front` first), so every other job waits in our queue, where a
/// higher priority can still go ahead of it.
constexpr std::size_t prompts_in_comfyui = 2;

/// Polls in a row that found a prompt neither queued nor in the history before the job counts
/// as lost. One miss is not enough: ComfyUI writes the history just after the prompt leaves
/// the queue's running slot on some versions (and the fake's history_delay_ms models that).
constexpr int vanished_polls = 3;

/// A preview frame past this is dropped unread. ComfyUI's own previews are JPEGs of at most
/// 512 px (a few tens of KiB); anything near this is not a preview a browser should get.
constexpr std::size_t max_preview_frame_bytes = 4 * 1024 * 1024;

struct comfy_job {
  backend_job job;
  task_actor task;
  std::uint64_t sequence = 0; ///< submission order on this instance
  std::chrono::steady_clock::time_point received_at = std::chrono::steady_clock::now();
  std::string prompt_id; ///< set once ComfyUI accepted the prompt
  /// held: in our queue, not yet sent; submitting … running: ComfyUI has it; fetching: it is done.
  enum class stage { held, submitting, waiting, running, fetching } at = stage::held;
  bool cancel_requested = false;
  /// ComfyUI reported files of an output node (`executed`): they exist only on that instance,
  /// so the job is not resubmitted elsewhere if the instance dies now.
  bool produced_outputs = false;
  int vanished = 0;                          ///< consecutive polls that found the prompt nowhere
  std::map<std::string, std::string> titles; ///< node id → _meta.title, else class_type
  std::set<std::string> done_nodes;          ///< executed or cached
  std::string current_node;
  double percentage = 0;
  preview_throttle previews; ///< off unless the job asked for previews
};

struct instance_state {
  comfyui_instance_settings settings;
  /// Our clientId, the HTTP API and the socket; shared with the workers that call it.
  std::shared_ptr<comfyui::instance_client> client;
  /// Submissions (uploads, /free, /prompt) run one at a time, in arrival order, so ComfyUI
  /// queues prompts in our order and each /free precedes the prompt it was decided for.
  std::unique_ptr<worker_pool> submitter;
  /// Every other blocking call (/history, /view, /interrupt, /queue, /system_stats) runs here.
  std::unique_ptr<worker_pool> pool;
  std::unordered_map<std::string, comfy_job> jobs;        ///< by task id
  std::unordered_map<std::string, std::string> by_prompt; ///< prompt id → task id
  /// Task ids of the held jobs: higher priorities first, each in arrival order.
  job_queue<std::string, priority_levels> held;
  /// Jobs ComfyUI has (submitting, waiting or running): at most prompts_in_comfyui.
  std::size_t in_comfyui = 0;
  /// Whether any job here wants previews; the socket thread reads it to skip every binary frame
  /// (no copy, no message) when none does.
  std::shared_ptr<std::atomic<bool>> previews_wanted = std::make_shared<std::atomic<bool>>(false);
  std::string running_prompt; ///< last prompt seen executing (frames of older servers lack ids)
  std::string last_base;      ///< the workflow last sent here (a change frees VRAM first)
  std::uint64_t next_sequence = 0;
  bool healthy = true;
  bool connected = false;
  std::string health_detail;
  std::uint64_t submitted = 0, completed = 0, failed = 0, cancelled = 0, frees = 0;
  std::uint64_t lost = 0; ///< jobs handed back to the pool because this instance died under them
  /// Seconds from `run` to the job's end, summed over ended jobs (for /metrics).
  double round_trip_seconds = 0;

  static inline const char* name = "comfyui_instance";

  ~instance_state() {
    if (client) client->stop(); // no more frames
    submitter.reset();          // joins the workers (their messages to a dead actor are dropped)
    pool.reset();
    for (auto& [id, j] : jobs) {
      backend_outcome o;
      o.cancelled = true;
      caf::anon_send(j.task, atom::done::value, o);
    }
  }
};

using instance_pointer = comfyui_instance_actor::stateful_pointer<instance_state>;

void update_previews_wanted(instance_state& st) {
  bool any = std::any_of(st.jobs.begin(), st.jobs.end(), [](auto& entry) { return entry.second.previews.enabled(); });
  st.previews_wanted->store(any, std::memory_order_relaxed);
}

std::map<std::string, std::string> node_titles(const std::string& graph_json) {
  std::map<std::string, std::string> out;
  json::document g;
  if (!json::parse(graph_json, g).empty() || !g.IsObject()) return out;
  for (auto& node : g.GetObject()) {
    std::string title;
    if (auto* meta = json::member(node.value, "_meta")) title = json::get_string(*meta, "title").value_or("");
    if (title.empty()) title = json::get_string(node.value, "class_type").value_or(node.name.GetString());
    out[node.name.GetString()] = title;
  }
  return out;
}

void report(instance_pointer self, comfy_job& j, double within_node = 0, std::int64_t value = 0, std::int64_t max = 0) {
  double graph = 100 - submit_share - fetch_share;
  double nodes = std::max<std::size_t>(1, j.titles.size());
  double pct = submit_share;
  if (j.at == comfy_job::stage::fetching)
    pct = 100 - fetch_share;
  else if (j.at == comfy_job::stage::running)
    pct += graph * std::min(1.0, (static_cast<double>(j.done_nodes.size()) + within_node) / nodes);
  // One percentage across the whole task, never going down.
  j.percentage = std::max(j.percentage, pct);
  backend_progress p;
  p.state = j.at == comfy_job::stage::waiting || j.at == comfy_job::stage::submitting ? task_state::queued
                                                                                      : task_state::running;
  p.progress.percentage = j.percentage;
  p.progress.current_step = j.at == comfy_job::stage::fetching ? "Fetching outputs"
                            : j.current_node.empty()           ? "Queued in ComfyUI"
                                                               : j.titles[j.current_node];
  p.progress.current_value = value;
  p.progress.max_value = max;
  if (p.state == task_state::queued) p.progress.current_step = "Queued";
  self->send(j.task, atom::progress::value, p);
}

/// True while ComfyUI has the job (it counts against prompts_in_comfyui).
bool holds_slot(const comfy_job& j) { return j.at != comfy_job::stage::held && j.at != comfy_job::stage::fetching; }

void submit_held(instance_pointer self);

// `task_id` is a copy: callers pass the job's own id, and the job is erased before the pool is told.
void finish(instance_pointer self, std::string task_id, backend_outcome outcome) {
  auto& st = self->state;
  auto it = st.jobs.find(task_id);
  if (it == st.jobs.end()) return;
  if (holds_slot(it->second)) --st.in_comfyui;
  if (outcome.cancelled)
    ++st.cancelled;
  else if (outcome.ok)
    ++st.completed;
  else
    ++st.failed;
  st.round_trip_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.received_at).count();
  self->send(it->second.task, atom::done::value, std::move(outcome));
  if (!it->second.prompt_id.empty()) st.by_prompt.erase(it->second.prompt_id);
  st.jobs.erase(it);
  update_previews_wanted(st);
  if (st.settings.pool) self->send(st.settings.pool, atom::finished::value, task_id);
  submit_held(self);
}

backend_outcome cancelled_outcome() {
  backend_outcome o;
  o.cancelled = true;
  return o;
}

// This instance died under a job that has no outputs yet: the pool gives it to another
// instance (or fails the task). `reason` is the first part of a sentence, without its period.
void lose(instance_pointer self, std::string task_id, const std::string& reason) {
  auto& st = self->state;
  auto it = st.jobs.find(task_id);
  if (it == st.jobs.end()) return;
  if (!st.settings.pool) {
    backend_outcome o;
    o.error = reason + ".";
    return finish(self, task_id, o);
  }
  ++st.lost;
  std::fprintf(stderr, "warn comfyui job lost url=%s task=%s reason=%s\n", st.settings.url.c_str(), task_id.c_str(),
               json::quote(reason).c_str());
  st.round_trip_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.received_at).count();
  if (holds_slot(it->second)) --st.in_comfyui;
  if (!it->second.prompt_id.empty()) st.by_prompt.erase(it->second.prompt_id);
  auto job = std::move(it->second.job);
  auto task = std::move(it->second.task);
  st.jobs.erase(it);
  self->send(st.settings.pool, atom::lost::value, st.settings.index, std::move(job), std::move(task), reason);
  submit_held(self);
}

void start_fetch(instance_pointer self, comfy_job& j) {
  if (j.at == comfy_job::stage::fetching) return;
  if (holds_slot(j)) --self->state.in_comfyui;
  j.at = comfy_job::stage::fetching;
  report(self, j);
  auto client = self->state.client;
  auto outputs = self->state.settings.outputs;
  comfyui_instance_actor me = self;
  self->state.pool->post([client, outputs, me, task_id = j.job.task_id, prompt_id = j.prompt_id] {
    auto outcome = fetch_job_outputs(client->api(), prompt_id,
                                     [&](const std::string& prefix, const std::string& ext, const std::string& bytes) {
                                       return outputs->save_new(prefix, ext, bytes);
                                     });
    caf::anon_send(me, atom::internal::value, atom::fetched::value, task_id, std::move(outcome));
  });
  // ComfyUI is done with this prompt: the next one may go.
  submit_held(self);
}

// The job a frame is about: by its prompt_id, else (older servers) the one running now.
comfy_job* job_of(instance_pointer self, const std::optional<std::string>& prompt_id) {
  auto& st = self->state;
  const std::string& pid = prompt_id ? *prompt_id : st.running_prompt;
  auto it = st.by_prompt.find(pid);
  if (it == st.by_prompt.end()) return nullptr;
  auto job = st.jobs.find(it->second);
  return job == st.jobs.end() ? nullptr : &job->second;
}

void on_frame(instance_pointer self, const comfyui::ws_frame& frame) {
  auto& st = self->state;
  auto pid = comfyui::frame_prompt_id(frame);
  if (auto* start = std::get_if<comfyui::execution_start_frame>(&frame); start && start->prompt_id)
    st.running_prompt = *start->prompt_id;
  if (auto* ex = std::get_if<comfyui::executing_frame>(&frame); ex && ex->prompt_id && ex->node)
    st.running_prompt = *ex->prompt_id;
  comfy_job* j = job_of(self, pid);
  if (!j || j->at == comfy_job::stage::fetching) return;
  if (auto end = comfyui::ends_prompt(frame, j->prompt_id)) {
    switch (*end) {
      case comfyui::prompt_end::success:
      case comfyui::prompt_end::finished: return start_fetch(self, *j);
      case comfyui::prompt_end::error: {
        auto& e = std::get<comfyui::execution_error_frame>(frame);
        return finish(self, j->job.task_id, execution_failure(e));
      }
      case comfyui::prompt_end::interrupted: {
        if (j->cancel_requested) return finish(self, j->job.task_id, cancelled_outcome());
        backend_outcome o;
        o.error = "ComfyUI interrupted the prompt.";
        return finish(self, j->job.task_id, o);
      }
    }
  }
  std::visit(
      [&](const auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, comfyui::execution_start_frame>) {
          j->at = comfy_job::stage::running;
          report(self, *j);
        } else if constexpr (std::is_same_v<T, comfyui::execution_cached_frame>) {
          j->at = comfy_job::stage::running;
          for (auto& n : f.nodes) j->done_nodes.insert(n);
          report(self, *j);
        } else if constexpr (std::is_same_v<T, comfyui::executing_frame>) {
          if (!f.node) return;
          j->at = comfy_job::stage::running;
          if (!j->current_node.empty()) j->done_nodes.insert(j->current_node);
          j->current_node = *f.node;
          report(self, *j);
        } else if constexpr (std::is_same_v<T, comfyui::progress_frame>) {
          j->at = comfy_job::stage::running;
          if (f.node && *f.node != j->current_node) {
            if (!j->current_node.empty()) j->done_nodes.insert(j->current_node);
            j->current_node = *f.node;
          }
          double within = f.max > 0 ? f.value / f.max : 0;
          report(self, *j, within, static_cast<std::int64_t>(f.value), static_cast<std::int64_t>(f.max));
        } else if constexpr (std::is_same_v<T, comfyui::executed_frame>) {
          j->done_nodes.insert(f.node);
          for (auto& file : f.files) j->produced_outputs |= file.type == "output";
          report(self, *j);
        }
      },
      frame);
}

void submit(instance_pointer self, comfy_job& j) {
  auto& st = self->state;
  submit_request request;
  request.job = j.job;
  request.client_id = st.client->client_id();
  request.prompt_id = comfyui::new_uuid_v4();
  request.free_first = !st.last_base.empty() && st.last_base != j.job.workflow_base;
  if (request.free_first) ++st.frees;
  st.last_base = j.job.workflow_base;
  request.inputs_folder = st.settings.inputs ? st.settings.inputs->folder() : "";
  auto client = st.client;
  comfyui_instance_actor me = self;
  st.submitter->post([client, me, request = std::move(request)] {
    // Frames go to the socket that is open when the prompt is queued: open it first if we can.
    client->wait_connected(std::chrono::seconds(3));
    auto outcome = submit_job(client->api(), request);
    caf::anon_send(me, atom::internal::value, atom::submitted::value, request.job.task_id, std::move(outcome));
  });
}

void report_position(instance_pointer self, const std::string& task_id, std::size_t position) {
  auto it = self->state.jobs.find(task_id);
  if (it == self->state.jobs.end()) return;
  backend_progress p;
  p.state = task_state::queued;
  p.queue_position = static_cast<std::int64_t>(position);
  p.progress.current_step = "Queued";
  self->send(it->second.task, atom::progress::value, p);
}

// Sends held jobs to ComfyUI while it has fewer than prompts_in_comfyui of ours; the jobs still
// held near the head hear their new positions (the ones ComfyUI has are ahead of them).
void submit_held(instance_pointer self) {
  auto& st = self->state;
  bool moved = false;
  while (st.in_comfyui < prompts_in_comfyui && !st.held.empty()) {
    auto it = st.jobs.find(st.held.pop());
    if (it == st.jobs.end()) continue;
    it->second.at = comfy_job::stage::submitting;
    it->second.sequence = st.next_sequence++;
    ++st.in_comfyui;
    submit(self, it->second);
    moved = true;
  }
  if (moved)
    st.held.visit_from(0, queue_positions_reported,
                       [&](const std::string& id, std::size_t i) { report_position(self, id, st.in_comfyui + i); });
}

// Deletes a prompt from ComfyUI's queue and interrupts it in case it already runs (/interrupt
// with a prompt_id acts only on that prompt when it is the running one).
void stop_prompt(instance_pointer self, const std::string& prompt_id) {
  auto client = self->state.client;
  self->state.pool->post([client, prompt_id] {
    client->api().queue_delete({prompt_id});
    client->api().interrupt(prompt_id);
  });
}

// The instance stopped answering: its queued and running prompts will never report. Those
// without outputs go back to the pool to run elsewhere; the others fail now (fetches already
// under way fail on their own).
void fail_unreachable_jobs(instance_pointer self, const std::string& detail) {
  // Held jobs were never sent here: they go back to the pool first, so that losing the others
  // (which frees their places) does not send them to this instance. Their ids left in `held`
  // are skipped, as the jobs are gone.
  std::vector<std::string> held, lost;
  for (auto& [id, j] : self->state.jobs) {
    if (j.at == comfy_job::stage::held) held.push_back(id);
    if (j.at == comfy_job::stage::waiting || j.at == comfy_job::stage::running) lost.push_back(id);
  }
  for (auto& id : held) {
    if (self->state.jobs[id].cancel_requested)
      finish(self, id, cancelled_outcome());
    else
      lose(self, id,
           "ComfyUI at " + self->state.settings.url + " stopped answering before the task was sent (" + detail + ")");
  }
  for (auto& id : lost) {
    auto& j = self->state.jobs[id];
    std::string reason = "ComfyUI at " + self->state.settings.url + " stopped answering while running the task (" +
                         detail + ")";
    if (j.cancel_requested) {
      finish(self, id, cancelled_outcome());
    } else if (j.produced_outputs) {
      backend_outcome o;
      o.error = reason + ", after its outputs were made there.";
      finish(self, id, o);
    } else {
      lose(self, id, reason);
    }
  }
}

void probe_health(instance_pointer self) {
  auto client = self->state.client;
  comfyui_instance_actor me = self;
  self->state.pool->post([client, me] {
    auto stats = client->api().system_stats();
    caf::anon_send(me, atom::internal::value, atom::health::value, stats.ok, stats.ok ? std::string() : stats.error);
  });
}

} // namespace

comfyui_instance_actor::behavior_type comfyui_instance(instance_pointer self, comfyui_instance_settings settings) {
  auto& state = self->state;
  state.settings = std::move(settings);
  state.submitter = std::make_unique<worker_pool>(1);
  state.pool = std::make_unique<worker_pool>(state.settings.worker_threads);
  comfyui_instance_actor handle = self;
  // The socket opens now, before the first submit, and reconnects with back-off on its own.
  state.client = std::make_shared<comfyui::instance_client>(
      state.settings.url,
      [handle](const comfyui::ws_frame& f) { caf::anon_send(handle, atom::internal::value, atom::ws::value, f); },
      [handle](bool up, const std::string& detail) {
        caf::anon_send(handle, atom::internal::value, atom::ws::value, up, detail);
      });
  // Preview frames are parsed on the socket thread, and only while a job wants them.
  state.client->set_binary_callback([handle, wanted = state.previews_wanted](std::string_view bytes) {
    if (!wanted->load(std::memory_order_relaxed)) return;
    auto parsed = comfyui::parse_preview_frame(bytes, max_preview_frame_bytes);
    if (parsed.status == comfyui::preview_status::ok)
      caf::anon_send(handle, atom::internal::value, atom::preview::value, std::move(parsed.frame));
  });
  state.client->start();
  probe_health(self);
  self->delayed_send(self, state.settings.health_interval, atom::internal::value, atom::health::value);
  self->delayed_send(self, state.settings.history_poll, atom::internal::value, atom::history::value);
  return {
      [self](atom::run, backend_job& job, task_actor& task) {
        auto& st = self->state;
        auto id = job.task_id;
        comfy_job j;
        j.titles = node_titles(job.graph_json);
        j.previews = preview_throttle(std::chrono::milliseconds(job.preview_interval_ms));
        j.job = std::move(job);
        j.task = std::move(task);
        auto level = rank(j.job.priority);
        st.jobs.emplace(id, std::move(j));
        update_previews_wanted(st);
        auto position = st.held.push(level, id);
        if (st.in_comfyui < prompts_in_comfyui) {
          report_position(self, id, st.in_comfyui);
          return submit_held(self);
        }
        // The new job and the ones it went ahead of (only those near it) hear their positions.
        st.held.visit_from(position, queue_positions_reported + 1, [&](const std::string& held_id, std::size_t i) {
          report_position(self, held_id, st.in_comfyui + i);
        });
      },
      [self](atom::internal, atom::submitted, const std::string& task_id, submit_outcome& outcome) {
        auto& st = self->state;
        auto it = st.jobs.find(task_id);
        if (it == st.jobs.end()) return;
        auto& j = it->second;
        if (!outcome.ok) {
          if (j.cancel_requested) return finish(self, task_id, cancelled_outcome());
          // No answer at all: the instance is down, another one may take the job.
          if (outcome.unreachable)
            return lose(self, task_id,
                        "ComfyUI at " + st.settings.url + " could not take the task (" + outcome.error + ")");
          backend_outcome o;
          o.error = outcome.error;
          o.details = outcome.details;
          return finish(self, task_id, o);
        }
        ++st.submitted;
        j.prompt_id = outcome.prompt_id;
        st.by_prompt[j.prompt_id] = task_id;
        if (j.cancel_requested) {
          stop_prompt(self, j.prompt_id);
          return finish(self, task_id, cancelled_outcome());
        }
        j.at = comfy_job::stage::waiting;
      },
      [self](atom::internal, atom::ws, comfyui::ws_frame& frame) { on_frame(self, frame); },
      [self](atom::internal, atom::preview, comfyui::preview_frame& frame) {
        // Types 1/2 name no prompt: they are the running prompt's (job_of), as in ComfyUI's UI.
        comfy_job* j = job_of(self, frame.prompt_id);
        if (!j || j->at != comfy_job::stage::running || !j->previews.due()) return;
        self->send(j->task, atom::preview::value, preview_image{std::move(frame.mime), std::move(frame.image)});
      },
      [self](atom::internal, atom::ws, bool up, const std::string& detail) {
        self->state.connected = up;
        if (!up) {
          self->state.health_detail = detail;
          // A dropped socket is often a dead instance: probe now rather than at the next tick,
          // so its jobs move to another instance within a round trip.
          probe_health(self);
        }
      },
      [self](atom::internal, atom::history) {
        // The slow poll beside the socket: a silent or dropped socket cannot hang a task.
        auto& st = self->state;
        std::vector<const comfy_job*> open;
        for (auto& [id, j] : st.jobs)
          if (j.at == comfy_job::stage::waiting || j.at == comfy_job::stage::running) open.push_back(&j);
        std::sort(open.begin(), open.end(), [](auto* a, auto* b) { return a->sequence < b->sequence; });
        if (open.size() > prompts_polled) open.resize(prompts_polled);
        auto client = st.client;
        comfyui_instance_actor me = self;
        for (auto* j : open)
          st.pool->post([client, me, task_id = j->job.task_id, pid = j->prompt_id] {
            caf::anon_send(me, atom::internal::value, atom::history::value, task_id, locate_prompt(client->api(), pid));
          });
        self->delayed_send(self, st.settings.history_poll, atom::internal::value, atom::history::value);
      },
      [self](atom::internal, atom::history, const std::string& task_id, prompt_whereabouts where) {
        auto& st = self->state;
        auto it = st.jobs.find(task_id);
        if (it == st.jobs.end()) return;
        auto& j = it->second;
        if (j.at != comfy_job::stage::waiting && j.at != comfy_job::stage::running) return;
        if (where == prompt_whereabouts::finished) return start_fetch(self, j);
        if (where != prompt_whereabouts::vanished) {
          j.vanished = 0;
          return;
        }
        if (++j.vanished < vanished_polls) return;
        // It forgot the prompt (restarted, queue cleared): nothing will ever come for it.
        std::string reason = "ComfyUI at " + st.settings.url + " lost prompt " + j.prompt_id +
                             " (neither queued nor in its history)";
        if (j.cancel_requested) return finish(self, task_id, cancelled_outcome());
        if (!j.produced_outputs) return lose(self, task_id, reason);
        backend_outcome o;
        o.error = reason + ".";
        finish(self, task_id, o);
      },
      [self](atom::internal, atom::fetched, const std::string& task_id, backend_outcome& outcome) {
        auto& st = self->state;
        auto it = st.jobs.find(task_id);
        if (it != st.jobs.end() && it->second.cancel_requested) {
          // The task was cancelled (and may have ended at its grace period): its late outputs
          // are removed, never reported.
          if (st.settings.outputs)
            for (auto& o : outcome.outputs) st.settings.outputs->remove(o.name);
          outcome = cancelled_outcome();
        }
        finish(self, task_id, std::move(outcome));
      },
      [self](atom::cancel, const std::string& task_id) {
        auto& st = self->state;
        auto it = st.jobs.find(task_id);
        if (it == st.jobs.end()) return;
        auto& j = it->second;
        j.cancel_requested = true;
        auto client = st.client;
        switch (j.at) {
          case comfy_job::stage::held: // never sent: only our queue knows it
            st.held.remove_first([&](const std::string& held_id) { return held_id == task_id; }, [](std::string&) {});
            return finish(self, task_id, cancelled_outcome());
          case comfy_job::stage::submitting: return; // handled when the submit answers
          case comfy_job::stage::waiting:
            // As far as we saw it waits in ComfyUI's queue, but an idle ComfyUI starts a prompt at
            // once and a quiet socket tells us nothing: stop it either way. No frame will come.
            stop_prompt(self, j.prompt_id);
            return finish(self, task_id, cancelled_outcome());
          case comfy_job::stage::running:
            // Running: interrupt that prompt; execution_interrupted (or /history) ends the job,
            // unless the instance is unreachable and nothing will ever come.
            st.pool->post([client, pid = j.prompt_id] { client->api().interrupt(pid); });
            if (!st.healthy) finish(self, task_id, cancelled_outcome());
            return;
          case comfy_job::stage::fetching: return; // it is done; the outputs are on their way
        }
      },
      [self](atom::internal, atom::health) {
        probe_health(self);
        self->delayed_send(self, self->state.settings.health_interval, atom::internal::value, atom::health::value);
      },
      [self](atom::internal, atom::health, bool ok, const std::string& detail) {
        auto& st = self->state;
        if (!ok) st.health_detail = detail;
        if (ok == st.healthy) return;
        st.healthy = ok;
        if (!ok) fail_unreachable_jobs(self, detail);
        std::fprintf(stderr, "%s comfyui health changed url=%s healthy=%s reason=%s\n", ok ? "info" : "warn",
                     st.settings.url.c_str(), ok ? "true" : "false", json::quote(detail).c_str());
        if (st.settings.pool) self->send(st.settings.pool, atom::health::value, st.settings.index, ok);
      },
      [self](atom::status) {
        auto& st = self->state;
        backend_figures f;
        f.backend = "comfyui";
        f.url = st.settings.url;
        f.healthy = st.healthy;
        f.detail = st.health_detail;
        f.socket_connected = st.connected;
        for (auto& [id, j] : st.jobs) (j.at == comfy_job::stage::running ? f.running : f.queued) += 1;
        f.submitted = st.submitted;
        f.completed = st.completed;
        f.failed = st.failed;
        f.cancelled = st.cancelled;
        f.frees = st.frees;
        f.lost = st.lost;
        f.round_trip_seconds = st.round_trip_seconds;
        f.client_id = st.client->client_id();
        f.socket = st.client->socket_stats();
        return make_status("backend", "comfyui-" + std::to_string(st.settings.index),
                           st.healthy ? "running" : "unhealthy", self->mailbox().size(), f);
      },
  };
}

backend_actor spawn_comfyui_instance(caf::actor_system& sys, comfyui_instance_settings settings) {
  return sys.spawn(comfyui_instance, std::move(settings));
}

} // namespace mediagen
