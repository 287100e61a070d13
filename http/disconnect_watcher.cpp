#include "http/disconnect_watcher.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace mediagen {

disconnect_watcher::disconnect_watcher() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { run(); });
}

disconnect_watcher::~disconnect_watcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

std::uint64_t disconnect_watcher::watch(int sock, std::function<void()> on_hangup) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto token = next_token_++;
  watched_[token] = watched{sock, std::move(on_hangup)};
  // Only a hang-up: the request's own bytes were read already, and pipelined ones are not ours.
  epoll_event ev{};
  ev.events = EPOLLRDHUP | EPOLLONESHOT;
  ev.data.u64 = token;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, sock, &ev);
  return token;
}

void disconnect_watcher::unwatch(std::uint64_t token) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = watched_.find(token);
  if (it == watched_.end()) return; // it hung up, and the callback ran or runs now
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.sock, nullptr);
  watched_.erase(it);
}

void disconnect_watcher::run() {
  epoll_event events[64];
  for (;;) {
    int n = ::epoll_wait(epoll_fd_, events, 64, -1);
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) return;
    for (int i = 0; i < n; ++i) {
      auto it = watched_.find(events[i].data.u64);
      if (it == watched_.end()) continue; // the wake-up, or answered meanwhile
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.sock, nullptr);
      auto callback = std::move(it->second.on_hangup);
      watched_.erase(it);
      lock.unlock();
      callback();
      lock.lock();
    }
  }
}

} // namespace mediagen
