#pragma once
// The socket stream our HTTP connections are served through. cpp-httplib's own stream bounds
// each read, so a client sending a byte now and then (slowloris) would hold an HTTP thread
// forever; this one also gives every request a deadline for arriving whole (head and body),
// and lets a handler end the connection after its answer (framing errors).

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <httplib.h>

#include "actors/sse_queue.hpp"

namespace mediagen {

class guarded_stream : public httplib::Stream {
public:
  using clock = std::chrono::steady_clock;

  guarded_stream(int sock, std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout,
                 std::chrono::milliseconds request_timeout);

  /// A new request may start arriving: it must be read whole within the request timeout.
  void start_request() { deadline_ = clock::now() + request_timeout_; }
  /// The request was read: answering it (an SSE stream, a sync wait) has no deadline.
  void request_read() { deadline_ = clock::time_point::max(); }
  /// No request follows on this connection.
  void close_after_answer() { closing_ = true; }
  bool closing() const { return closing_; }
  /// Bytes already read from the socket and not yet consumed: a pipelined next request.
  bool has_buffered() const { return offset_ < buffered_; }
  /// Up to `n` of the bytes the next read returns, without consuming them: from the buffer if
  /// it holds any, else peeked from the socket without waiting (fewer if fewer have arrived).
  std::string peek(std::size_t n) const;
  /// Frees the read buffer while nothing is in it (an idle connection costs no buffer).
  void release_buffer() {
    if (!has_buffered()) buffer_.reset();
  }

  /// An SSE answer whose headers were written: the connection loop writes the rest from `queue`
  /// and calls `on_end` once the stream is over. Set by the stream's content provider.
  struct event_stream {
    sse_queue_ptr queue;
    std::string task_id;
    std::function<void()> on_end;
  };
  void hand_over(event_stream s) { event_stream_ = std::make_unique<event_stream>(std::move(s)); }
  std::unique_ptr<event_stream> take_event_stream() { return std::move(event_stream_); }
  bool handed_over() const { return event_stream_ != nullptr; }

  /// The stream the calling HTTP worker is serving, if any (set by http_server::serve).
  static guarded_stream* current();
  static void set_current(guarded_stream* s);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return sock_; }

private:
  bool wait(short events, std::chrono::milliseconds timeout) const;
  int sock_;
  std::chrono::milliseconds read_timeout_, write_timeout_, request_timeout_;
  clock::time_point deadline_ = clock::time_point::max();
  bool closing_ = false;
  /// Reads are buffered: httplib reads request lines a byte at a time. Allocated on demand.
  static constexpr std::size_t buffer_size = 4096;
  std::unique_ptr<char[]> buffer_;
  std::size_t buffered_ = 0, offset_ = 0;
  std::unique_ptr<event_stream> event_stream_;
};

} // namespace mediagen
