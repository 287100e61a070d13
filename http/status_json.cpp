#include "http/status_json.hpp"

#include "common/json.hpp"

namespace mediagen {

namespace {

void write_figures(json::writer& w, const supervisor_figures& f) {
  w.field("live", f.live)
      .field("queued", f.queued)
      .field("running", f.running)
      .field("retainedEnded", f.retained_ended)
      .field("started", f.started)
      .field("refused", f.refused)
      .field("completed", f.completed)
      .field("failed", f.failed)
      .field("cancelled", f.cancelled);
}

void write_figures(json::writer& w, const sse_hub_figures& f) {
  w.field("tasks", f.tasks)
      .field("endedTasks", f.ended_tasks)
      .field("storedEvents", f.stored_events)
      .field("subscribers", f.subscribers)
      .field("eventsPublished", f.events_published)
      .field("droppedSlowSubscribers", f.dropped_slow)
      .field("previewsPublished", f.previews_published);
}

void write_figures(json::writer& w, const media_store_figures& f) {
  w.field("entries", f.entries)
      .field("nextUid", f.next_uid)
      .field("pendingAppends", f.pending_appends)
      .field("commits", f.commits)
      .field("entriesCommitted", f.entries_committed)
      .field("commitFailures", f.commit_failures)
      .field("lastCommitMs", f.last_commit_ms)
      .field("totalCommitMs", f.total_commit_ms)
      .field("commitP50Ms", f.commit_p50_ms)
      .field("commitP99Ms", f.commit_p99_ms)
      .field("journalRecords", f.journal_records)
      .field("journalBytes", f.journal_bytes)
      .field("compacting", f.compacting)
      .field("changes", f.changes)
      .field("compactions", f.compactions)
      .field("compactionFailures", f.compaction_failures)
      .field("lastCompactionMs", f.last_compaction_ms)
      .field("lastError", f.last_error);
}

void write_figures(json::writer& w, const backend_figures& f) {
  w.field("backend", f.backend);
  if (!f.url.empty()) w.field("url", f.url);
  w.field("healthy", f.healthy)
      .field("queued", f.queued)
      .field("running", f.running)
      .field("queue", f.queue())
      .field("finished", f.finished())
      .field("completed", f.completed)
      .field("failed", f.failed)
      .field("cancelled", f.cancelled)
      .field("roundTripSeconds", f.round_trip_seconds);
  if (f.backend == "builtin") {
    w.field("workers", f.workers).field("cancelledWhileQueued", f.cancelled_while_queued);
    return;
  }
  w.field("submitted", f.submitted).field("frees", f.frees).field("lost", f.lost);
  if (f.backend == "comfyui-pool") w.field("resubmitted", f.resubmitted);
  if (f.backend != "comfyui") return; // a pool: its instances report the rest
  const auto& s = f.socket;
  w.field("detail", f.detail).field("socketConnected", f.socket_connected);
  w.key("client")
      .begin_object()
      .field("url", f.url)
      .field("client_id", f.client_id)
      .key("socket")
      .begin_object()
      .field("running", s.running)
      .field("connected", s.connected)
      .field("attempts", s.attempts)
      .field("connects", s.connects)
      .field("failures", s.failures)
      .field("drops", s.drops)
      .field("text_frames", s.text_frames)
      .field("binary_frames", s.binary_frames)
      .field("malformed_frames", s.malformed_frames)
      .field("next_backoff_ms", static_cast<std::int64_t>(s.next_backoff.count()))
      .field("last_error", s.last_error)
      .end_object()
      .end_object();
}

void write_figures(json::writer& w, const task_figures& f) {
  w.field("workflow", f.workflow)
      .field("silent", f.silent)
      .field("percentage", f.percentage)
      .field("queuePosition", f.queue_position)
      .field("waiters", f.waiters)
      .field("ageSeconds", f.age_seconds);
}

struct figures_writer {
  using result_type = void;
  json::writer& w;
  template <class Figures>
  void operator()(const Figures& f) const {
    write_figures(w, f);
  }
};

} // namespace

std::string actor_status_json(const actor_status& s) {
  json::writer w;
  w.begin_object().field("kind", s.kind).field("id", s.id).field("state", s.state).field("mailbox", s.mailbox);
  caf::visit(figures_writer{w}, s.figures);
  return w.end_object().str();
}

std::string unreachable_status_json(const std::string& kind, const std::string& error) {
  json::writer w;
  return w.begin_object().field("kind", kind).field("state", "unreachable").field("error", error).end_object().str();
}

} // namespace mediagen
