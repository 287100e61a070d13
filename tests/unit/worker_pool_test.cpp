#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

#include "backends/worker_pool.hpp"

using namespace mediagen;

namespace {

int own_nice() {
  errno = 0;
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
}

int nice_in_pool(int niceness) {
  std::atomic<int> seen{-100};
  {
    worker_pool pool(1, niceness);
    pool.post([&] { seen = own_nice(); });
  } // finishes posted work, then joins
  return seen;
}

} // namespace

TEST_CASE("worker pool: threads run at the niceness asked for, and only they do") {
  int before = own_nice();
  CHECK(nice_in_pool(10) == std::max(before, 10));
  CHECK(nice_in_pool(0) == before);
  CHECK(own_nice() == before);
}
