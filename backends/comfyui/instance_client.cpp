#include "backends/comfyui/instance_client.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "backends/comfyui/prompt_id.hpp"

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

std::string instance_client::status_json() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("url");
  w.String(describe());
  w.Key("client_id");
  w.String(client_id_);
  if (!ws_) {
    w.Key("error");
    w.String(invalid_reason_);
    w.EndObject();
    return buffer.GetString();
  }
  const ws_stats s = ws_->stats();
  w.Key("socket");
  w.StartObject();
  w.Key("url");
  w.String(ws_->url());
  w.Key("running");
  w.Bool(s.running);
  w.Key("connected");
  w.Bool(s.connected);
  w.Key("attempts");
  w.Uint64(s.attempts);
  w.Key("connects");
  w.Uint64(s.connects);
  w.Key("failures");
  w.Uint64(s.failures);
  w.Key("drops");
  w.Uint64(s.drops);
  w.Key("text_frames");
  w.Uint64(s.text_frames);
  w.Key("binary_frames");
  w.Uint64(s.binary_frames);
  w.Key("malformed_frames");
  w.Uint64(s.malformed_frames);
  w.Key("next_backoff_ms");
  w.Int64(static_cast<std::int64_t>(s.next_backoff.count()));
  w.Key("last_error");
  w.String(s.last_error);
  w.EndObject();
  w.EndObject();
  return buffer.GetString();
}

}  // namespace mediagen::comfyui
