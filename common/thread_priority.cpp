#include "common/thread_priority.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mediagen {

namespace {
id_t this_thread_id() { return static_cast<id_t>(::syscall(SYS_gettid)); }
} // namespace

void lower_this_thread_priority(int niceness) {
  if (niceness <= 0) return;
  auto tid = this_thread_id();
  if (niceness > ::getpriority(PRIO_PROCESS, tid)) ::setpriority(PRIO_PROCESS, tid, niceness);
}

int this_thread_nice() { return ::getpriority(PRIO_PROCESS, this_thread_id()); }

} // namespace mediagen
