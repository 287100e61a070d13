#include "http/process_metrics.hpp"

#include "http/metrics.hpp"

#include <dirent.h>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

namespace mediagen {

namespace {

#ifndef MEDIAGEN_VERSION
#define MEDIAGEN_VERSION "unknown"
#endif

// A "Key:   value unit" line of /proc/self/status, as a number (0 when absent).
double status_field(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1));
  return 0;
}

double open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return 0;
  double n = 0;
  while (auto* e = ::readdir(dir))
    if (e->d_name[0] != '.') ++n;
  ::closedir(dir);
  return n - 1; // the directory stream's own descriptor
}

// Seconds since the epoch the process started: its start in clock ticks after boot
// (/proc/self/stat field 22) plus the boot time (/proc/stat btime).
double start_time_seconds() {
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')'); // the command name may hold spaces and parentheses
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {}
  double ticks = std::stod(field);
  std::ifstream boot("/proc/stat");
  std::string line;
  double btime = 0;
  while (std::getline(boot, line))
    if (line.rfind("btime ", 0) == 0) btime = std::stod(line.substr(6));
  return btime + ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

} // namespace

std::string process_metrics_text() {
  std::ostringstream out;
  out.precision(15);
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  write_metric(out, "process_cpu_seconds_total", "User and system CPU time spent in seconds.", cpu, "counter");
  write_metric(out, "process_resident_memory_bytes", "Resident memory size in bytes.", status_field("VmRSS") * 1024);
  write_metric(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", status_field("VmSize") * 1024);
  write_metric(out, "process_open_fds", "Number of open file descriptors.", open_fds());
  write_metric(out, "process_max_fds", "Maximum number of open file descriptors.", static_cast<double>(files.rlim_cur));
  write_metric(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
               start_time_seconds());
  write_metric(out, "process_threads", "Number of OS threads in the process.", status_field("Threads"));
  out << "# HELP mediagen_build_info The running build; the value is always 1.\n# TYPE mediagen_build_info gauge\n"
      << "mediagen_build_info{version=\"" << MEDIAGEN_VERSION << "\",compiler=\"gcc " << __VERSION__ << "\"} 1\n";
  return out.str();
}

} // namespace mediagen
