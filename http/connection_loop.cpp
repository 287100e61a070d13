#include "http/connection_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mediagen {

namespace {

using clock = std::chrono::steady_clock;

constexpr std::uint32_t idle_events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
// A stream reads nothing: a request the client pipelines after it stays in the socket until the
// stream ends. A hang-up still shows (EPOLLRDHUP; EPOLLHUP and EPOLLERR always do).
constexpr std::uint32_t stream_events = EPOLLRDHUP | EPOLLONESHOT;
// Frames taken from the queue into one write; the queue itself is the bounded buffer.
constexpr std::size_t max_batch_bytes = 16 * 1024;
// A written batch's memory is kept for the next one only up to this: 10,000 streams each keeping
// the largest batch they ever had would hold hundreds of MB.
constexpr std::size_t kept_batch_bytes = 2 * 1024;

void append_chunk(std::string& out, const std::string& payload) {
  char size[20];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", payload.size());
  out.append(size, static_cast<std::size_t>(n));
  out += payload;
  out += "\r\n";
}

} // namespace

connection::connection(int socket, std::uint64_t conn_id, const connection_settings& s)
    : fd(socket), id(conn_id), stream(socket, s.read_timeout, s.write_timeout, s.request_timeout),
      requests_left(s.keep_alive_max) {}

connection_loop::connection_loop(connection_settings settings, connection_figures& figures, dispatch_function dispatch)
    : settings_(settings),
      // Streams are checked twice per heartbeat (or write timeout): a heartbeat goes out after
      // 1 to 1.5 intervals of silence.
      stream_check_(std::max(std::chrono::milliseconds(100), std::min(settings.heartbeat, settings.write_timeout) / 2)),
      figures_(figures), dispatch_(std::move(dispatch)) {
  thread_ = std::thread([this] { run(); });
}

connection_loop::~connection_loop() { stop(); }

void connection_loop::wake() {
  // Called with inbox_mutex_ held: one eventfd write per batch of hand-overs.
  if (woken_) return;
  woken_ = true;
  poll_.wake();
}

void connection_loop::adopt(int fd) {
  {
    std::lock_guard<std::mutex> lock(inbox_mutex_);
    if (!stopped_) {
      adopted_.push_back(fd);
      ++figures_.open;
      ++figures_.accepted;
      wake();
      return;
    }
  }
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

void connection_loop::give_back(std::unique_ptr<connection> c) {
  {
    std::lock_guard<std::mutex> lock(inbox_mutex_);
    if (!stopped_) {
      returned_.push_back(std::move(c));
      wake();
      return;
    }
  }
  close(std::move(c));
}

void connection_loop::close(std::unique_ptr<connection> c) {
  if (auto events = c->stream.take_event_stream()) events->on_end();
  close_socket(*c);
}

void connection_loop::close_socket(connection& c) {
  ::shutdown(c.fd, SHUT_RDWR);
  ::close(c.fd);
  --figures_.open;
}

void connection_loop::notify_ready(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(inbox_mutex_);
  ready_.push_back(id);
  wake();
}

void connection_loop::stop() {
  {
    std::lock_guard<std::mutex> lock(inbox_mutex_);
    if (stopping_) return;
    stopping_ = true;
    wake();
  }
  thread_.join();
}

void connection_loop::run() {
  std::vector<epoll_event> events(512);
  for (;;) {
    int n = ::epoll_wait(poll_.fd(), events.data(), static_cast<int>(events.size()), next_timeout_ms(clock::now()));
    if (n < 0 && errno != EINTR) {
      std::fprintf(stderr, "error http epoll_wait failed errno=%d\n", errno);
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == wakeable_epoll::wake_tag) {
        poll_.drain_wake();
      } else {
        on_event(events[i].data.u64, events[i].events);
      }
    }
    take_inbox();
    {
      std::lock_guard<std::mutex> lock(inbox_mutex_);
      if (stopping_) break;
    }
    auto now = clock::now();
    on_idle_timers(now);
    on_stream_timers(now);
  }
  // Stopping: from now on give_back and adopt close at once; close what is here or in flight.
  {
    std::lock_guard<std::mutex> lock(inbox_mutex_);
    stopped_ = true;
  }
  take_inbox();
  std::vector<std::uint64_t> ids;
  for (auto& entry : owned_) ids.push_back(entry.first);
  for (auto id : ids) close_owned(id);
}

