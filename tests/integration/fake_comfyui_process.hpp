#pragma once
// Runs tests/fakes/fake_comfyui.py (a fake ComfyUI that speaks the real HTTP + WebSocket
// protocol) as a child process on a free loopback port, and talks to its /_fake/* control
// endpoints. The destructor stops it: SIGTERM, then SIGKILL.

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

#include <httplib.h>

#include "server_harness.hpp"

namespace mediagen::testing {

class fake_comfyui_process {
public:
  /// Starts `/usr/bin/python3 <source>/tests/fakes/fake_comfyui.py --port 0` plus `flags`
  /// (e.g. "--step-ms=5") with its own --root folder, and waits (up to `patience`) for its "LISTENING <port>" line.
  explicit fake_comfyui_process(std::vector<std::string> flags = {},
                                std::chrono::milliseconds patience = std::chrono::seconds(20));
  ~fake_comfyui_process(); ///< SIGTERM, then SIGKILL after 3 s
  fake_comfyui_process(const fake_comfyui_process&) = delete;
  fake_comfyui_process& operator=(const fake_comfyui_process&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  /// "http://127.0.0.1:<port>", the value for mediagen's --comfyui-url.
  std::string url() const;
  /// "--comfyui-url=<url()>".
  std::string flag() const;

  /// SIGKILL, as a crash: the port stops answering at once.
  void kill_hard();
  /// SIGTERM and wait (then SIGKILL after `patience`).
  void stop(std::chrono::milliseconds patience = std::chrono::seconds(3));

  /// A client to the fake (5 s timeouts).
  httplib::Client client() const;
  /// POST /_fake/config with a JSON object of knobs; REQUIREs 200 and returns the whole config.
  json::document config(const std::string& knobs) const;
  /// GET /_fake/log: requests, prompts, free, interrupts, queue_deletes, uploads, websockets, frames.
  json::document log() const;
  /// GET /_fake/state: sockets, running, pending, history.
  json::document state() const;
  /// POST /_fake/reset (log, history, queue; with `config` also the startup knobs).
  void reset(bool config = false) const;
  /// What the fake wrote to stderr so far.
  std::string stderr_text() const;

private:
  json::document get_json(const std::string& path) const;

  pid_t pid_ = -1;
  int port_ = 0;
  int stdout_fd_ = -1;
  std::string stderr_path_;
  std::string root_; ///< the fake's --root (input/, output/, temp/), removed by the destructor
                     ///< even when the fake was SIGKILLed and could not clean up itself
};

} // namespace mediagen::testing
