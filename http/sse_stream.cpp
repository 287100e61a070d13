#include "http/sse_stream.hpp"

#include "actors/sse_queue.hpp"
#include "http/actor_calls.hpp"
#include "http/guarded_stream.hpp"
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
      res.status = 204;                                              // stop reconnecting
      return;
    }
    return send_actor_error(res, ctx.sys, subscribed.error(), "The event stream could not be opened");
  }
  auto queue = *subscribed;
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  auto hub = ctx.hub;
  // Once httplib has written the headers it calls the provider: it writes the stream's first line
  // (retry:, EventSource's reconnect delay; the hub's replay follows it), then hands the stream to
  // the connection loop, which writes the frames from the queue without holding a thread
  // (docs/DESIGN.md "SSE streams"). Returning false ends httplib's part without writing more.
  // The loop unsubscribes when the stream ends; if the provider never runs (HEAD, a failed
  // header write), the release callback does.
  auto handed_over = std::make_shared<bool>(false);
  res.set_chunked_content_provider(
      "text/event-stream",
      [queue, task_id, hub, handed_over,
       retry = "retry: " + std::to_string(ctx.config.sse_retry_ms) + "\n\n"](std::size_t, httplib::DataSink& sink) {
        auto* stream = guarded_stream::current();
        if (!stream || *handed_over) return false;
        *handed_over = true;
        stream->hand_over(guarded_stream::event_stream{
            queue, task_id, [hub, queue, task_id] { caf::anon_send(hub, atom::unsub::value, task_id, queue); }});
        sink.write(retry.data(), retry.size()); // a failed write shows to the loop as a hang-up
        return false;
      },
      [hub, queue, task_id, handed_over](bool) {
        if (!*handed_over) caf::anon_send(hub, atom::unsub::value, task_id, queue);
      });
}

} // namespace mediagen
