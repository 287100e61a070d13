#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "backends/job_queue.hpp"
#include "generation/task_priority.hpp"

using namespace mediagen;

namespace {

using queue = job_queue<std::string, priority_levels>;

std::vector<std::string> drain(queue& q) {
  std::vector<std::string> out;
  while (!q.empty()) out.push_back(q.pop());
  return out;
}

std::size_t push(queue& q, task_priority p, const std::string& id) { return q.push(rank(p), id); }

} // namespace

TEST_CASE("job queue: higher priorities first, each first come, first served, positions across them") {
  queue q;
  CHECK(push(q, task_priority::low, "l1") == 0);
  CHECK(push(q, task_priority::normal, "n1") == 0);
  CHECK(push(q, task_priority::normal, "n2") == 1);
  CHECK(push(q, task_priority::high, "h1") == 0);
  CHECK(push(q, task_priority::low, "l2") == 4);
  CHECK(push(q, task_priority::high, "h2") == 1);
  CHECK(q.size() == 6);
  std::vector<std::pair<std::string, std::size_t>> seen;
  q.visit_from(1, 3, [&](const std::string& id, std::size_t at) { seen.emplace_back(id, at); });
  CHECK(seen == std::vector<std::pair<std::string, std::size_t>>{{"h2", 1}, {"n1", 2}, {"n2", 3}});
  seen.clear();
  q.visit_from(4, 10, [&](const std::string& id, std::size_t at) { seen.emplace_back(id, at); });
  CHECK(seen == std::vector<std::pair<std::string, std::size_t>>{{"l1", 4}, {"l2", 5}});
  CHECK(drain(q) == std::vector<std::string>{"h1", "h2", "n1", "n2", "l1", "l2"});
}

TEST_CASE("job queue: removing a job keeps the others' order") {
  queue q;
  for (auto id : {"a", "b", "c"}) push(q, task_priority::normal, id);
  push(q, task_priority::low, "z");
  std::string removed;
  CHECK(q.remove_first([](const std::string& id) { return id == "b"; }, [&](std::string& id) { removed = id; }));
  CHECK(removed == "b");
  CHECK_FALSE(q.remove_first([](const std::string& id) { return id == "b"; }, [](std::string&) {}));
  CHECK(drain(q) == std::vector<std::string>{"a", "c", "z"});
}

TEST_CASE("task priority: the three names, and nothing else") {
  for (auto p : {task_priority::high, task_priority::normal, task_priority::low})
    CHECK(parse_priority(to_string(p)) == p);
  CHECK_FALSE(parse_priority("HIGH"));
  CHECK_FALSE(parse_priority(""));
  CHECK_FALSE(parse_priority("urgent"));
}
