#include "http/guarded_stream.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

namespace mediagen {

namespace {

thread_local guarded_stream* current_stream = nullptr;

void address_of(const sockaddr_storage& ss, std::string& ip, int& port) {
  char host[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
  }
  ip = host;
}

} // namespace

guarded_stream* guarded_stream::current() { return current_stream; }
void guarded_stream::set_current(guarded_stream* s) { current_stream = s; }

guarded_stream::guarded_stream(int sock, std::chrono::milliseconds read_timeout,
                               std::chrono::milliseconds write_timeout, std::chrono::milliseconds request_timeout)
    : sock_(sock), read_timeout_(read_timeout), write_timeout_(write_timeout), request_timeout_(request_timeout) {}

bool guarded_stream::wait(short events, std::chrono::milliseconds timeout) const {
  pollfd p{sock_, events, 0};
  for (;;) {
    int rc = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, timeout.count())));
    if (rc < 0 && errno == EINTR) continue;
    return rc > 0 && (p.revents & events);
  }
}

bool guarded_stream::is_readable() const {
  if (offset_ < buffered_) return true;
  // Each wait is bounded by the read timeout and by what is left of the request's deadline.
  auto timeout = read_timeout_;
  if (deadline_ != clock::time_point::max()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - clock::now());
    if (left.count() <= 0) return false;
    timeout = std::min(timeout, left);
  }
  return wait(POLLIN, timeout);
}

bool guarded_stream::is_writable() const {
  if (!wait(POLLOUT, write_timeout_)) return false;
  // A peer that has gone away shows as readable with nothing to read.
  char byte;
  pollfd p{sock_, POLLIN, 0};
  if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP)))
    return ::recv(sock_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) != 0;
  return true;
}

std::string guarded_stream::peek(std::size_t n) const {
  if (has_buffered()) return std::string(buffer_.get() + offset_, std::min(n, buffered_ - offset_));
  std::string out(n, '\0');
  ssize_t got;
  do got = ::recv(sock_, out.data(), n, MSG_PEEK | MSG_DONTWAIT);
  while (got < 0 && errno == EINTR);
  out.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return out;
}

ssize_t guarded_stream::read(char* ptr, size_t size) {
  if (offset_ < buffered_) {
    std::size_t n = std::min(size, buffered_ - offset_);
    std::memcpy(ptr, buffer_.get() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
  }
  if (!is_readable()) return -1;
  if (size >= buffer_size) { // large reads (bodies) go straight to the caller
    ssize_t n;
    do n = ::recv(sock_, ptr, size, 0);
    while (n < 0 && errno == EINTR);
    return n;
  }
  if (!buffer_) buffer_.reset(new char[buffer_size]);
  ssize_t n;
  do n = ::recv(sock_, buffer_.get(), buffer_size, 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return n;
  buffered_ = static_cast<std::size_t>(n);
  offset_ = 0;
  return read(ptr, size);
}

ssize_t guarded_stream::write(const char* ptr, size_t size) {
  if (!is_writable()) return -1;
  ssize_t n;
  do n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

void guarded_stream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) address_of(ss, ip, port);
}

void guarded_stream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) address_of(ss, ip, port);
}

} // namespace mediagen
