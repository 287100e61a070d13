#pragma once
// Helpers for the robustness, crash-safety and shutdown tests: raw TCP sockets (for requests
// httplib's client will not send: duplicate headers, half request lines, odd paths), waiting for
// the server process without reaping it, and small polling helpers over the HTTP API.
// The server itself is started by server_harness.hpp.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "server_harness.hpp"

namespace mediagen::testing::robust {

using namespace std::chrono_literals;

/// A blocking TCP connection to 127.0.0.1:port; every read is bounded by a timeout.
class raw_socket {
public:
  explicit raw_socket(int port);
  ~raw_socket();
  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;

  bool connected() const { return fd_ >= 0; }
  /// Sends every byte (no SIGPIPE); false when the peer is gone.
  bool send_all(const std::string& bytes);
  /// Reads what arrives until `timeout` passes or the peer closes; `closed` tells which.
  std::string read_for(std::chrono::milliseconds timeout, bool* closed = nullptr);
  /// Waits until the peer closes (read returns 0 or an error) or `timeout`; true when closed.
  /// Whatever arrived meanwhile is appended to `received` when given.
  bool wait_closed(std::chrono::milliseconds timeout, std::string* received = nullptr);
  /// Reads until one whole HTTP response (headers + Content-Length body) is in, the peer closes,
  /// or `timeout` passes. Bytes after that response stay in the socket.
  std::string read_response(std::chrono::milliseconds timeout, bool* closed = nullptr);

private:
  int fd_ = -1;
  std::string pending_; ///< bytes read past the last response
};

struct raw_response {
  int status = -1;                            ///< -1: no status line arrived
  std::map<std::string, std::string> headers; ///< names lower-cased; last one wins
  std::string body;
  bool closed = false; ///< the peer closed the connection after it
  std::string raw;
};

raw_response parse_response(const std::string& text);

/// Connects, sends `request` as is, reads one response. With `expect_close`, also waits (up to
/// `close_wait`) to learn whether the server closes the connection after answering.
raw_response raw_exchange(int port, const std::string& request, std::chrono::milliseconds timeout = 10s,
                          std::chrono::milliseconds close_wait = 0ms);

/// A whole HTTP/1.1 request with `Connection: close`.
std::string http_request(const std::string& method, const std::string& target, const std::string& body = {},
                         const std::string& content_type = {}, const std::vector<std::string>& extra_headers = {});

/// Waits until the child `pid` has exited, without reaping it (waitid WNOWAIT), so that
/// server_process::stop() still collects its exit status afterwards. True when it exited.
bool wait_exited(pid_t pid, std::chrono::milliseconds timeout);

/// GET /tasks/:id → its `state`, "" on 404, "error:<status>" otherwise.
std::string state_of(httplib::Client& c, const std::string& id);
/// Polls GET /tasks/:id until `accept(state)` or `timeout`; returns the last state seen.
std::string wait_for_state(httplib::Client& c, const std::string& id,
                           const std::function<bool(const std::string&)>& accept,
                           std::chrono::milliseconds timeout = 30s);
/// Polls until the task is in an ended state (anything but queued/running).
std::string wait_until_ended(httplib::Client& c, const std::string& id, std::chrono::milliseconds timeout = 30s);
/// A counter of the supervisor's status in GET /debug/actors ("started", "refused", ...); -1 on failure.
std::int64_t supervisor_figure(httplib::Client& c, const std::string& name);

/// Joins a thread when the scope ends, also when an assertion leaves it early.
struct thread_guard {
  std::thread& thread;
  ~thread_guard() {
    if (thread.joinable()) thread.join();
  }
};

/// Reads a task's SSE stream on a thread of its own (no assertions there); join() returns.
class event_reader {
public:
  event_reader(int port, std::string task_id, std::chrono::seconds timeout = std::chrono::seconds(30));
  ~event_reader();
  event_reader(const event_reader&) = delete;
  event_reader& operator=(const event_reader&) = delete;
  /// Waits for the stream to end; returns the events.
  const std::vector<sse_event>& join();
  int status() const { return status_; }
  /// Names of terminal events (complete, error-event, cancelled) among `events`.
  static std::vector<std::string> terminal_events(const std::vector<sse_event>& events);

private:
  std::vector<sse_event> events_;
  int status_ = -1;
  std::thread thread_;
};

} // namespace mediagen::testing::robust
