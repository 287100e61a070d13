#include "http/metrics.hpp"

#include <sstream>

namespace mediagen {

void metrics::record(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& r = routes_[route];
  ++r.by_status[status];
  ++r.count;
  r.sum += seconds;
  for (std::size_t i = 0; i < bounds.size(); ++i)
    if (seconds <= bounds[i]) ++r.buckets[i];
}

std::string metrics::http_text() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream out;
  out << "# HELP mediagen_http_requests_total HTTP requests by route and status.\n"
      << "# TYPE mediagen_http_requests_total counter\n";
  for (auto& [route, r] : routes_)
    for (auto& [status, n] : r.by_status)
      out << "mediagen_http_requests_total{route=\"" << route << "\",status=\"" << status << "\"} " << n << "\n";
  out << "# HELP mediagen_http_request_duration_seconds HTTP request latency by route.\n"
      << "# TYPE mediagen_http_request_duration_seconds histogram\n";
  for (auto& [route, r] : routes_) {
    for (std::size_t i = 0; i < bounds.size(); ++i)
      out << "mediagen_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"" << bounds[i] << "\"} "
          << r.buckets[i] << "\n";
    out << "mediagen_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} " << r.count << "\n"
        << "mediagen_http_request_duration_seconds_sum{route=\"" << route << "\"} " << r.sum << "\n"
        << "mediagen_http_request_duration_seconds_count{route=\"" << route << "\"} " << r.count << "\n";
  }
  return out.str();
}

void write_metric(std::ostringstream& out, const char* name, const char* help, double value, const char* type) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n" << name << " " << value << "\n";
}

} // namespace mediagen
