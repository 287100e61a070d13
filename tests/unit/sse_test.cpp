#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "actors/sse_queue.hpp"

using namespace mediagen;

namespace {
sse_frame text(const char* s) { return std::make_shared<const std::string>(s); }
} // namespace

TEST_CASE("an SSE frame has id, event and one data line, then a blank line") {
  CHECK(format_sse_frame(3, "progress", R"({"a":1})") == "id: 3\nevent: progress\ndata: {\"a\":1}\n\n");
}

TEST_CASE("the subscriber queue hands out frames in order, then closed, and empty when nothing waits") {
  sse_queue q(4);
  sse_frame f;
  CHECK(q.take(f) == sse_queue::take_result::empty);
  CHECK(q.push(text("a")));
  CHECK(q.push(text("b")));
  q.close();
  CHECK_FALSE(q.push(text("c")));
  CHECK(q.take(f) == sse_queue::take_result::frame);
  CHECK(*f == "a");
  CHECK(q.take(f) == sse_queue::take_result::frame);
  CHECK(*f == "b");
  CHECK(q.take(f) == sse_queue::take_result::closed);
}

TEST_CASE("a full queue refuses more frames (the hub drops that slow subscriber)") {
  sse_queue q(2);
  CHECK(q.push(text("1")));
  CHECK(q.push(text("2")));
  CHECK_FALSE(q.push(text("3")));
  q.drop();
  sse_frame f;
  // A dropped reader gets no more frames, however many are queued.
  CHECK(q.take(f) == sse_queue::take_result::dropped);
}

TEST_CASE("the listener hears the first frame into an empty queue and the end, not every frame") {
  sse_queue q(8);
  std::atomic<int> calls{0};
  q.set_listener([&] { ++calls; });
  CHECK(calls == 0);
  q.push(text("1"));
  q.push(text("2"));
  CHECK(calls == 1);
  sse_frame f;
  while (q.take(f) == sse_queue::take_result::frame) {}
  q.push(text("3"));
  CHECK(calls == 2);
  q.close();
  CHECK(calls == 3);
  q.set_listener(nullptr);
  q.close();
  CHECK(calls == 3);
}

TEST_CASE("a listener set after frames arrived is called at once") {
  sse_queue q(2);
  q.push(text("early"));
  int calls = 0;
  q.set_listener([&] { ++calls; });
  CHECK(calls == 1);
}

TEST_CASE("frames pushed from another thread wake the listener") {
  sse_queue q(2);
  std::atomic<bool> woke{false};
  q.set_listener([&] { woke = true; });
  std::thread producer([&] { q.push(text("late")); });
  producer.join();
  CHECK(woke);
  sse_frame f;
  CHECK(q.take(f) == sse_queue::take_result::frame);
  CHECK(*f == "late");
}
