#include "backends/comfyui/instance_client.hpp"

#include "backends/comfyui/prompt_id.hpp"

namespace mediagen::comfyui {

instance_client::instance_client(const std::string& url, ws_listener::frame_callback on_frame,
                                 ws_listener::state_callback on_state, instance_options options)
    : client_id_(options.client_id.empty() ? new_uuid_v4() : options.client_id), api_(url, options.http) {
  std::string error;
  auto parsed = parse_base_url(url, &error);
  if (!parsed) {
    invalid_reason_ = error;
    return;
  }
  ws_ = std::make_unique<ws_listener>(*parsed, client_id_, std::move(on_frame), std::move(on_state), options.ws);
}

void instance_client::set_binary_callback(ws_listener::binary_callback on_binary) {
  if (ws_) ws_->set_binary_callback(std::move(on_binary));
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

} // namespace mediagen::comfyui
