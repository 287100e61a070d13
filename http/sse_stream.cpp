#include "http/sse_stream.hpp"

#include "actors/sse_queue.hpp"
#include "http/actor_calls.hpp"
#include "http/request_body.hpp"
#include "http/responses.hpp"

namespace mediagen {

namespace {

// A missing or malformed Last-Event-ID replays the whole log.
std::int64_t last_event_id(const httplib::Request& req) {
  std::int64_t id = 0;
  return parse_count(req.get_header_value("Last-Event-ID"), id) ? id : 0;
}

} // namespace

void stream_task_events(http_context& ctx, const std::string& task_id, const httplib::Request& req,
                        httplib::Response& res) {
  auto queue = std::make_shared<sse_queue>(1024);
  // The stream's first line sets EventSource's reconnect delay; the hub's replay follows it.
  queue->push("retry: " + std::to_string(ctx.config.sse_retry_ms) + "\n\n");
  std::string error;
  // The queue holds what a replay needs (a task's whole log) plus room for a slow reader.
  auto status = ask<int>(ctx.sys, ctx.hub, std::chrono::seconds(10), error, atom::subscribe::value, task_id,
                         last_event_id(req), queue);
  if (!status) return send_error(res, 500, "The event stream could not be opened (" + error + ").");
  if (*status == 204) { // already ended, nothing after the client's last event: stop reconnecting
    res.status = 204;
    return;
  }
  if (*status == 404) return send_error(res, 404, "Task '" + task_id + "' not found or expired.");
  if (*status == 503) return send_error(res, 503, "Too many event streams are open; try again later.");
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  auto hub = ctx.hub;
  auto heartbeat_interval = std::chrono::seconds(ctx.config.sse_heartbeat_seconds);
  res.set_chunked_content_provider(
      "text/event-stream",
      // Called again and again on this HTTP thread: it must block (docs/TOOLCHAIN.md), so it waits on
      // the queue and writes a heartbeat comment when nothing came for a heartbeat interval.
      [queue, heartbeat_interval](std::size_t, httplib::DataSink& sink) {
        std::string frame;
        switch (queue->pop(frame, heartbeat_interval)) {
          case sse_queue::pop_result::frame:
            return sink.write(frame.data(), frame.size());
          case sse_queue::pop_result::timeout: {
            static const std::string heartbeat = ": heartbeat\n\n";
            return sink.write(heartbeat.data(), heartbeat.size());
          }
          case sse_queue::pop_result::closed:
            sink.done();
            return true;
        }
        return false;
      },
      // Runs at the normal end and when the client goes away.
      [hub, queue, task_id](bool) { caf::anon_send(hub, atom::unsub::value, task_id, queue); });
}

} // namespace mediagen
