// The HTTP worker pool: starts at its floor, grows while jobs wait (one thread per grow delay),
// never past its cap, and runs every job.

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "http/http_workers.hpp"

using namespace mediagen;
using namespace std::chrono_literals;

namespace {

/// Jobs that block until released, like sync requests waiting for their generation.
struct gate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(m);
      open = true;
    }
    cv.notify_all();
  }
};

bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds within) {
  auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (probe()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return probe();
}

} // namespace

TEST_CASE("http workers: blocked jobs make the pool grow to its cap, and every job runs") {
  connection_figures figures;
  gate g;
  std::atomic<int> done{0};
  {
    http_workers pool(2, 6, 30s, 1ms, figures);
    CHECK(figures.workers == 2);
    for (int i = 0; i < 10; ++i)
      pool.submit([&] {
        g.wait();
        ++done;
      });
    CHECK(eventually([&] { return figures.workers == 6 && figures.workers_busy == 6; }, 5s));
    std::this_thread::sleep_for(50ms);
    CHECK(figures.workers == 6); // the cap holds while four jobs still wait
    g.release();
    CHECK(eventually([&] { return done == 10; }, 5s));
  }
  CHECK(figures.workers == 0);
}

TEST_CASE("http workers: a free thread takes the job, so quick jobs one after another add none") {
  connection_figures figures;
  http_workers pool(2, 50, 30s, 1ms, figures);
  std::atomic<int> done{0};
  for (int i = 0; i < 200; ++i) {
    pool.submit([&] { ++done; });
    REQUIRE(eventually([&] { return done == i + 1; }, 5s));
  }
  CHECK(figures.workers == 2);
}

TEST_CASE("http workers: threads above the floor leave after the idle time") {
  connection_figures figures;
  gate g;
  http_workers pool(1, 4, 100ms, 1ms, figures);
  for (int i = 0; i < 4; ++i) pool.submit([&] { g.wait(); });
  CHECK(eventually([&] { return figures.workers == 4; }, 5s));
  g.release();
  CHECK(eventually([&] { return figures.workers == 1; }, 5s));
}