int connection_loop::next_timeout_ms(clock::time_point now) const {
  auto next = clock::time_point::max();
  if (!idle_timers_.empty()) next = idle_timers_.front().due;
  if (!stream_timers_.empty()) next = std::min(next, stream_timers_.front().due);
  if (next == clock::time_point::max()) return -1;
  if (next <= now) return 0;
  // Rounded up, so the loop does not wake a millisecond early and spin.
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count()) + 1;
}

void connection_loop::take_inbox() {
  std::vector<int> adopted;
  std::vector<std::unique_ptr<connection>> returned;
  std::vector<std::uint64_t> ready;
  {
    std::lock_guard<std::mutex> lock(inbox_mutex_);
    adopted.swap(adopted_);
    returned.swap(returned_);
    ready.swap(ready_);
    woken_ = false;
  }
  for (int fd : adopted) {
    auto c = std::make_unique<connection>(fd, next_id_++, settings_);
    enter_idle(std::move(c));
  }
  for (auto& c : returned) {
    if (c->stream.handed_over())
      enter_stream(std::move(c));
    else
      enter_idle(std::move(c));
  }
  for (auto id : ready) {
    auto it = owned_.find(id);
    if (it == owned_.end() || it->second->state != connection::phase::streaming) continue;
    auto& c = *it->second;
    if (!c.blocked)
      pump(c); // a blocked stream resumes on EPOLLOUT...
    else if (c.events->queue->dropped())
      drop_stream(c, "its queue is full"); // ...unless the hub cut it off
  }
}

void connection_loop::enter_idle(std::unique_ptr<connection> c) {
  if (c->requests_left == 0 || c->stream.closing()) return close(std::move(c));
  // A request pipelined behind an SSE stream was read already: epoll would not report it.
  if (c->stream.has_buffered()) return dispatch_(std::move(c));
  c->stream.release_buffer();
  c->state = connection::phase::idle;
  ++c->generation;
  idle_timers_.push_back(timer{clock::now() + settings_.keep_alive_timeout, c->id, c->generation});
  ++figures_.idle;
  auto& ref = *c;
  owned_[c->id] = std::move(c);
  arm(ref, idle_events);
}

void connection_loop::enter_stream(std::unique_ptr<connection> c) {
  c->events = c->stream.take_event_stream();
  c->stream.release_buffer();
  c->state = connection::phase::streaming;
  ++c->generation;
  c->last_frame = c->last_progress = clock::now();
  c->blocked = c->finishing = false;
  ++figures_.streams;
  auto id = c->id;
  auto& ref = *c;
  owned_[id] = std::move(c);
  stream_timers_.push_back(timer{clock::now() + stream_check_, id, ref.generation});
  // Frames queued since the subscribe (the replay) make it call at once: pumped with the inbox.
  ref.events->queue->set_listener([this, id] { notify_ready(id); });
  arm(ref, stream_events);
}

