#include "http/disconnect_watcher.hpp"

#include <poll.h>
#include <vector>

namespace mediagen {

disconnect_watcher::disconnect_watcher() : thread_([this] { run(); }) {}

disconnect_watcher::~disconnect_watcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

std::uint64_t disconnect_watcher::watch(int sock, std::function<void()> on_hangup) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto token = next_token_++;
  watched_[token] = watched{sock, std::move(on_hangup)};
  changed_.notify_all();
  return token;
}

void disconnect_watcher::unwatch(std::uint64_t token) {
  std::lock_guard<std::mutex> lock(mutex_);
  watched_.erase(token);
}

void disconnect_watcher::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (watched_.empty()) {
      changed_.wait(lock, [this] { return stopping_ || !watched_.empty(); });
      continue;
    }
    std::vector<std::uint64_t> tokens;
    std::vector<pollfd> fds;
    for (auto& [token, w] : watched_) {
      tokens.push_back(token);
      fds.push_back(pollfd{w.sock, POLLRDHUP, 0});
    }
    lock.unlock();
    ::poll(fds.data(), fds.size(), 0);
    lock.lock();
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLRDHUP | POLLHUP | POLLERR))) continue;
      auto it = watched_.find(tokens[i]);
      if (it == watched_.end()) continue; // answered meanwhile
      auto callback = std::move(it->second.on_hangup);
      watched_.erase(it);
      lock.unlock();
      callback();
      lock.lock();
    }
    changed_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

} // namespace mediagen
