// The HTTP worker pool: starts at its floor, grows while jobs wait (one thread per grow delay),
// never past its cap, and runs every job.

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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

TEST_CASE("http workers: a job of the first lane runs before the normal jobs queued ahead of it") {
  connection_figures figures;
  gate g;
  std::mutex m;
  std::vector<std::string> order;
  auto note = [&](std::string what) {
    std::lock_guard<std::mutex> lock(m);
    order.push_back(std::move(what));
  };
  {
    // One thread, never more: the jobs wait in the queue while it is blocked.
    http_workers pool(1, 1, 30s, 1ms, figures);
    pool.submit([&] { g.wait(); });
    REQUIRE(eventually([&] { return figures.workers_busy == 1; }, 5s));
    pool.submit([&] { note("write 1"); });
    pool.submit([&] { note("write 2"); });
    pool.submit([&] { note("read 1"); }, http_workers::lane::first);
    pool.submit([&] { note("write 3"); });
    pool.submit([&] { note("read 2"); }, http_workers::lane::first);
    g.release();
    REQUIRE(eventually(
        [&] {
          std::lock_guard<std::mutex> lock(m);
          return order.size() == 5;
        },
        5s));
  }
  // Reads first, each lane first come, first served.
  CHECK(order == std::vector<std::string>{"read 1", "read 2", "write 1", "write 2", "write 3"});
}
