// ws_listener against a minimal in-process WebSocket server (RFC 6455 handshake and frames
// written by hand here, so this test does not compile websocketpp a second time).
// The server sends what ComfyUI's server.py sends: JSON text frames and binary previews.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "backends/comfyui/ws_listener.hpp"

using namespace mediagen::comfyui;
using namespace std::chrono_literals;

namespace {

// ---- SHA-1 and base64, only for the handshake's Sec-WebSocket-Accept ------------------------

std::uint32_t rol(std::uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

std::string sha1(const std::string& input) {
  std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string m = input;
  const std::uint64_t bits = static_cast<std::uint64_t>(input.size()) * 8;
  m.push_back('\x80');
  while (m.size() % 64 != 56) m.push_back('\0');
  for (int i = 7; i >= 0; --i) m.push_back(static_cast<char>((bits >> (i * 8)) & 0xFF));
  for (size_t chunk = 0; chunk < m.size(); chunk += 64) {
    std::uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(m.data() + chunk + 4 * i);
      w[i] = (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
    }
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      std::uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      const std::uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rol(b, 30);
      b = a;
      a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  std::string out;
  for (auto v : h)
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (i * 8)) & 0xFF));
  return out;
}

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8) |
                            std::uint8_t(in[i + 2]);
    out += {t[n >> 18], t[(n >> 12) & 63], t[(n >> 6) & 63], t[n & 63]};
  }
  if (i + 1 == in.size()) {
    const std::uint32_t n = std::uint32_t(std::uint8_t(in[i])) << 16;
    out += {t[n >> 18], t[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const std::uint32_t n = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8);
    out += {t[n >> 18], t[(n >> 12) & 63], t[(n >> 6) & 63], '='};
  }
  return out;
}

std::string accept_key(const std::string& key) { return base64(sha1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")); }

// ---- the server -------------------------------------------------------------------------------

bool write_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool read_exact(int fd, char* buf, size_t n) {
  size_t off = 0;
  while (off < n) {
    const ssize_t r = ::recv(fd, buf + off, n - off, 0);
    if (r <= 0) return false;
    off += static_cast<size_t>(r);
  }
  return true;
}

std::string encode_frame(int opcode, const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | opcode));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(payload.size()));
  } else if (payload.size() < 65536) {
    f.push_back(126);
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    f.push_back(127);
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((std::uint64_t(payload.size()) >> (8 * i)) & 0xFF));
  }
  return f + payload;
}

/// Accepts WebSocket clients one at a time (a new one replaces the old, like ComfyUI does
/// per clientId), lets the test push frames, answers pings and closes unless told not to.
class tiny_ws_server {
public:
  std::atomic<bool> answer_pings{true};
  std::atomic<bool> answer_close{true};

  explicit tiny_ws_server(int port = 0) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("tiny_ws_server: bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~tiny_ws_server() {
    stopping_ = true;
    accept_thread_.join();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : readers_) t.join();
    ::close(listen_fd_);
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// Waits until `n` handshakes in total have completed.
  bool wait_handshakes(int n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return handshakes_ >= n; });
  }
  int handshakes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return handshakes_;
  }
  std::string last_target() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_target_;
  }
  bool close_received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return close_received_;
  }
  int pings() {
    std::lock_guard<std::mutex> lock(mutex_);
    return pings_;
  }
  bool send_text(const std::string& s) { return send_frame(0x1, s); }
  bool send_binary(const std::string& s) { return send_frame(0x2, s); }
  /// Cuts the current connection without a close frame.
  void drop() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (current_ >= 0) ::shutdown(current_, SHUT_RDWR);
    current_ = -1;
  }

