#include "actors/webhook_actor.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include <caf/all.hpp>

#include "backends/webhook/webhook_post.hpp"

namespace mediagen {

namespace {

using clock = std::chrono::system_clock;

/// The actor's full interface: its public one plus what its timers and its workers send.
using webhook_self_actor = webhook_actor::extend<
    /// Timer: message `id` is due for another attempt.
    caf::reacts_to<atom::internal, atom::tick, std::string>,
    /// From a worker: how the attempt for message `id` went (status, error).
    caf::reacts_to<atom::internal, atom::deliver, std::string, int, std::string>>;

/// One message and where it is in its life.
struct message_entry {
  webhook_message msg;
  webhook_url url;
  webhook_event event = webhook_event::complete;
  webhook_state state = webhook_state::pending;
  bool in_flight = false;
  bool waiting = false;     ///< in its host's queue for a free slot
  wall_time next_attempt{}; ///< a retry's due time
};

struct webhook_data {
  webhook_settings settings;
  /// Message id → its entry, from the event until `max_kept_ended` later messages ended.
  std::unordered_map<std::string, message_entry> messages;
  /// Task id → its messages' ids, oldest first.
  std::unordered_map<std::string, std::vector<std::string>> by_task;
  /// host:port → attempts under way, and the due messages waiting for one of its slots.
  std::unordered_map<std::string, std::size_t> in_flight;
  std::unordered_map<std::string, std::deque<std::string>> waiting;
  /// Ended messages, oldest first: the front is forgotten past `max_kept_ended`.
  std::deque<std::string> ended_order;
  std::uint64_t pending = 0, delivered = 0, failed = 0, retried = 0, resumed = 0, journal_failures = 0;
  std::string last_error;

