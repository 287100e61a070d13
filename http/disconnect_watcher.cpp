#include "http/disconnect_watcher.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace mediagen {

disconnect_watcher::disconnect_watcher() {
  thread_ = std::thread([this] { run(); });
}

disconnect_watcher::~disconnect_watcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  poll_.wake();
  thread_.join();
}

std::uint64_t disconnect_watcher::watch(int sock, std::function<void()> on_hangup) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto token = next_token_++;
  watched_[token] = watched{sock, std::move(on_hangup)};
  // Only a hang-up: the request's own bytes were read already, and pipelined ones are not ours.
  epoll_event ev{};
  ev.events = EPOLLRDHUP | EPOLLONESHOT;
  ev.data.u64 = token;
  ::epoll_ctl(poll_.fd(), EPOLL_CTL_ADD, sock, &ev);
  return token;
}

void disconnect_watcher::unwatch(std::uint64_t token) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = watched_.find(token);
  if (it == watched_.end()) return; // it hung up, and the callback ran or runs now
  ::epoll_ctl(poll_.fd(), EPOLL_CTL_DEL, it->second.sock, nullptr);
  watched_.erase(it);
}

void disconnect_watcher::run() {
  epoll_event events[64];
  for (;;) {
    int n = ::epoll_wait(poll_.fd(), events, 64, -1);
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) return;
    for (int i = 0; i < n; ++i) {
      auto it = watched_.find(events[i].data.u64);
      if (it == watched_.end()) continue; // the wake-up, or answered meanwhile
      ::epoll_ctl(poll_.fd(), EPOLL_CTL_DEL, it->second.sock, nullptr);
      auto callback = std::move(it->second.on_hangup);
      watched_.erase(it);
      lock.unlock();
      callback();
      lock.lock();
    }
  }
}

} // namespace mediagen