private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::vector<std::thread> readers_;
  std::mutex mutex_;
  std::mutex write_mutex_;
  std::condition_variable cv_;
  int current_ = -1;
  std::vector<int> open_fds_;
  int handshakes_ = 0;
  int pings_ = 0;
  bool close_received_ = false;
  std::string last_target_;

  bool send_frame(int opcode, const std::string& payload) {
    int fd;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fd = current_;
    }
    if (fd < 0) return false;
    std::lock_guard<std::mutex> wl(write_mutex_);
    return write_all(fd, encode_frame(opcode, payload));
  }

  void accept_loop() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      timeval tv{2, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string request;
      char c;
      while (request.find("\r\n\r\n") == std::string::npos && request.size() < 8192) {
        if (::recv(fd, &c, 1, 0) != 1) break;
        request.push_back(c);
      }
      const auto key_pos = request.find("Sec-WebSocket-Key: ");
      if (key_pos == std::string::npos) {
        ::close(fd);
        continue;
      }
      const auto key_end = request.find("\r\n", key_pos);
      const std::string key = request.substr(key_pos + 19, key_end - key_pos - 19);
      const std::string target = request.substr(4, request.find(' ', 4) - 4);
      timeval none{0, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
      {
        // The connection is the current one before the client can see the 101: a test that
        // drops or writes as soon as the client reports itself connected must reach this socket.
        // Holding write_mutex_ keeps any frame behind the 101.
        std::lock_guard<std::mutex> wl(write_mutex_);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          if (current_ >= 0) ::shutdown(current_, SHUT_RDWR); // a new client replaces the old
          current_ = fd;
          open_fds_.push_back(fd);
          ++handshakes_;
          last_target_ = target;
        }
        write_all(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: " +
                          accept_key(key) + "\r\n\r\n");
      }
      cv_.notify_all();
      readers_.emplace_back([this, fd] { read_loop(fd); });
    }
  }

  void read_loop(int fd) {
    for (;;) {
      unsigned char head[2];
      if (!read_exact(fd, reinterpret_cast<char*>(head), 2)) break;
      const int opcode = head[0] & 0x0F;
      std::uint64_t len = head[1] & 0x7F;
      if (len == 126) {
        unsigned char ext[2];
        if (!read_exact(fd, reinterpret_cast<char*>(ext), 2)) break;
        len = (ext[0] << 8) | ext[1];
      } else if (len == 127) {
        unsigned char ext[8];
        if (!read_exact(fd, reinterpret_cast<char*>(ext), 8)) break;
        len = 0;
        for (auto b : ext) len = (len << 8) | b;
      }
      char mask[4] = {0, 0, 0, 0};
      if ((head[1] & 0x80) && !read_exact(fd, mask, 4)) break;
      std::string payload(static_cast<size_t>(len), '\0');
      if (len && !read_exact(fd, payload.data(), payload.size())) break;
      for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= mask[i % 4];
      if (opcode == 0x8) { // close
        {
          std::lock_guard<std::mutex> lock(mutex_);
          close_received_ = true;
        }
        if (answer_close) {
          std::lock_guard<std::mutex> wl(write_mutex_);
          write_all(fd, encode_frame(0x8, payload.substr(0, 2)));
          break;
        }
      } else if (opcode == 0x9) { // ping
        {
          std::lock_guard<std::mutex> lock(mutex_);
          ++pings_;
        }
        if (answer_pings) {
          std::lock_guard<std::mutex> wl(write_mutex_);
          write_all(fd, encode_frame(0xA, payload));
        }
      }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (current_ == fd) current_ = -1;
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  }
};

/// Collects what the listener reports.
struct recorder {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<ws_frame> frames;
  std::vector<std::pair<bool, std::string>> states;

  ws_listener::frame_callback frame_cb() {
    return [this](const ws_frame& f) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        frames.push_back(f);
      }
      cv.notify_all();
    };
  }
  ws_listener::state_callback state_cb() {
    return [this](bool up, const std::string& why) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        states.emplace_back(up, why);
      }
      cv.notify_all();
    };
  }
  bool wait(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, timeout, pred);
  }
  size_t frame_count() {
    std::lock_guard<std::mutex> lock(mutex);
    return frames.size();
  }
  size_t state_count() {
    std::lock_guard<std::mutex> lock(mutex);
    return states.size();
  }
};

ws_options fast_options() {
  ws_options o;
  o.initial_backoff = 50ms;
  o.max_backoff = 200ms;
  o.connect_timeout = 1000ms;
  o.close_timeout = 500ms;
  o.ping_interval = 0ms;
  return o;
}

int unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

} // namespace

