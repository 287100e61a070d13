#include <doctest/doctest.h>

#include "generation/conditions.hpp"

using namespace mediagen;

namespace {

json::document doc(const char* text) {
  json::document d;
  json::parse(text, d);
  return d;
}

bool holds(const char* condition, const char* data) {
  auto c = doc(condition);
  auto d = doc(data);
  return condition_holds(&c, d);
}

} // namespace

TEST_CASE("equals compares JSON values, a number equal to its decimal text") {
  CHECK(holds(R"({"where":{"data":"o"},"equals":{"value":"landscape"}})", R"({"o":"landscape"})"));
  CHECK_FALSE(holds(R"({"where":{"data":"o"},"equals":{"value":"landscape"}})", R"({"o":"portrait"})"));
  CHECK(holds(R"({"where":{"data":"w"},"equals":{"value":640}})", R"({"w":"640"})"));
  CHECK(holds(R"({"where":{"data":"w"},"equals":{"value":"640"}})", R"({"w":640})"));
  CHECK_FALSE(holds(R"({"where":{"data":"w"},"equals":{"value":640}})", R"({"w":"641"})"));
}

TEST_CASE("matching the empty string means absent or blank") {
  const char* c = R"({"where":{"data":"x"},"equals":{"value":""}})";
  CHECK(holds(c, R"({})"));
  CHECK(holds(c, R"({"x":"   "})"));
  CHECK(holds(c, R"({"x":null})"));
  CHECK_FALSE(holds(c, R"({"x":"a"})"));
}

TEST_CASE("a boolean compares truthiness") {
  const char* c = R"({"where":{"data":"f"},"equals":{"value":true}})";
  CHECK(holds(c, R"({"f":true})"));
  CHECK(holds(c, R"({"f":"yes"})"));
  CHECK_FALSE(holds(c, R"({"f":"false"})"));
  CHECK_FALSE(holds(c, R"({"f":""})"));
  CHECK_FALSE(holds(c, R"({})"));
  CHECK(holds(R"({"where":{"data":"f"},"equals":{"value":false}})", R"({"f":"false"})"));
}

TEST_CASE("isNot, and, or") {
  CHECK(holds(R"({"where":{"data":"o"},"isNot":{"value":"square"}})", R"({"o":"portrait"})"));
  CHECK_FALSE(holds(R"({"where":{"data":"o"},"isNot":{"value":"square"}})", R"({"o":"square"})"));
  const char* both =
      R"({"and":[{"where":{"data":"a"},"equals":{"value":1}},{"where":{"data":"b"},"equals":{"value":2}}]})";
  CHECK(holds(both, R"({"a":1,"b":2})"));
  CHECK_FALSE(holds(both, R"({"a":1,"b":3})"));
  const char* either =
      R"({"or":[{"where":{"data":"a"},"equals":{"value":1}},{"where":{"data":"b"},"equals":{"value":2}}]})";
  CHECK(holds(either, R"({"a":0,"b":2})"));
  CHECK_FALSE(holds(either, R"({"a":0,"b":0})"));
}

TEST_CASE("a missing condition holds and a malformed one does not") {
  auto d = doc("{}");
  CHECK(condition_holds(nullptr, d));
  CHECK_FALSE(holds(R"({"where":{}})", "{}"));
  CHECK_FALSE(holds(R"([1])", "{}"));
}
