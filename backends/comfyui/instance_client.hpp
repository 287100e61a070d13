#pragma once
// Everything the comfyui backend actor needs for one ComfyUI instance, without actors:
// one clientId, the blocking HTTP API and the WebSocket listener opened with that clientId.
//
// Threading: construct and destroy on one thread (the owner's). All const members and
// start()/stop()/wait_connected()/connected()/status_json() are thread-safe; the HTTP calls
// block (see http_api.hpp), so call them from a thread that may block (a detached actor or the
// owner's own worker), never from CAF's shared scheduler threads. Socket callbacks run on the
// listener thread (see ws_listener.hpp).

#include <chrono>
#include <memory>
#include <string>

#include "backends/comfyui/base_url.hpp"
#include "backends/comfyui/http_api.hpp"
#include "backends/comfyui/ws_listener.hpp"

namespace mediagen::comfyui {

struct instance_options {
  http_options http;
  ws_options ws;
  std::string client_id; ///< "" -> a fresh UUID v4
};

class instance_client {
public:
  /// `url` is checked here; a bad URL leaves valid() false and every call failing with a
  /// sentence that says so.
  instance_client(const std::string& url, ws_listener::frame_callback on_frame, ws_listener::state_callback on_state,
                  instance_options options = {});

  instance_client(const instance_client&) = delete;
  instance_client& operator=(const instance_client&) = delete;

  bool valid() const { return api_.valid(); }
  /// One sentence when !valid().
  const std::string& invalid_reason() const { return invalid_reason_; }
  const std::string& client_id() const { return client_id_; }
  /// "http://host:port[/prefix]".
  std::string describe() const { return api_.describe(); }

  /// Where the socket's binary frames go (previews). Call before start().
  void set_binary_callback(ws_listener::binary_callback on_binary);

  /// Opens the socket (reconnecting on its own from then on). False when it cannot run.
  bool start();
  /// Closes the socket and joins its thread. Idempotent; the destructor calls it.
  void stop();
  bool wait_connected(std::chrono::milliseconds timeout) const;
  bool connected() const;

  /// POST /prompt with this instance's clientId, so the events come to our socket.
  submit_result submit(const std::string& graph_json, const std::string& prompt_id) const {
    return api_.submit_prompt(graph_json, client_id_, prompt_id);
  }
  /// The rest of the HTTP API (history, view, upload, free, interrupt, queue, stats).
  const http_api& api() const { return api_; }

  /// The socket's figures (all zero when the URL is invalid and no socket runs).
  ws_stats socket_stats() const;

private:
  std::string client_id_;
  http_api api_;
  std::string invalid_reason_;
  std::unique_ptr<ws_listener> ws_; ///< null when the URL is invalid
};

} // namespace mediagen::comfyui
