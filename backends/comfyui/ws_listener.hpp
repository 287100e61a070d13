#pragma once
// The WebSocket of one ComfyUI instance: ws://host:port[/prefix]/ws?clientId=<id>, run by a
// websocketpp client (standalone asio, no TLS) on the listener's own thread.
//
// - Text frames are parsed (messages.hpp) and handed to `on_frame`; binary frames (previews)
//   are counted and handed, unparsed, to the binary callback when one is set (else skipped).
// - After a failed attempt or a drop it reconnects with exponential back-off (0.25 s doubling
//   to 5 s by default; reset once a connection opens). ComfyUI keys its sockets by clientId,
//   so a reconnect with the same id takes over the old session.
// - A ping every `ping_interval` detects a dead peer that never sent a FIN.
//
// Threading:
// - Callbacks run on the listener thread, one at a time, never concurrently with each other.
//   Keep them short (hand the frame to an actor and return). An exception escaping a callback
//   is caught and recorded in stats().last_error.
// - start(), stop(), wait_connected(), connected(), stats() are thread-safe.
// - Once stop() has begun no callback starts any more; after stop() returns none runs.
// - Do not call stop() or destroy the listener from inside a callback (it cannot join its own
//   thread: stop() then only requests the stop, and the destructor must run elsewhere).
//
// No websocketpp/asio header is included here: they compile once, in ws_listener.cpp.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "backends/comfyui/base_url.hpp"
#include "backends/comfyui/messages.hpp"

namespace mediagen::comfyui {

struct ws_options {
  std::chrono::milliseconds initial_backoff{250};  ///< first retry delay after a failure/drop
  std::chrono::milliseconds max_backoff{5000};     ///< the delay doubles up to this
  std::chrono::milliseconds connect_timeout{3000}; ///< TCP connect + WebSocket handshake
  std::chrono::milliseconds close_timeout{1000};   ///< wait for the peer's close on stop
  std::chrono::milliseconds ping_interval{15000};  ///< 0 disables pings
  std::chrono::milliseconds pong_timeout{10000};   ///< no pong within this: the socket is dead
};

/// A snapshot for status reports (`GET /debug/actors`).
struct ws_stats {
  bool running = false; ///< the thread is up and not stopped
  bool connected = false;
  std::uint64_t attempts = 0; ///< connection attempts started
  std::uint64_t connects = 0; ///< attempts that opened
  std::uint64_t failures = 0; ///< attempts that failed before opening
  std::uint64_t drops = 0;    ///< open connections that closed
  std::uint64_t text_frames = 0;
  std::uint64_t binary_frames = 0;
  std::uint64_t malformed_frames = 0;        ///< text frames parse_ws_text could not read
  std::chrono::milliseconds next_backoff{0}; ///< delay the next retry will wait
  std::string last_error;                    ///< last connection failure or callback exception
};

class ws_listener {
public:
  using frame_callback = std::function<void(const ws_frame&)>;
  /// connected == true when the socket opened; false (with a one-sentence reason) when an
  /// attempt failed or an open socket dropped. Called on changes only: repeated failed
  /// attempts while already disconnected do not call it again.
  using state_callback = std::function<void(bool connected, const std::string& detail)>;
  /// A binary frame's bytes, valid only during the call (copy what is kept).
  using binary_callback = std::function<void(std::string_view bytes)>;

  ws_listener(base_url url, std::string client_id, frame_callback on_frame, state_callback on_state,
              ws_options options = {});
  ~ws_listener(); ///< stop()s and joins

  ws_listener(const ws_listener&) = delete;
  ws_listener& operator=(const ws_listener&) = delete;

  /// Where binary frames go (previews: preview_frame.hpp). Call before start(); not thread-safe.
  void set_binary_callback(binary_callback on_binary);

  /// Starts the thread and the first connection attempt. Returns false (and reports through
  /// on_state) when it cannot run: wss:// URL, already stopped. A second start() is a no-op.
  bool start();

  /// Closes the socket (a polite close, at most close_timeout), stops retrying, joins the
  /// thread. Idempotent.
  void stop();

  /// Blocks until the socket is open, the listener stops, or `timeout` passes; true if open.
  bool wait_connected(std::chrono::milliseconds timeout) const;

  bool connected() const;
  ws_stats stats() const;

  /// "ws://host:port[/prefix]/ws?clientId=<id>"
  const std::string& url() const;
  const std::string& client_id() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace mediagen::comfyui
