#include "backends/comfyui/instance_client.hpp"

#include "backends/comfyui/prompt_id.hpp"
#include "common/json.hpp"

namespace mediagen::comfyui {

instance_client::instance_client(const std::string& url, ws_listener::frame_callback on_frame,
                                 ws_listener::state_callback on_state, instance_options options)
    : client_id_(options.client_id.empty() ? new_uuid_v4() : options.client_id),
      api_(url, options.http) {
  std::string error;
  auto parsed = parse_base_url(url, &error);
  if (!parsed) {
    invalid_reason_ = error;
    return;
  }
  ws_ = std::make_unique<ws_listener>(*parsed, client_id_, std::move(on_frame), std::move(on_state),
                                      options.ws);
}

bool instance_client::start() { return ws_ && ws_->start(); }

void instance_client::stop() {
  if (ws_) ws_->stop();
}

bool instance_client::wait_connected(std::chrono::milliseconds timeout) const {
  return ws_ && ws_->wait_connected(timeout);
}

bool instance_client::connected() const { return ws_ && ws_->connected(); }

ws_stats instance_client::socket_stats() const { return ws_ ? ws_->stats() : ws_stats{}; }

std::string instance_client::status_json() const {
  json::writer w;
  w.begin_object().field("url", describe()).field("client_id", client_id_);
  if (!ws_) return w.field("error", invalid_reason_).end_object().str();
  const ws_stats s = ws_->stats();
  w.key("socket")
      .begin_object()
      .field("url", ws_->url())
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
      .end_object();
  return w.end_object().str();
}

}  // namespace mediagen::comfyui
