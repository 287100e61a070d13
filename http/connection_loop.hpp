#pragma once
// The event loop that owns every HTTP connection no thread needs: idle keep-alive connections
// and SSE streams (docs/DESIGN.md "Connections"). One thread waits on epoll. An idle
// connection whose next request starts arriving goes to the worker pool; the worker gives it
// back when no more request is buffered. An SSE stream, once its headers are written, stays
// here: the loop writes its frames from the hub's queue with non-blocking writes, sends its
// heartbeats from timers, and cuts off a client that stops reading. Timeouts are timers, not
// polling: a keep-alive idle deadline, a heartbeat and write-stall check per stream.

#include "http/wakeable_epoll.hpp"
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/connection_figures.hpp"
#include "http/guarded_stream.hpp"

namespace mediagen {

struct connection_settings {
  std::chrono::milliseconds keep_alive_timeout{5000}; ///< idle between requests, then closed
  std::chrono::milliseconds read_timeout{10000};      ///< one read of a request (worker side)
  std::chrono::milliseconds write_timeout{10000};     ///< a stream that takes no byte this long is cut off
  std::chrono::milliseconds request_timeout{30000};   ///< a whole request must arrive within this
  std::chrono::milliseconds heartbeat{15000};         ///< SSE comment after this much silence
  std::size_t keep_alive_max = 100000;                ///< requests per connection
};

/// One client connection. Owned by exactly one side at a time: the loop (idle, streaming) or
/// the worker serving it; handed over with its unique_ptr.
struct connection {
  connection(int socket, std::uint64_t conn_id, const connection_settings& s);
  const int fd;
  const std::uint64_t id;
  guarded_stream stream; ///< keeps its read buffer (pipelined bytes) between requests
  std::size_t requests_left;

  // Loop-side state; workers never touch it.
  enum class phase { idle, streaming } state = phase::idle;
  int epoll_set = -1;           ///< the epoll it was added to (ONESHOT: disarmed after each event)
  std::uint32_t armed = 0;      ///< events epoll waits for now; 0 when disarmed
  std::uint64_t generation = 0; ///< changes with each phase, so stale timers do nothing
  std::unique_ptr<guarded_stream::event_stream> events;
  std::string out; ///< chunk-encoded frames not yet written
  std::size_t out_offset = 0;
  bool finishing = false; ///< the terminal chunk is in `out`
  bool blocked = false;   ///< the last write would have blocked: wait for EPOLLOUT
  std::chrono::steady_clock::time_point last_frame, last_progress;
};

class connection_loop {
public:
  /// `serve` runs a connection's buffered requests; it is called on a worker with the
  /// connection, which it must pass back to give_back() or close().
  using dispatch_function = std::function<void(std::unique_ptr<connection>)>;

  connection_loop(connection_settings settings, connection_figures& figures, dispatch_function dispatch);
  ~connection_loop();

  connection_loop(const connection_loop&) = delete;
  connection_loop& operator=(const connection_loop&) = delete;

  /// A freshly accepted socket: waits for its first request (any thread).
  void adopt(int fd);
  /// A worker is done with `c`: it waits for its next request, or, if its answer was handed
  /// over to an event stream, the loop writes that stream (any thread).
  void give_back(std::unique_ptr<connection> c);
  /// Closes `c` (any thread).
  void close(std::unique_ptr<connection> c);

  /// Closes every connection the loop holds and stops; later give_backs close at once.
  void stop();

  const connection_settings& settings() const { return settings_; }

private:
  struct timer {
    std::chrono::steady_clock::time_point due;
    std::uint64_t id, generation;
  };

  void run();
  void wake();
  void notify_ready(std::uint64_t id);
  void take_inbox();
  void on_event(std::uint64_t id, std::uint32_t events);
  void on_idle_timers(std::chrono::steady_clock::time_point now);
  void on_stream_timers(std::chrono::steady_clock::time_point now);
  int next_timeout_ms(std::chrono::steady_clock::time_point now) const;

  void enter_idle(std::unique_ptr<connection> c);
  void enter_stream(std::unique_ptr<connection> c);
  /// Writes what the stream has, as far as the socket takes it.
  void pump(connection& c);
  void end_stream(connection& c);
  /// Cuts off a stream whose client stopped reading (log line and metric).
  void drop_stream(connection& c, const char* why);
  void arm(connection& c, std::uint32_t events);
  void close_owned(std::uint64_t id);
  void close_socket(connection& c);

  const connection_settings settings_;
  const std::chrono::milliseconds stream_check_;
  connection_figures& figures_;
  dispatch_function dispatch_;
  wakeable_epoll poll_;
  std::uint64_t next_id_ = 1; ///< 0 marks the wake-up eventfd in epoll

  /// What other threads hand the loop; guarded by inbox_mutex_.
  std::mutex inbox_mutex_;
  std::vector<int> adopted_;
  std::vector<std::unique_ptr<connection>> returned_;
  std::vector<std::uint64_t> ready_;
  bool woken_ = false, stopping_ = false, stopped_ = false;

  /// Loop-thread only.
  std::unordered_map<std::uint64_t, std::unique_ptr<connection>> owned_;
  /// Every entry of a queue is due a fixed time after it was added, so each queue is in order.
  std::deque<timer> idle_timers_, stream_timers_;
  std::thread thread_;
};

} // namespace mediagen