TEST_SUITE("comfyui ws_listener") {

  TEST_CASE("the handshake helper matches RFC 6455's example") {
    CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  }

  TEST_CASE("connects with clientId, delivers text frames in order, skips binary previews") {
    tiny_ws_server server;
    recorder rec;
    ws_listener ws(*parse_base_url(server.url()), "client-123", rec.frame_cb(), rec.state_cb(), fast_options());
    CHECK(ws.url() == server.url().replace(0, 4, "ws") + "/ws?clientId=client-123");
    CHECK(ws.start());
    CHECK(ws.start()); // idempotent
    const bool up = ws.wait_connected(3s);
    INFO(ws.stats().last_error);
    REQUIRE(up);
    CHECK(ws.connected());
    REQUIRE(server.wait_handshakes(1, 2s));
    CHECK(server.last_target() == "/ws?clientId=client-123");
    REQUIRE(rec.wait([&] { return !rec.states.empty(); }));
    CHECK(rec.states[0].first);

    server.send_text(
        R"({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "client-123"}})");
    server.send_binary(std::string("\x00\x00\x00\x01\x00\x00\x00\x02", 8) + std::string(70000, 'x'));
    server.send_text(R"({"type": "executing", "data": {"node": "3", "display_node": "3", "prompt_id": "p1"}})");
    server.send_text("this is not json");
    server.send_text(R"({"type": "progress", "data": {"value": 3, "max": 20, "prompt_id": "p1", "node": "3"}})");
    REQUIRE(rec.wait([&] { return rec.frames.size() >= 4; }));
    {
      std::lock_guard<std::mutex> lock(rec.mutex);
      REQUIRE(rec.frames.size() == 4);
      CHECK(std::get<status_frame>(rec.frames[0]).sid == "client-123");
      CHECK(std::get<executing_frame>(rec.frames[1]).node == std::optional<std::string>("3"));
      CHECK_FALSE(std::get<unknown_frame>(rec.frames[2]).error.empty());
      CHECK(std::get<progress_frame>(rec.frames[3]).value == 3);
    }
    const auto s = ws.stats();
    CHECK(s.running);
    CHECK(s.connected);
    CHECK(s.text_frames == 4);
    CHECK(s.binary_frames == 1);
    CHECK(s.malformed_frames == 1);
    CHECK(s.connects == 1);

    const auto t0 = std::chrono::steady_clock::now();
    ws.stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 2500ms);
    CHECK_FALSE(ws.connected());
    CHECK(rec.wait([&] { return server.close_received(); }, 1s));
    CHECK_FALSE(ws.stats().running);
  }

  TEST_CASE("reconnects after a drop, with the same clientId") {
    tiny_ws_server server;
    recorder rec;
    ws_listener ws(*parse_base_url(server.url()), "same-id", rec.frame_cb(), rec.state_cb(), fast_options());
    ws.start();
    REQUIRE(ws.wait_connected(3s));
    server.drop();
    REQUIRE(rec.wait([&] { return rec.states.size() >= 2; }));
    {
      std::lock_guard<std::mutex> lock(rec.mutex);
      CHECK_FALSE(rec.states[1].first);
      CHECK(rec.states[1].second.find("closed") != std::string::npos);
    }
    REQUIRE(server.wait_handshakes(2, 3s));
    REQUIRE(rec.wait([&] { return rec.states.size() >= 3; }));
    {
      std::lock_guard<std::mutex> lock(rec.mutex);
      CHECK(rec.states[2].first);
    }
    CHECK(server.last_target() == "/ws?clientId=same-id");
    REQUIRE(ws.wait_connected(2s));
    server.send_text(R"({"type": "execution_success", "data": {"prompt_id": "p9", "timestamp": 1}})");
    REQUIRE(rec.wait([&] { return !rec.frames.empty(); }));
    const auto s = ws.stats();
    CHECK(s.connects == 2);
    CHECK(s.drops == 1);
  }

  TEST_CASE("retries with back-off while ComfyUI is down, reports the failure once, connects when it appears") {
    const int port = unused_port();
    recorder rec;
    auto opts = fast_options();
    ws_listener ws(*parse_base_url("http://127.0.0.1:" + std::to_string(port)), "late", rec.frame_cb(), rec.state_cb(),
                   opts);
    ws.start();
    CHECK_FALSE(ws.wait_connected(700ms));
    auto s = ws.stats();
    CHECK(s.attempts >= 3); // 50 + 100 + 200 + 200 ms of back-off fit in 700 ms
    CHECK(s.attempts <= 8);
    CHECK(s.failures >= 3);
    CHECK(s.next_backoff == 200ms);
    CHECK(s.last_error.find("unreachable") != std::string::npos);
    {
      std::lock_guard<std::mutex> lock(rec.mutex);
      REQUIRE(rec.states.size() == 1); // reported once, not per attempt
      CHECK_FALSE(rec.states[0].first);
    }
    tiny_ws_server server(port);
    REQUIRE(ws.wait_connected(3s));
    CHECK(ws.stats().next_backoff == 50ms); // reset once connected
    REQUIRE(rec.wait([&] { return rec.states.size() == 2; }));
  }

  TEST_CASE("stop() is quick while disconnected and while the peer ignores the close - no callbacks after") {
    {
      recorder rec;
      ws_listener ws(*parse_base_url("http://127.0.0.1:" + std::to_string(unused_port())), "x", rec.frame_cb(),
                     rec.state_cb(), fast_options());
      ws.start();
      std::this_thread::sleep_for(120ms);
      const auto t0 = std::chrono::steady_clock::now();
      ws.stop();
      ws.stop(); // idempotent
      CHECK(std::chrono::steady_clock::now() - t0 < 500ms);
      CHECK_FALSE(ws.wait_connected(10ms));
      CHECK_FALSE(ws.start()); // not restartable
    }
    {
      tiny_ws_server server;
      server.answer_close = false;
      recorder rec;
      ws_listener ws(*parse_base_url(server.url()), "y", rec.frame_cb(), rec.state_cb(), fast_options());
      ws.start();
      REQUIRE(ws.wait_connected(3s));
      REQUIRE(rec.wait([&] { return rec.states.size() == 1; })); // the "connected" report
      const size_t states_before = rec.state_count();
      const auto t0 = std::chrono::steady_clock::now();
      ws.stop();
      CHECK(std::chrono::steady_clock::now() - t0 < 2500ms); // close_timeout 0.5 s + 0.5 s grace, bounded
      server.send_text(R"({"type": "status", "data": {}})");
      std::this_thread::sleep_for(50ms);
      CHECK(rec.state_count() == states_before);
      CHECK(rec.frame_count() == 0);
    }
    {
      // Destroyed without stop(): the destructor stops and joins.
      tiny_ws_server server;
      recorder rec;
      auto ws = std::make_unique<ws_listener>(*parse_base_url(server.url()), "z", rec.frame_cb(), rec.state_cb(),
                                              fast_options());
      ws->start();
      REQUIRE(ws->wait_connected(3s));
      ws.reset();
      // Never started: nothing to join.
      ws_listener idle(*parse_base_url(server.url()), "idle", nullptr, nullptr, fast_options());
    }
  }

  TEST_CASE("wait_connected is released by stop() from another thread") {
    recorder rec;
    ws_listener ws(*parse_base_url("http://127.0.0.1:" + std::to_string(unused_port())), "w", rec.frame_cb(),
                   rec.state_cb(), fast_options());
    ws.start();
    std::thread stopper([&] {
      std::this_thread::sleep_for(100ms);
      ws.stop();
    });
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_FALSE(ws.wait_connected(5s));
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    stopper.join();
  }

  TEST_CASE("a throwing callback is recorded and the listener goes on") {
    tiny_ws_server server;
    std::atomic<int> calls{0};
    ws_listener ws(
        *parse_base_url(server.url()), "t",
        [&](const ws_frame&) {
          if (++calls == 1) throw std::runtime_error("boom");
        },
        [](bool, const std::string&) { throw 42; }, fast_options());
    ws.start();
    REQUIRE(ws.wait_connected(3s));
    // The client may see the socket open before the server has recorded the connection.
    REQUIRE(server.wait_handshakes(1, 3s));
    REQUIRE(server.send_text(R"({"type": "status", "data": {}})"));
    REQUIRE(server.send_text(R"({"type": "status", "data": {}})"));
    for (int i = 0; i < 500 && calls < 2; ++i) std::this_thread::sleep_for(10ms);
    CHECK(calls == 2);
    CHECK(ws.stats().last_error.find("boom") != std::string::npos);
    CHECK(ws.connected());
  }

  TEST_CASE("a peer that stops answering pings is dropped and reconnected") {
    tiny_ws_server server;
    server.answer_pings = false;
    server.answer_close = false;
    recorder rec;
    auto opts = fast_options();
    opts.ping_interval = 100ms;
    opts.pong_timeout = 150ms;
    opts.close_timeout = 200ms;
    ws_listener ws(*parse_base_url(server.url()), "p", rec.frame_cb(), rec.state_cb(), opts);
    ws.start();
    REQUIRE(ws.wait_connected(3s));
    const bool again = server.wait_handshakes(2, 5s);
    INFO("pings=" << server.pings() << " drops=" << ws.stats().drops << " err=" << ws.stats().last_error);
    REQUIRE(again);
    CHECK(server.pings() >= 1);
    CHECK(ws.stats().drops >= 1);
  }

  TEST_CASE("wss URLs are refused at start") {
    recorder rec;
    ws_listener ws(*parse_base_url("https://comfy.example.org"), "s", rec.frame_cb(), rec.state_cb());
    CHECK_FALSE(ws.start());
    REQUIRE(rec.state_count() == 1);
    CHECK(rec.states[0].second.find("TLS") != std::string::npos);
  }

} // TEST_SUITE
