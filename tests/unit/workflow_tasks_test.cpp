#include <doctest/doctest.h>

#include "generation/workflow_tasks.hpp"

using namespace mediagen;

namespace {

json::document doc(const char* text) {
  json::document d;
  REQUIRE(json::parse(text, d).empty());
  return d;
}

} // namespace

TEST_CASE("template fills placeholders and stores a decimal result as a number") {
  auto data = doc(R"({"prompt":"a fox","w":"320"})");
  auto tasks = doc(R"([{"template":"photo of {{prompt}}, {{missing}}!","to":"p2"},{"template":"{{w}}","to":"wn"}])");
  REQUIRE(run_workflow_tasks(&tasks, data).empty());
  CHECK(std::string(data["p2"].GetString()) == "photo of a fox, !");
  CHECK(data["wn"].IsInt64());
  CHECK(data["wn"].GetInt64() == 320);
}

TEST_CASE("copy and math tasks, with conditions") {
  auto data = doc(R"({"steps":10,"mode":"fast"})");
  auto tasks = doc(R"([
    {"from":"steps","to":"copy"},
    {"from":"steps","to":"half","math":[{"scale":0.5},{"offset":0.2,"round":"ceil"}]},
    {"from":"steps","to":"calc","math":[{"offset":2,"scale":3,"bias":1}]},
    {"from":"steps","to":"never","condition":{"where":{"data":"mode"},"equals":{"value":"slow"}}}
  ])");
  REQUIRE(run_workflow_tasks(&tasks, data).empty());
  CHECK(data["copy"].GetInt64() == 10);
  CHECK(data["half"].GetInt64() == 6);  // (10*0.5 + 0.2) → ceil = 6
  CHECK(data["calc"].GetInt64() == 37); // (10+2)*3+1
  CHECK_FALSE(data.HasMember("never"));
}

TEST_CASE("math on a value that is not a number fails with a sentence") {
  auto data = doc(R"({"s":"abc"})");
  auto tasks = doc(R"([{"from":"s","to":"t","math":[{"scale":2}]}])");
  CHECK_FALSE(run_workflow_tasks(&tasks, data).empty());
}

TEST_CASE("LLM tasks are skipped") {
  auto data = doc(R"({"prompt":"x"})");
  auto tasks = doc(R"([{"model":"llama","prompt":"improve {{prompt}}","to":"prompt"}])");
  REQUIRE(run_workflow_tasks(&tasks, data).empty());
  CHECK(std::string(data["prompt"].GetString()) == "x");
}

TEST_CASE("replace copies fields and literals into the graph, honouring conditions") {
  auto graph = doc(R"({"1":{"class_type":"ProceduralImage","inputs":{"prompt":"","width":512}}})");
  auto data = doc(R"({"prompt":"a fox","orientation":"landscape"})");
  auto rules = doc(R"([
    {"from":"prompt","to":["1","inputs","prompt"]},
    {"from":"absent","to":["1","inputs","seed"]},
    {"value":768,"to":["1","inputs","width"],"condition":{"where":{"data":"orientation"},"equals":{"value":"landscape"}}},
    {"value":999,"to":["1","inputs","height"],"condition":{"where":{"data":"orientation"},"equals":{"value":"portrait"}}}
  ])");
  REQUIRE(apply_replace(&rules, data, graph).empty());
  auto& inputs = graph["1"]["inputs"];
  CHECK(std::string(inputs["prompt"].GetString()) == "a fox");
  CHECK_FALSE(inputs.HasMember("seed"));
  CHECK(inputs["width"].GetInt() == 768);
  CHECK_FALSE(inputs.HasMember("height"));
}
