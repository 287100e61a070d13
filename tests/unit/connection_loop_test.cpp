// The connection loop over real sockets (socket pairs): idle deadlines, hand-over to a worker,
// SSE frames written chunked from the queue, heartbeats, and clients that stop reading.

#include <doctest/doctest.h>

#include <atomic>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "http/connection_loop.hpp"

using namespace mediagen;
using namespace std::chrono_literals;

namespace {

struct socket_pair {
  int server = -1, client = -1;
  socket_pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    server = fds[0];
    client = fds[1];
  }
  ~socket_pair() {
    if (client >= 0) ::close(client);
  }
  // What the client receives within `timeout`, or until it ends with `until_suffix`; `closed`
  // when the loop closed its end.
  std::string read_for(std::chrono::milliseconds timeout, bool* closed = nullptr,
                       const std::string& until_suffix = {}) const {
    std::string out;
    auto until = std::chrono::steady_clock::now() + timeout;
    if (closed) *closed = false;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return out;
      pollfd p{client, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
      char buf[4096];
      ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) {
        if (closed) *closed = true;
        return out;
      }
      out.append(buf, static_cast<std::size_t>(n));
      if (!until_suffix.empty() && out.size() >= until_suffix.size() &&
          out.compare(out.size() - until_suffix.size(), std::string::npos, until_suffix) == 0)
        return out;
    }
  }
};

connection_settings quick() {
  connection_settings s;
  s.keep_alive_timeout = 300ms;
  s.write_timeout = 400ms;
  s.heartbeat = 300ms;
  return s;
}

bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds within) {
  auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (probe()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return probe();
}

/// A loop whose "worker" turns every connection that sends a byte into an SSE stream of `queue`.
struct streaming_loop {
  connection_figures figures;
  sse_queue_ptr queue = std::make_shared<sse_queue>(4);
  std::atomic<int> ended{0};
  connection_loop loop;
  explicit streaming_loop(connection_settings s = quick())
      : loop(s, figures, [this](std::unique_ptr<connection> c) {
          char byte;
          [[maybe_unused]] auto n = ::recv(c->fd, &byte, 1, 0); // the request
          c->stream.hand_over(guarded_stream::event_stream{queue, "t1", [this] { ++ended; }});
          loop.give_back(std::move(c));
        }) {}
};

} // namespace

TEST_CASE("connection loop: an idle connection is closed after the keep-alive timeout") {
  connection_figures figures;
  std::atomic<int> dispatched{0};
  connection_loop loop(quick(), figures, [&](std::unique_ptr<connection>) { ++dispatched; });
  socket_pair p;
  loop.adopt(p.server);
  CHECK(eventually([&] { return figures.idle == 1; }, 1s));
  bool closed = false;
  p.read_for(2s, &closed);
  CHECK(closed);
  CHECK(dispatched == 0);
  CHECK(eventually([&] { return figures.open == 0 && figures.idle == 0; }, 1s));
}

TEST_CASE("connection loop: bytes on an idle connection hand it to a worker, which gives it back") {
  connection_figures figures;
  std::atomic<int> dispatched{0};
  connection_loop* self = nullptr;
  connection_loop loop(quick(), figures, [&](std::unique_ptr<connection> c) {
    char buf[16];
    ::recv(c->fd, buf, sizeof buf, 0);
    ++dispatched;
    self->give_back(std::move(c));
  });
  self = &loop;
  socket_pair p;
  loop.adopt(p.server);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(::send(p.client, "x", 1, 0) == 1);
    CHECK(eventually([&] { return dispatched == i + 1; }, 1s));
  }
  CHECK(eventually([&] { return figures.idle == 1; }, 1s));
  CHECK(figures.open == 1);
}

TEST_CASE("connection loop: a stream's frames go out chunked, then the end chunk, and the connection waits again") {
  streaming_loop s;
  socket_pair p;
  s.loop.adopt(p.server);
  REQUIRE(::send(p.client, "x", 1, 0) == 1);
  REQUIRE(s.queue->push(std::make_shared<const std::string>("id: 1\n\n")));
  auto got = p.read_for(5s, nullptr, "id: 1\n\n\r\n");
  CHECK(got == "7\r\nid: 1\n\n\r\n");
  CHECK(s.figures.streams == 1);
  s.queue->push(std::make_shared<const std::string>("id: 2\n\n"));
  s.queue->close();
  got = p.read_for(5s, nullptr, "0\r\n\r\n");
  CHECK(got == "7\r\nid: 2\n\n\r\n0\r\n\r\n");
  CHECK(eventually([&] { return s.ended == 1 && s.figures.idle == 1; }, 1s));
  CHECK(s.figures.streams == 0);
}

