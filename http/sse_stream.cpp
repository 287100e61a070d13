#include "http/sse_stream.hpp"

#include "actors/sse_queue.hpp"
#include "http/actor_calls.hpp"
#include "http/request_body.hpp"
#include "http/responses.hpp"
#include "http/status_codes.hpp"

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
  // The hub makes the queue (of its configured capacity) and fills it with the replay.
  auto subscribed = ask<sse_queue_ptr>(ctx.sys, ctx.hub, std::chrono::seconds(10), atom::subscribe::value, task_id,
                                       last_event_id(req));
  if (!subscribed) {
    if (has_code(subscribed.error(), error_code::stream_finished)) { // nothing after the client's last event
      res.status = 204;                                                 // stop reconnecting
      return;
    }
    return send_actor_error(res, ctx.sys, subscribed.error(), "The event stream could not be opened");
  }
  auto queue = *subscribed;
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  auto hub = ctx.hub;
  auto heartbeat_interval = std::chrono::seconds(ctx.config.sse_heartbeat_seconds);
  res.set_chunked_content_provider(
      "text/event-stream",
      // Called again and again on this HTTP thread: it must block (docs/TOOLCHAIN.md), so it waits on
      // the queue and writes a heartbeat comment when nothing came for a heartbeat interval.
      // The stream's first line sets EventSource's reconnect delay; the hub's replay follows it.
      [queue, heartbeat_interval, retry = "retry: " + std::to_string(ctx.config.sse_retry_ms) + "\n\n"](
          std::size_t, httplib::DataSink& sink) mutable {
        if (!retry.empty()) {
          bool ok = sink.write(retry.data(), retry.size());
          retry.clear();
          return ok;
        }
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