  static inline const char* name = "webhooks";
};

using webhook_pointer = webhook_self_actor::stateful_pointer<webhook_data>;

std::string random_message_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "msg_%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

webhook_event event_named(const std::string& name) {
  for (auto e : {webhook_event::progress, webhook_event::complete, webhook_event::error, webhook_event::cancelled})
    if (name == to_string(e)) return e;
  return webhook_event::error;
}

void journal_result(webhook_data& st, const std::string& e) {
  if (e.empty()) return;
  ++st.journal_failures;
  st.last_error = e;
  std::fprintf(stderr, "error webhooks journal write failed reason=\"%s\"\n", e.c_str());
}

// Starts an attempt on a worker thread; its answer comes back as an internal message.
void launch(webhook_pointer self, message_entry& m) {
  auto& st = self->state;
  m.in_flight = true;
  m.next_attempt = {};
  ++st.in_flight[m.url.host_port()];
  auto me = caf::actor_cast<webhook_self_actor>(self);
  auto url = m.url;
  auto id = m.msg.id;
  auto body = m.msg.body;
  auto key = st.settings.key;
  auto timeout = st.settings.timeout;
  st.settings.workers->post([me, url, id, body, key, timeout] {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(clock::now().time_since_epoch()).count();
    auto attempt = post_webhook(url, id, static_cast<std::int64_t>(now), key, body, timeout);
    caf::anon_send(me, atom::internal::value, atom::deliver::value, id, attempt.status, attempt.error);
  });
}

// A message is due: attempted now if its host has a free slot, else it waits for one.
void make_due(webhook_pointer self, message_entry& m) {
  auto& st = self->state;
  if (m.state != webhook_state::pending || m.in_flight || m.waiting) return;
  auto host = m.url.host_port();
  if (st.in_flight[host] < st.settings.per_host) return launch(self, m);
  m.waiting = true;
  st.waiting[host].push_back(m.msg.id);
}

// A slot of `host` came free: the next waiting message of it takes it.
void next_of_host(webhook_pointer self, const std::string& host) {
  auto& st = self->state;
  auto& queue = st.waiting[host];
  while (!queue.empty() && st.in_flight[host] < st.settings.per_host) {
    auto id = queue.front();
    queue.pop_front();
    auto it = st.messages.find(id);
    if (it == st.messages.end()) continue;
    it->second.waiting = false;
    launch(self, it->second);
  }
  if (queue.empty()) st.waiting.erase(host);
  if (st.in_flight[host] == 0) st.in_flight.erase(host);
}

// Rewrites the journal as the pending messages once the ended ones dominate it.
void maybe_compact(webhook_data& st) {
  auto& j = st.settings.journal;
  if (!j || j->records() < 1000 || j->records() < 4 * st.pending) return;
  std::vector<webhook_message> still;
  for (auto& [id, m] : st.messages)
    if (m.state == webhook_state::pending) still.push_back(m.msg);
  std::sort(still.begin(), still.end(),
            [](const webhook_message& a, const webhook_message& b) { return a.created_ms < b.created_ms; });
  journal_result(st, j->compact(still));
}

void forget_oldest_ended(webhook_data& st) {
  while (st.ended_order.size() > st.settings.max_kept_ended) {
    auto id = st.ended_order.front();
    st.ended_order.pop_front();
    auto it = st.messages.find(id);
    if (it == st.messages.end()) continue;
    auto task = st.by_task.find(it->second.msg.task_id);
    if (task != st.by_task.end()) {
      auto& ids = task->second;
      ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
      if (ids.empty()) st.by_task.erase(task);
    }
    st.messages.erase(it);
  }
}

void end_message(webhook_data& st, message_entry& m, bool delivered) {
  m.state = delivered ? webhook_state::delivered : webhook_state::failed;
  --st.pending;
  ++(delivered ? st.delivered : st.failed);
  if (st.settings.journal) journal_result(st, st.settings.journal->ended(m.msg, delivered));
  if (!delivered)
    std::fprintf(stderr, "warn webhooks delivery failed id=%s task=%s attempts=%u status=%d reason=\"%s\"\n",
                 m.msg.id.c_str(), m.msg.task_id.c_str(), m.msg.attempts, m.msg.last_status, m.msg.last_error.c_str());
  st.ended_order.push_back(m.msg.id);
}

void on_attempt(webhook_pointer self, const std::string& id, int status, std::string& error) {
  auto& st = self->state;
  auto it = st.messages.find(id);
  if (it == st.messages.end()) return;
  auto& m = it->second;
  auto host = m.url.host_port();
  m.in_flight = false;
  if (st.in_flight[host] > 0) --st.in_flight[host];
  ++m.msg.attempts;
  m.msg.last_status = status;
  m.msg.last_error = std::move(error);
  if (!m.msg.last_error.empty()) st.last_error = m.msg.last_error;
  auto verdict = verdict_of(webhook_attempt{status, m.msg.last_error});
  if (verdict == webhook_verdict::retry && m.msg.attempts >= st.settings.max_attempts) {
    m.msg.last_error += " No attempts left (" + std::to_string(st.settings.max_attempts) + ").";
    verdict = webhook_verdict::failed;
  }
  if (verdict == webhook_verdict::retry) {
    ++st.retried;
    if (st.settings.journal) journal_result(st, st.settings.journal->attempted(m.msg));
    // base × 2^(attempts-1), capped; the shift is bounded so it cannot overflow.
    auto factor = std::int64_t{1} << std::min<std::uint32_t>(m.msg.attempts - 1, 30);
    auto delay = std::min<std::int64_t>(st.settings.base_delay.count() * factor, st.settings.max_delay.count());
    m.next_attempt = clock::now() + std::chrono::milliseconds(delay);
    self->delayed_send(self, std::chrono::milliseconds(delay), atom::internal::value, atom::tick::value, id);
  } else {
    end_message(st, m, verdict == webhook_verdict::delivered);
    forget_oldest_ended(st);
    maybe_compact(st);
  }
  next_of_host(self, host);
}

// Adds a message (new, or resumed from the journal) and makes it due.
void add_message(webhook_pointer self, webhook_message msg) {
  auto& st = self->state;
  message_entry m;
  if (auto e = parse_webhook_url(msg.url, m.url); !e.empty()) {
    // Only checked URLs are ever recorded: a journal of another version, or edited by hand.
    std::fprintf(stderr, "warn webhooks dropped a message with a bad url id=%s\n", msg.id.c_str());
    return;
  }
  m.event = event_named(msg.event);
  m.msg = std::move(msg);
  auto id = m.msg.id;
  st.by_task[m.msg.task_id].push_back(id);
  ++st.pending;
  auto& entry = st.messages.emplace(id, std::move(m)).first->second;
  make_due(self, entry);
}

void on_event(webhook_pointer self, const webhook_spec& spec, const task_event& event) {
  auto& st = self->state;
  auto kind = webhook_event_of(event.task.state);
  if (!spec.wants(kind)) return;
  webhook_message msg;
  msg.id = st.settings.make_id ? st.settings.make_id() : random_message_id();
  msg.task_id = event.task.task_id;
  msg.url = spec.url;
  msg.event = to_string(kind);
  msg.body = st.settings.render(event);
  msg.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(event.at.time_since_epoch()).count();
  // Recorded before the first attempt: a crash from here on resumes it.
  if (st.settings.journal) journal_result(st, st.settings.journal->pending(msg));
  add_message(self, std::move(msg));
}

std::vector<webhook_delivery> deliveries_of(const webhook_data& st, const std::string& task_id) {
  std::vector<webhook_delivery> out;
  auto task = st.by_task.find(task_id);
  if (task == st.by_task.end()) return out;
  for (auto& id : task->second) {
    auto it = st.messages.find(id);
    if (it == st.messages.end()) continue;
    auto& m = it->second;
    webhook_delivery d;
    d.id = m.msg.id;
    d.url = m.msg.url;
    d.event = m.event;
    d.state = m.state;
    d.attempts = m.msg.attempts;
    d.last_status = m.msg.last_status;
    d.last_error = m.msg.last_error;
    d.next_attempt = m.next_attempt;
    out.push_back(std::move(d));
  }
  return out;
}

actor_status status_of(webhook_pointer self) {
  auto& st = self->state;
  webhook_figures f;
  f.pending = st.pending;
  for (auto& [host, n] : st.in_flight) f.in_flight += n;
  for (auto& [host, q] : st.waiting) f.waiting += q.size();
  f.delivered = st.delivered;
  f.failed = st.failed;
  f.retried = st.retried;
  f.resumed = st.resumed;
  f.journal_records = st.settings.journal ? st.settings.journal->records() : 0;
  f.journal_failures = st.journal_failures;
  f.last_error = st.last_error;
  return make_status("webhooks", "webhooks", "running", self->mailbox().size(), f);
}

webhook_self_actor::behavior_type webhook_behavior(webhook_pointer self, webhook_settings settings) {
  auto& state = self->state;
  state.settings = std::move(settings);
  if (!state.settings.workers || !state.settings.render)
    throw std::invalid_argument("the webhook actor needs its worker pool and its renderer");
  // What an earlier run still owed goes out first, in the order it was recorded.
  auto resumed = std::move(state.settings.resumed);
  state.settings.resumed.clear();
  state.resumed = resumed.size();
  for (auto& m : resumed) add_message(self, std::move(m));
  if (!resumed.empty()) std::fprintf(stderr, "info webhooks resumed pending deliveries count=%zu\n", resumed.size());
  return {
      [self](atom::deliver, const webhook_spec& spec, const task_event& event) { on_event(self, spec, event); },
      [self](atom::get, const std::string& task_id) { return deliveries_of(self->state, task_id); },
      [self](atom::internal, atom::tick, const std::string& id) {
        auto it = self->state.messages.find(id);
        if (it != self->state.messages.end()) make_due(self, it->second);
      },
      [self](atom::internal, atom::deliver, const std::string& id, int status, std::string& error) {
        on_attempt(self, id, status, error);
      },
      [self](atom::status) { return status_of(self); },
  };
}

} // namespace

// Detached, as the media store is: every message it accepts is a journal write, and compaction
// rewrites the journal atomically (fsync, rename, fsync of the folder). That file I/O must not
// hold one of CAF's shared scheduler threads, which every task and the hub run on.
webhook_actor spawn_webhook_actor(caf::actor_system& sys, webhook_settings settings) {
  return sys.spawn<caf::detached>(webhook_behavior, std::move(settings));
}

} // namespace mediagen
