#pragma once
// The process's own figures in Prometheus text format, as the standard client libraries name
// them (process_resident_memory_bytes, process_open_fds, ...), read from /proc/self at each
// scrape, plus mediagen_build_info.

#include <string>

namespace mediagen {

std::string process_metrics_text();

} // namespace mediagen
