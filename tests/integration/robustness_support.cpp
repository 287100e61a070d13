#include "robustness_support.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

namespace mediagen::testing::robust {

namespace {

using steady = std::chrono::steady_clock;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int remaining_ms(steady::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Where the response that starts `text` ends, or npos when it is not complete yet.
std::size_t response_end(const std::string& text) {
  auto head_end = text.find("\r\n\r\n");
  if (head_end == std::string::npos) return std::string::npos;
  auto head = lower(text.substr(0, head_end));
  auto at = head.find("\r\ncontent-length:");
  if (at == std::string::npos) {
    // Only bodiless answers are complete without a length (we never read chunked ones here).
    auto status = std::atoi(text.c_str() + 9);
    if (status == 204 || status == 304 || (status >= 100 && status < 200)) return head_end + 4;
    return std::string::npos;
  }
  auto length = std::strtoull(head.c_str() + at + 17, nullptr, 10);
  if (text.size() < head_end + 4 + length) return std::string::npos;
  return head_end + 4 + length;
}

} // namespace

raw_socket::raw_socket(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

raw_socket::~raw_socket() {
  if (fd_ >= 0) ::close(fd_);
}

bool raw_socket::send_all(const std::string& bytes) {
  if (fd_ < 0) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::string raw_socket::read_for(std::chrono::milliseconds timeout, bool* closed) {
  std::string out = std::move(pending_);
  pending_.clear();
  if (closed) *closed = false;
  if (fd_ < 0) {
    if (closed) *closed = true;
    return out;
  }
  auto deadline = steady::now() + timeout;
  char buffer[65536];
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return out; // timeout
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (closed) *closed = true;
      return out;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

bool raw_socket::wait_closed(std::chrono::milliseconds timeout, std::string* received) {
  bool closed = false;
  auto got = read_for(timeout, &closed);
  if (received) *received += got;
  return closed;
}

std::string raw_socket::read_response(std::chrono::milliseconds timeout, bool* closed) {
  std::string out = std::move(pending_);
  pending_.clear();
  if (closed) *closed = false;
  auto deadline = steady::now() + timeout;
  char buffer[65536];
  while (fd_ >= 0) {
    auto end = response_end(out);
    if (end != std::string::npos) {
      pending_ = out.substr(end);
      out.resize(end);
      return out;
    }
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return out;
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (closed) *closed = true;
      return out;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  if (closed) *closed = true;
  return out;
}

raw_response parse_response(const std::string& text) {
  raw_response r;
  r.raw = text;
  if (text.rfind("HTTP/1.", 0) != 0 || text.size() < 12) return r;
  r.status = std::atoi(text.c_str() + 9);
  auto head_end = text.find("\r\n\r\n");
  std::string head = text.substr(0, head_end);
  std::size_t at = head.find("\r\n");
  while (at != std::string::npos) {
    auto next = head.find("\r\n", at + 2);
    auto line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[lower(line.substr(0, colon))] = value;
    }
    at = next;
  }
  if (head_end != std::string::npos) r.body = text.substr(head_end + 4);
  return r;
}

raw_response raw_exchange(int port, const std::string& request, std::chrono::milliseconds timeout,
                          std::chrono::milliseconds close_wait) {
  raw_socket s(port);
  if (!s.connected()) return {};
  // A server that refuses early may close before taking every byte: the answer still counts.
  s.send_all(request);
  bool closed = false;
  auto r = parse_response(s.read_response(timeout, &closed));
  r.closed = closed;
  if (!closed && close_wait.count() > 0) r.closed = s.wait_closed(close_wait);
  return r;
}

std::string http_request(const std::string& method, const std::string& target, const std::string& body,
                         const std::string& content_type, const std::vector<std::string>& extra_headers) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!content_type.empty()) out += "Content-Type: " + content_type + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  for (auto& h : extra_headers) out += h + "\r\n";
  return out + "\r\n" + body;
}

bool wait_exited(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
      return true;
    if (steady::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

std::string state_of(httplib::Client& c, const std::string& id) {
  auto res = c.Get(("/tasks/" + id).c_str());
  if (!res) return "error:no-answer";
  if (res->status == 404) return "";
  if (res->status != 200) return "error:" + std::to_string(res->status);
  json::document d;
  if (!json::parse(res->body, d).empty() || !d.IsObject() || !d.HasMember("state") || !d["state"].IsString())
    return "error:bad-json";
  return d["state"].GetString();
}

std::string wait_for_state(httplib::Client& c, const std::string& id,
                           const std::function<bool(const std::string&)>& accept, std::chrono::milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  std::string state;
  for (;;) {
    state = state_of(c, id);
    if (accept(state) || steady::now() >= deadline) return state;
    std::this_thread::sleep_for(10ms);
  }
}

std::string wait_until_ended(httplib::Client& c, const std::string& id, std::chrono::milliseconds timeout) {
  return wait_for_state(
      c, id, [](const std::string& s) { return s != "queued" && s != "running" && s != "cancelling"; }, timeout);
}

std::int64_t supervisor_figure(httplib::Client& c, const std::string& name) {
  auto res = c.Get("/debug/actors");
  if (!res || res->status != 200) return -1;
  json::document d;
  if (!json::parse(res->body, d).empty() || !d.IsObject() || !d.HasMember("actors")) return -1;
  for (auto& a : d["actors"].GetArray())
    if (a.HasMember("kind") && a["kind"] == "supervisor" && a.HasMember(name.c_str()) && a[name.c_str()].IsNumber())
      return a[name.c_str()].GetInt64();
  return -1;
}

event_reader::event_reader(int port, std::string task_id, std::chrono::seconds timeout)
    : thread_(
          [this, port, id = std::move(task_id), timeout] { events_ = read_events(port, id, -1, timeout, &status_); }) {}

event_reader::~event_reader() {
  if (thread_.joinable()) thread_.join();
}

const std::vector<sse_event>& event_reader::join() {
  if (thread_.joinable()) thread_.join();
  return events_;
}

std::vector<std::string> event_reader::terminal_events(const std::vector<sse_event>& events) {
  std::vector<std::string> out;
  for (auto& e : events)
    if (e.event == "complete" || e.event == "error-event" || e.event == "cancelled") out.push_back(e.event);
  return out;
}

} // namespace mediagen::testing::robust
