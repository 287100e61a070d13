#pragma once
// Notices when the client of a waiting request hangs up, for sync requests that asked to be
// cancelled then ("cancelOnDisconnect"). One thread waits on epoll for a hang-up of any watched
// socket: no polling.

#include "http/wakeable_epoll.hpp"
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace mediagen {

class disconnect_watcher {
public:
  disconnect_watcher();
  ~disconnect_watcher();

  disconnect_watcher(const disconnect_watcher&) = delete;
  disconnect_watcher& operator=(const disconnect_watcher&) = delete;

  /// Calls `on_hangup` once (on the watcher's thread) if `sock`'s peer hangs up before
  /// `unwatch(token)`. Returns the token. One watch per socket at a time.
  std::uint64_t watch(int sock, std::function<void()> on_hangup);
  void unwatch(std::uint64_t token);

private:
  void run();
  struct watched {
    int sock;
    std::function<void()> on_hangup;
  };
  std::mutex mutex_;
  std::map<std::uint64_t, watched> watched_;
  std::uint64_t next_token_ = 1; ///< 0 marks the wake-up eventfd
  wakeable_epoll poll_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace mediagen
