#include <doctest/doctest.h>

#include <thread>

#include "actors/sse_queue.hpp"

using namespace mediagen;

TEST_CASE("an SSE frame has id, event and one data line, then a blank line") {
  CHECK(format_sse_frame(3, "progress", R"({"a":1})") == "id: 3\nevent: progress\ndata: {\"a\":1}\n\n");
}

TEST_CASE("the subscriber queue hands out frames in order, then closed - times out when idle") {
  sse_queue q(4);
  std::string f;
  CHECK(q.pop(f, std::chrono::milliseconds(10)) == sse_queue::pop_result::timeout);
  CHECK(q.push("a"));
  CHECK(q.push("b"));
  q.close();
  CHECK_FALSE(q.push("c"));
  CHECK(q.pop(f, std::chrono::milliseconds(10)) == sse_queue::pop_result::frame);
  CHECK(f == "a");
  CHECK(q.pop(f, std::chrono::milliseconds(10)) == sse_queue::pop_result::frame);
  CHECK(f == "b");
  CHECK(q.pop(f, std::chrono::milliseconds(10)) == sse_queue::pop_result::closed);
}

TEST_CASE("a full queue refuses more frames (the hub drops that slow subscriber)") {
  sse_queue q(2);
  CHECK(q.push("1"));
  CHECK(q.push("2"));
  CHECK_FALSE(q.push("3"));
}

TEST_CASE("a waiting pop wakes when a frame arrives from another thread") {
  sse_queue q(2);
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    q.push("late");
  });
  std::string f;
  CHECK(q.pop(f, std::chrono::seconds(5)) == sse_queue::pop_result::frame);
  CHECK(f == "late");
  producer.join();
}
