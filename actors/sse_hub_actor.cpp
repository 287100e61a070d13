#include "actors/sse_hub_actor.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/status_json.hpp"

namespace mediagen {

namespace {

/// One task's event log and who follows it.
struct task_log {
  std::vector<std::string> frames;          ///< frame n has id n + 1
  std::vector<sse_queue_ptr> subscribers;
  bool ended = false;
  std::chrono::steady_clock::time_point ended_at;
};

struct sse_hub_state {
  sse_hub_settings settings;
  /// Task id → its log, from `open` until retention after its terminal event.
  std::unordered_map<std::string, task_log> logs;
  /// Ended tasks, oldest first: retention drops from the front, and so does the count cap.
  std::deque<std::string> ended_order;
  /// Open streams across all tasks.
  std::size_t subscribers = 0;
  /// Events published, and subscribers dropped for falling behind.
  std::uint64_t events = 0;
  std::uint64_t dropped_slow = 0;
  bool closing = false;

  static inline const char* name = "sse_hub";

  /// Streams must end with the hub, or their HTTP threads would wait on them forever.
  ~sse_hub_state() {
    for (auto& entry : logs)
      for (auto& q : entry.second.subscribers) q->close();
  }
};

using hub_pointer = sse_hub_actor::stateful_pointer<sse_hub_state>;

void remove_subscriber(sse_hub_state& st, task_log& log, const sse_queue_ptr& q) {
  auto it = std::find(log.subscribers.begin(), log.subscribers.end(), q);
  if (it == log.subscribers.end()) return;
  log.subscribers.erase(it);
  --st.subscribers;
}

void close_log(sse_hub_state& st, task_log& log) {
  for (auto& q : log.subscribers) q->close();
  st.subscribers -= log.subscribers.size();
  log.subscribers.clear();
}

} // namespace

sse_hub_actor::behavior_type sse_hub(hub_pointer self, sse_hub_settings settings) {
  self->state.settings = settings;
  self->delayed_send(self, std::chrono::seconds(5), atom::tick::value);
  return {
      [self](atom::open, const std::string& task_id) { self->state.logs.emplace(task_id, task_log{}); },
      [self](atom::publish, const std::string& task_id, const std::string& event, const std::string& data,
             bool terminal) {
        auto& st = self->state;
        auto it = st.logs.find(task_id);
        if (it == st.logs.end() || it->second.ended) return;
        auto& log = it->second;
        log.frames.push_back(format_sse_frame(static_cast<std::int64_t>(log.frames.size()) + 1, event, data));
        ++st.events;
        const std::string& frame = log.frames.back();
        for (auto q = log.subscribers.begin(); q != log.subscribers.end();) {
          if ((*q)->push(frame)) {
            ++q;
          } else { // a slow consumer: cut it off rather than buffer without bound
            (*q)->close();
            q = log.subscribers.erase(q);
            --st.subscribers;
            ++st.dropped_slow;
          }
        }
        if (terminal) {
          log.ended = true;
          log.ended_at = std::chrono::steady_clock::now();
          close_log(st, log);
          st.ended_order.push_back(task_id);
          // Retention is by time, but never more than max_retained logs: a burst cannot make
          // memory grow without bound.
          while (st.ended_order.size() > st.settings.max_retained) {
            st.logs.erase(st.ended_order.front());
            st.ended_order.pop_front();
          }
        }
      },
      [self](atom::subscribe, const std::string& task_id, std::int64_t last_event_id, sse_queue_ptr q) {
        auto& st = self->state;
        auto it = st.logs.find(task_id);
        if (it == st.logs.end()) return 404;
        auto& log = it->second;
        // Nothing follows the client's last event and nothing ever will: 204, which tells a
        // browser's EventSource to stop reconnecting (HTML standard, "server-sent events").
        if (log.ended && last_event_id >= static_cast<std::int64_t>(log.frames.size())) return 204;
        bool full = log.subscribers.size() >= st.settings.max_subscribers_per_task ||
                    st.subscribers >= st.settings.max_subscribers_total;
        if (full && !log.ended) return 503;
        auto first = static_cast<std::size_t>(std::max<std::int64_t>(0, last_event_id));
        for (auto i = first; i < log.frames.size(); ++i) q->push(log.frames[i]);
        if (log.ended || st.closing) {
          q->close();
        } else {
          log.subscribers.push_back(std::move(q));
          ++st.subscribers;
        }
        return 200;
      },
      [self](atom::unsub, const std::string& task_id, const sse_queue_ptr& q) {
        auto it = self->state.logs.find(task_id);
        if (it != self->state.logs.end()) remove_subscriber(self->state, it->second, q);
      },
      [self](atom::close_all) {
        self->state.closing = true;
        for (auto& [id, log] : self->state.logs) close_log(self->state, log);
      },
      [self](atom::tick) {
        auto& st = self->state;
        auto now = std::chrono::steady_clock::now();
        while (!st.ended_order.empty()) {
          auto it = st.logs.find(st.ended_order.front());
          if (it != st.logs.end() && now - it->second.ended_at < st.settings.retention) break;
          if (it != st.logs.end()) st.logs.erase(it);
          st.ended_order.pop_front();
        }
        self->delayed_send(self, std::chrono::seconds(5), atom::tick::value);
      },
      [self](atom::status) {
        auto& st = self->state;
        std::uint64_t ended = 0, frames = 0;
        for (auto& [id, log] : st.logs) {
          ended += log.ended;
          frames += log.frames.size();
        }
        return status_json("sse_hub", "sse_hub")
            .add("state", st.closing ? "closing" : "running")
            .add("mailbox", static_cast<std::uint64_t>(self->mailbox().size()))
            .add("tasks", static_cast<std::uint64_t>(st.logs.size()))
            .add("endedTasks", ended)
            .add("storedEvents", frames)
            .add("subscribers", static_cast<std::uint64_t>(st.subscribers))
            .add("eventsPublished", st.events)
            .add("droppedSlowSubscribers", st.dropped_slow)
            .str();
      },
  };
}

sse_hub_actor spawn_sse_hub(caf::actor_system& sys, sse_hub_settings settings) {
  return sys.spawn(sse_hub, settings);
}

} // namespace mediagen
