#pragma once
// Live figures of the HTTP front end's connections and workers, for GET /metrics. Written by the
// connection loop and the worker pool, read by the metrics route; plain atomics, no lock.

#include <atomic>
#include <cstdint>

namespace mediagen {

struct connection_figures {
  std::atomic<std::int64_t> open{0};             ///< accepted and not yet closed, in any phase
  std::atomic<std::int64_t> idle{0};             ///< waiting in the loop for their next request
  std::atomic<std::int64_t> streams{0};          ///< SSE streams the loop is writing
  std::atomic<std::uint64_t> accepted{0};        ///< since start
  std::atomic<std::uint64_t> streams_dropped{0}; ///< SSE clients cut off for not reading
  std::atomic<std::int64_t> workers{0};          ///< worker threads alive
  std::atomic<std::int64_t> workers_busy{0};     ///< of which serving a connection
};

} // namespace mediagen
