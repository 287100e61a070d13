#include "http/task_json.hpp"

#include "actors/sse_queue.hpp"
#include "common/base64.hpp"
#include "common/iso_time.hpp"
#include "common/json.hpp"

namespace mediagen {

namespace {

void write_progress(json::writer& w, const progress_info& p) {
  json::document d;
  progress_to_json(p, d, d.GetAllocator());
  w.value(d);
}

void write_time_or_null(json::writer& w, const char* key, wall_time t) {
  w.key(key);
  if (t == wall_time{})
    w.null();
  else
    w.value(iso_timestamp(t));
}

// {"message", "details"?}: the failure's sentence and the backend's details.
void write_failure(json::writer& w, const caf::error& failure) {
  w.begin_object().field("message", error_sentence(failure));
  if (auto details = error_extra(failure); !details.empty()) w.key("details").raw(details);
  w.end_object();
}

// "requestOrigin": the page that started the task, or null.
void write_request_origin(json::writer& w, const task_snapshot& t) {
  w.key("requestOrigin");
  if (t.request_origin.empty())
    w.null();
  else
    w.value(t.request_origin);
}

} // namespace

std::string task_json(const task_snapshot& t) {
  json::writer w;
  w.begin_object().field("taskId", t.task_id).field("state", to_string(t.state));
  if (t.state == task_state::lost) { // only what the journal kept
    w.field("workflow", t.workflow).key("error");
    write_failure(w, t.failure);
    return w.end_object().str();
  }
  w.field("workflow", t.workflow);
  write_request_origin(w, t);
  w.key("progress");
  write_progress(w, t.progress);
  w.key("queuePosition");
  if (t.state == task_state::queued)
    w.value(t.queue_position);
  else
    w.null();
  if (t.state == task_state::completed) w.key("result").raw(result_to_json(t.result));
  if (t.state == task_state::failed) {
    w.key("error");
    write_failure(w, t.failure);
  }
  write_time_or_null(w, "createdAt", t.created_at);
  write_time_or_null(w, "startedAt", t.started_at);
  write_time_or_null(w, "endedAt", t.ended_at);
  return w.end_object().str();
}

std::string active_tasks_json(const std::vector<task_snapshot>& tasks) {
  json::writer w;
  w.begin_array();
  for (auto& t : tasks) {
    w.begin_object().field("taskId", t.task_id).field("workflow", t.workflow);
    write_request_origin(w, t);
    w.field("state", to_string(t.state)).key("progress");
    write_progress(w, t.progress);
    w.end_object();
  }
  return w.end_array().str();
}

const char* event_name(const task_event& e) {
  switch (e.task.state) {
    case task_state::queued:
    case task_state::running:
    case task_state::cancelling: return "progress";
    case task_state::completed: return "complete";
    case task_state::cancelled: return "cancelled";
    case task_state::failed:
    case task_state::lost: return "error-event";
  }
  return "progress";
}

std::string event_json(const task_event& e) {
  const auto& t = e.task;
  json::writer w;
  w.begin_object().field("taskId", t.task_id);
  switch (t.state) {
    case task_state::queued:
    case task_state::running:
    case task_state::cancelling:
      w.field("status", t.state == task_state::queued       ? "queued"
                        : t.state == task_state::cancelling ? "cancelling"
                                                            : "in-progress")
          .key("progress");
      write_progress(w, t.progress);
      if (t.state == task_state::queued) w.field("queuePosition", t.queue_position);
      break;
    case task_state::completed:
      w.field("status", "completed").key("progress");
      write_progress(w, t.progress);
      w.key("result").raw(result_to_json(t.result));
      break;
    case task_state::cancelled: w.field("status", "cancelled").field("message", "Generation cancelled"); break;
    case task_state::failed:
    case task_state::lost:
      w.field("status", "error").key("error");
      write_failure(w, t.failure);
      break;
  }
  return w.field("timestamp", iso_timestamp(e.at)).end_object().str();
}

std::string render_sse_frame(std::int64_t id, const task_event& event) {
  return format_sse_frame(id, event_name(event), event_json(event));
}

std::string preview_json(const task_preview& preview) {
  json::writer w;
  w.begin_object()
      .field("taskId", preview.task_id)
      .field("image", "data:" + preview.image.mime + ";base64," + base64_encode(preview.image.bytes))
      .field("step", preview.step)
      .field("max", preview.max);
  return w.end_object().str();
}

std::string render_preview_frame(const task_preview& preview) {
  return format_sse_frame_without_id("preview", preview_json(preview));
}

std::string sync_failure_json(const std::string& sentence, const std::string& details_json,
                              const std::string& task_id) {
  json::writer w;
  w.begin_object().field("error", sentence);
  if (!details_json.empty()) w.key("details").raw(details_json);
  return w.field("taskId", task_id).end_object().str();
}

} // namespace mediagen
