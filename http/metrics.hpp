#pragma once
// Request counts and latencies by route, exposed in Prometheus text format by GET /metrics.
// Thread-safe: every HTTP thread records into it.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include <sstream>

namespace mediagen {

/// One sample with its HELP and TYPE lines, in Prometheus text format.
void write_metric(std::ostringstream& out, const char* name, const char* help, double value,
                  const char* type = "gauge");

class metrics {
public:
  /// Records one finished request.
  void record(const std::string& route, int status, double seconds);

  /// Prometheus exposition text of the HTTP figures (the caller appends actor figures).
  std::string http_text() const;

private:
  static constexpr std::array<double, 10> bounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5, 10};
  struct route_figures {
    std::map<int, std::uint64_t> by_status;
    std::array<std::uint64_t, bounds.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, route_figures> routes_;
};

} // namespace mediagen
