#include "actors/sse_hub_actor.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/retention.hpp"

namespace mediagen {

namespace {

/// The hub's full interface: the public one plus its retention timer.
using sse_hub_self_actor = sse_hub_actor::extend<caf::reacts_to<atom::internal, atom::tick>>;

/// One task's event log and who follows it.
struct task_log {
  std::vector<sse_frame> frames; ///< frame n has id n + 1
  /// The live preview since the last event (null: none since, or ended). Not part of the
  /// log: a late subscriber gets this one only, after the replayed events.
  sse_frame latest_preview;
  std::vector<sse_queue_ptr> subscribers;
  bool ended = false;
};

struct sse_hub_data {
  sse_hub_settings settings;
  /// Task id → its log, from `open` until retention after its terminal event.
  std::unordered_map<std::string, task_log> logs;
  /// Ended tasks, oldest first: retention and the count cap drop from the front.
  retention_queue ended_order{std::chrono::seconds(300), 100000};
  /// Open streams across all tasks.
  std::size_t subscribers = 0;
  /// Events published, and subscribers dropped for falling behind.
  std::uint64_t events = 0;
  std::uint64_t dropped_slow = 0;
  /// Previews fanned out (each replaced the task's latest).
  std::uint64_t previews = 0;
  bool closing = false;

  static inline const char* name = "sse_hub";

  /// Streams must end with the hub, or their connections would stay open forever.
  ~sse_hub_data() {
    for (auto& entry : logs)
      for (auto& q : entry.second.subscribers) q->close();
  }
};

using hub_pointer = sse_hub_self_actor::stateful_pointer<sse_hub_data>;

void remove_subscriber(sse_hub_data& st, task_log& log, const sse_queue_ptr& q) {
  auto it = std::find(log.subscribers.begin(), log.subscribers.end(), q);
  if (it == log.subscribers.end()) return;
  log.subscribers.erase(it);
  --st.subscribers;
}

void close_log(sse_hub_data& st, task_log& log) {
  for (auto& q : log.subscribers) q->close();
  st.subscribers -= log.subscribers.size();
  log.subscribers.clear();
}

void publish(sse_hub_data& st, const task_event& event) {
  const std::string& task_id = event.task.task_id;
  auto it = st.logs.find(task_id);
  if (it == st.logs.end() || it->second.ended) return;
  auto& log = it->second;
  log.frames.push_back(
      std::make_shared<const std::string>(st.settings.render(static_cast<std::int64_t>(log.frames.size()) + 1, event)));
  ++st.events;
  const sse_frame& frame = log.frames.back();
  // The stored preview showed the step before this event; a late subscriber replaying the log
  // must not get it after this one (a live follower saw it before). The next preview follows.
  log.latest_preview.reset();
  for (auto q = log.subscribers.begin(); q != log.subscribers.end();) {
    if ((*q)->push(frame)) {
      ++q;
    } else { // a slow consumer: cut it off rather than buffer without bound
      (*q)->drop();
      q = log.subscribers.erase(q);
      --st.subscribers;
      ++st.dropped_slow;
    }
  }
  if (has_ended(event.task.state)) {
    log.ended = true;
    close_log(st, log);
    st.ended_order.add(task_id, std::chrono::steady_clock::now(), [&st](const std::string& id) { st.logs.erase(id); });
  }
}

void publish_preview(sse_hub_data& st, const task_preview& preview) {
  auto it = st.logs.find(preview.task_id);
  if (it == st.logs.end() || it->second.ended || !st.settings.render_preview) return;
  auto& log = it->second;
  log.latest_preview = std::make_shared<const std::string>(st.settings.render_preview(preview));
  ++st.previews;
  // Never a reason to drop a stream: a full queue just skips it (sse_queue::offer_preview).
  for (auto& q : log.subscribers) q->offer_preview(log.latest_preview);
}

actor_status status_of(hub_pointer self) {
  auto& st = self->state;
  sse_hub_figures f;
  for (auto& [id, log] : st.logs) {
    f.ended_tasks += log.ended;
    f.stored_events += log.frames.size();
  }
  f.tasks = st.logs.size();
  f.subscribers = st.subscribers;
  f.events_published = st.events;
  f.dropped_slow = st.dropped_slow;
  f.previews_published = st.previews;
  return make_status("sse_hub", "sse_hub", st.closing ? "closing" : "running", self->mailbox().size(), f);
}

sse_hub_self_actor::behavior_type sse_hub(hub_pointer self, sse_hub_settings settings) {
  auto& state = self->state;
  state.settings = std::move(settings);
  state.ended_order = retention_queue{state.settings.retention, state.settings.max_retained};
  self->delayed_send(self, retention_queue::sweep_interval, atom::internal::value, atom::tick::value);
  return {
      [self](atom::open, const std::string& task_id) { self->state.logs.emplace(task_id, task_log{}); },
      [self](atom::publish, const task_event& event) { publish(self->state, event); },
      [self](atom::preview, const task_preview& preview) { publish_preview(self->state, preview); },
      [self](atom::subscribe, const std::string& task_id, std::int64_t last_event_id) -> caf::result<sse_queue_ptr> {
        auto& st = self->state;
        auto it = st.logs.find(task_id);
        if (it == st.logs.end())
          return make_error(error_code::unknown_task, "Task '" + task_id + "' not found or expired.");
        auto& log = it->second;
        // Nothing follows the client's last event and nothing ever will (http/ answers 204, which
        // tells a browser's EventSource to stop reconnecting: HTML standard, "server-sent events").
        if (log.ended && last_event_id >= static_cast<std::int64_t>(log.frames.size()))
          return make_error(error_code::stream_finished, "Task '" + task_id + "' has ended; no event follows.");
        bool full = log.subscribers.size() >= st.settings.max_subscribers_per_task ||
                    st.subscribers >= st.settings.max_subscribers_total;
        if (full && !log.ended)
          return make_error(error_code::too_many_streams, "Too many event streams are open; try again later.");
        auto q = std::make_shared<sse_queue>(st.settings.queue_capacity);
        auto first = static_cast<std::size_t>(std::max<std::int64_t>(0, last_event_id));
        for (auto i = first; i < log.frames.size(); ++i) q->push(log.frames[i]);
        if (log.ended || st.closing) {
          q->close();
        } else {
          if (log.latest_preview) q->offer_preview(log.latest_preview);
          log.subscribers.push_back(q);
          ++st.subscribers;
        }
        return q;
      },
      [self](atom::unsub, const std::string& task_id, const sse_queue_ptr& q) {
        auto it = self->state.logs.find(task_id);
        if (it != self->state.logs.end()) remove_subscriber(self->state, it->second, q);
      },
      [self](atom::close_all) {
        self->state.closing = true;
        for (auto& [id, log] : self->state.logs) close_log(self->state, log);
      },
      [self](atom::internal, atom::tick) {
        auto& st = self->state;
        st.ended_order.expire(std::chrono::steady_clock::now(), [&st](const std::string& id) { st.logs.erase(id); });
        self->delayed_send(self, retention_queue::sweep_interval, atom::internal::value, atom::tick::value);
      },
      [self](atom::status) { return status_of(self); },
  };
}

} // namespace

sse_hub_actor spawn_sse_hub(caf::actor_system& sys, sse_hub_settings settings) {
  if (!settings.render) throw std::invalid_argument("sse_hub_settings.render is required");
  return sys.spawn(sse_hub, std::move(settings));
}

} // namespace mediagen