TEST_CASE("connection loop: a silent stream gets heartbeat comments from the loop's timers") {
  streaming_loop s;
  socket_pair p;
  s.loop.adopt(p.server);
  REQUIRE(::send(p.client, "x", 1, 0) == 1);
  auto got = p.read_for(5s, nullptr, "d\r\n: heartbeat\n\n\r\n");
  CHECK(got == "d\r\n: heartbeat\n\n\r\n");
}

TEST_CASE("connection loop: a client that stops reading is cut off, counted, and unsubscribed") {
  streaming_loop s;
  socket_pair p;
  int small = 4096;
  ::setsockopt(p.server, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  ::setsockopt(p.client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  s.loop.adopt(p.server);
  REQUIRE(::send(p.client, "x", 1, 0) == 1);
  CHECK(eventually([&] { return s.figures.streams == 1; }, 1s));
  // Push until the queue refuses: the socket took what it could and the loop stopped writing.
  auto frame = std::make_shared<const std::string>(1000, 'f');
  int pushed = 0;
  while (pushed < 10000 && s.queue->push(frame)) {
    ++pushed;
    std::this_thread::sleep_for(1ms);
  }
  REQUIRE(pushed < 10000);
  SUBCASE("the hub drops it when its queue is full") { s.queue->drop(); }
  SUBCASE("or no byte is taken for the write timeout") {}
  CHECK(eventually([&] { return s.figures.streams_dropped == 1 && s.ended == 1 && s.figures.open == 0; }, 2s));
}

TEST_CASE("connection loop: a stream whose client hangs up ends at once") {
  streaming_loop s;
  socket_pair p;
  s.loop.adopt(p.server);
  REQUIRE(::send(p.client, "x", 1, 0) == 1);
  CHECK(eventually([&] { return s.figures.streams == 1; }, 1s));
  ::close(p.client);
  p.client = -1;
  CHECK(eventually([&] { return s.ended == 1 && s.figures.open == 0; }, 1s));
  CHECK(s.figures.streams_dropped == 0);
}

TEST_CASE("connection loop: stop closes idle connections and streams") {
  auto s = std::make_unique<streaming_loop>();
  socket_pair idle, streaming;
  s->loop.adopt(idle.server);
  s->loop.adopt(streaming.server);
  REQUIRE(::send(streaming.client, "x", 1, 0) == 1);
  CHECK(eventually([&] { return s->figures.streams == 1 && s->figures.idle == 1; }, 1s));
  s->loop.stop();
  bool closed = false;
  idle.read_for(2s, &closed);
  CHECK(closed);
  streaming.read_for(2s, &closed);
  CHECK(closed);
  CHECK(s->ended == 1);
  CHECK(s->figures.open == 0);
}

TEST_CASE("connection loop: a connection moves from the idle loop to a stream loop, and waits there after its stream") {
  connection_figures figures;
  auto queue = std::make_shared<sse_queue>(4);
  std::atomic<int> ended{0};
  connection_loop* streams_ptr = nullptr;
  connection_loop streams(quick(), figures, [](std::unique_ptr<connection>) {});
  streams_ptr = &streams;
  connection_loop idle(quick(), figures, [&](std::unique_ptr<connection> c) {
    char byte;
    [[maybe_unused]] auto n = ::recv(c->fd, &byte, 1, 0);
    c->stream.hand_over(guarded_stream::event_stream{queue, "t2", [&] { ++ended; }});
    streams_ptr->give_back(std::move(c));
  });
  socket_pair p;
  idle.adopt(p.server);
  REQUIRE(::send(p.client, "x", 1, 0) == 1);
  queue->push(std::make_shared<const std::string>("id: 1\n\n"));
  queue->close();
  auto got = p.read_for(5s, nullptr, "0\r\n\r\n");
  CHECK(got == "7\r\nid: 1\n\n\r\n0\r\n\r\n");
  CHECK(eventually([&] { return ended == 1 && figures.idle == 1 && figures.streams == 0; }, 2s));
}