void connection_loop::arm(connection& c, std::uint32_t events) {
  if (c.armed == events && c.epoll_set == poll_.fd()) return;
  // A connection moving between loops (to the stream loop and back) leaves the other's epoll; it
  // is disarmed there, so no event of it can be pending.
  if (c.epoll_set >= 0 && c.epoll_set != poll_.fd()) {
    ::epoll_ctl(c.epoll_set, EPOLL_CTL_DEL, c.fd, nullptr);
    c.epoll_set = -1;
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = c.id;
  int rc = ::epoll_ctl(poll_.fd(), c.epoll_set == poll_.fd() ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd, &ev);
  if (rc != 0) {
    std::fprintf(stderr, "warn http epoll_ctl failed errno=%d\n", errno);
    return close_owned(c.id);
  }
  c.epoll_set = poll_.fd();
  c.armed = events;
}

void connection_loop::on_event(std::uint64_t id, std::uint32_t events) {
  auto it = owned_.find(id);
  if (it == owned_.end()) return;
  auto& c = *it->second;
  c.armed = 0; // ONESHOT: nothing more until re-armed
  if (c.state == connection::phase::idle) {
    char byte;
    ssize_t n = ::recv(c.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0 || c.stream.has_buffered()) {
      // The next request is arriving: a worker reads and answers it.
      auto owned = std::move(it->second);
      owned_.erase(it);
      --figures_.idle;
      ++owned->generation;
      dispatch_(std::move(owned));
      return;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return close_owned(id);
    return arm(c, idle_events);
  }
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) return close_owned(id); // the client left
  if (events & EPOLLOUT) {
    c.blocked = false;
    c.last_progress = clock::now();
    pump(c);
    return;
  }
  arm(c, stream_events);
}

void connection_loop::pump(connection& c) {
  auto id = c.id;
  for (;;) {
    if (c.out_offset == c.out.size()) {
      if (c.out.capacity() > kept_batch_bytes)
        std::string().swap(c.out);
      else
        c.out.clear();
      c.out_offset = 0;
      if (c.finishing) return end_stream(c);
      sse_frame frame;
      while (c.out.size() < max_batch_bytes) {
        auto got = c.events->queue->take(frame);
        if (got == sse_queue::take_result::frame) {
          append_chunk(c.out, *frame);
          continue;
        }
        if (got == sse_queue::take_result::closed) {
          c.out += "0\r\n\r\n"; // the end of the chunked body
          c.finishing = true;
        } else if (got == sse_queue::take_result::dropped) {
          return drop_stream(c, "its queue is full");
        }
        break;
      }
      if (c.out.empty()) return arm(c, stream_events);
    }
    ssize_t n = ::send(c.fd, c.out.data() + c.out_offset, c.out.size() - c.out_offset, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      c.out_offset += static_cast<std::size_t>(n);
      c.last_frame = c.last_progress = clock::now();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      c.blocked = true;
      return arm(c, stream_events | EPOLLOUT);
    }
    return close_owned(id);
  }
}

void connection_loop::end_stream(connection& c) {
  // The stream ended whole: the connection may carry a next request.
  auto events = std::move(c.events);
  events->queue->set_listener(nullptr);
  events->on_end();
  --figures_.streams;
  auto it = owned_.find(c.id);
  auto owned = std::move(it->second);
  owned_.erase(it);
  enter_idle(std::move(owned));
}

void connection_loop::drop_stream(connection& c, const char* why) {
  ++figures_.streams_dropped;
  std::fprintf(stderr, "warn http sse stream dropped: the client stopped reading and %s task=%s\n", why,
               c.events->task_id.c_str());
  close_owned(c.id);
}

void connection_loop::close_owned(std::uint64_t id) {
  auto it = owned_.find(id);
  if (it == owned_.end()) return;
  auto c = std::move(it->second);
  owned_.erase(it);
  if (c->state == connection::phase::idle) --figures_.idle;
  if (c->events) {
    c->events->queue->set_listener(nullptr);
    c->events->on_end();
    --figures_.streams;
  }
  close_socket(*c);
}

void connection_loop::on_idle_timers(clock::time_point now) {
  while (!idle_timers_.empty() && idle_timers_.front().due <= now) {
    auto t = idle_timers_.front();
    idle_timers_.pop_front();
    auto it = owned_.find(t.id);
    if (it == owned_.end() || it->second->generation != t.generation) continue; // it moved on meanwhile
    close_owned(t.id);
  }
}

void connection_loop::on_stream_timers(clock::time_point now) {
  while (!stream_timers_.empty() && stream_timers_.front().due <= now) {
    auto t = stream_timers_.front();
    stream_timers_.pop_front();
    auto it = owned_.find(t.id);
    if (it == owned_.end() || it->second->generation != t.generation) continue;
    auto& c = *it->second;
    if (c.blocked && now - c.last_progress >= settings_.write_timeout) {
      drop_stream(c, "it took no byte for the write timeout");
      continue;
    }
    if (!c.blocked && c.out_offset == c.out.size() && !c.finishing && now - c.last_frame >= settings_.heartbeat) {
      append_chunk(c.out, ": heartbeat\n\n");
      pump(c);
      it = owned_.find(t.id);
      if (it == owned_.end() || it->second->generation != t.generation) continue;
    }
    stream_timers_.push_back(timer{now + stream_check_, t.id, t.generation});
  }
}

} // namespace mediagen
