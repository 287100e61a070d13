#pragma once
// An epoll set with an eventfd in it, so another thread can wake the one waiting in epoll_wait:
// what the connection loop and the disconnect watcher both wait on. The eventfd is registered
// with data.u64 == wake_tag.

#include <cstdint>
#include <system_error>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace mediagen {

class wakeable_epoll {
public:
  static constexpr std::uint64_t wake_tag = 0;

  /// Throws std::system_error when the kernel refuses (out of fds): a loop without its set
  /// would wait forever on nothing.
  wakeable_epoll() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = wake_tag;
    if (wake_fd_ < 0 || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
      int e = errno;
      if (wake_fd_ >= 0) ::close(wake_fd_);
      ::close(epoll_fd_);
      throw std::system_error(e, std::generic_category(), "eventfd");
    }
  }
  ~wakeable_epoll() {
    ::close(wake_fd_);
    ::close(epoll_fd_);
  }
  wakeable_epoll(const wakeable_epoll&) = delete;
  wakeable_epoll& operator=(const wakeable_epoll&) = delete;

  int fd() const { return epoll_fd_; }
  /// Makes the waiting thread's epoll_wait return (an event with wake_tag).
  void wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
  /// Resets the eventfd after a wake-up was seen.
  void drain_wake() {
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
  }

private:
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
};

} // namespace mediagen
