#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "config/workflow_files.hpp"
#include "generation/plan.hpp"
#include "generation/workflow.hpp"

using namespace mediagen;

namespace {

const char* graph = R"({"1":{"class_type":"ProceduralImage","inputs":{"prompt":"","seed":0}},
                        "2":{"class_type":"SaveImage","inputs":{"images":["1",0]}}})";

std::string load_error(const std::string& config) {
  std::string error;
  auto c = workflow_catalog::from_text(config, {{"g.json", graph}}, error);
  return c ? "" : error;
}

} // namespace

TEST_CASE("config errors are found at load time and named") {
  CHECK(load_error(R"({"workflows":[{"name":"A","backend":"builtin","base":"g.json"}]})").empty());
  CHECK(load_error("not json").find("not valid JSON") != std::string::npos);
  CHECK(load_error(R"({"workflows":[{"name":"A","base":"missing.json"}]})").find("missing.json") != std::string::npos);
  CHECK(load_error(
            R"({"workflows":[{"name":"A","base":"g.json","replace":[{"from":"prompt","to":["9","inputs","x"]}]}]})")
            .find("'9'") != std::string::npos);
  CHECK(load_error(R"({"workflows":[{"name":"A","base":"g.json"},{"name":"A","base":"g.json"}]})").find("twice") !=
        std::string::npos);
  CHECK(load_error(R"({"workflows":[{"name":"A","backend":"gpu","base":"g.json"}]})").find("backend") !=
        std::string::npos);
}

TEST_CASE("an LLM task loads with a warning") {
  std::string error;
  auto c = workflow_catalog::from_text(
      R"({"workflows":[{"name":"A","base":"g.json","preGenerationTasks":[{"model":"m","prompt":"p","to":"prompt"}]}]})",
      {{"g.json", graph}}, error);
  REQUIRE(static_cast<bool>(c));
  CHECK(c->find("A")->warnings.size() == 1);
}

TEST_CASE("planning runs pre-generation tasks, then replace") {
  std::string error;
  auto c = workflow_catalog::from_text(
      R"({"workflows":[{"name":"A","base":"g.json",
          "preGenerationTasks":[{"template":"{{prompt}}, detailed","to":"full"}],
          "replace":[{"from":"full","to":["1","inputs","prompt"]},{"from":"taskId","to":["2","inputs","filename_prefix"]}]}]})",
      {{"g.json", graph}}, error);
  REQUIRE(static_cast<bool>(c));
  generation_request request;
  request.wf = c->find_ref("A");
  request.task_id = "t1";
  json::document data;
  json::parse(R"({"prompt":"fox"})", data);
  REQUIRE(plan_request(request, data) == "");
  json::document g;
  json::parse(request.graph_json, g);
  CHECK(std::string(g["1"]["inputs"]["prompt"].GetString()) == "fox, detailed");
  CHECK(std::string(g["2"]["inputs"]["filename_prefix"].GetString()) == "t1");
}

TEST_CASE("the shipped workflow config loads") {
  std::string error;
  auto c = load_workflow_catalog(std::string(MEDIAGEN_SOURCE_DIR) + "/config/workflows.json", error);
  REQUIRE_MESSAGE(static_cast<bool>(c), error);
  REQUIRE(c->find("Builtin Text to Image"));
  REQUIRE(c->find("Builtin Tiny"));
  auto size_of = [&](const char* orientation) {
    generation_request request;
    request.wf = c->find_ref("Builtin Text to Image");
    request.task_id = "t1";
    json::document data;
    json::parse(std::string(R"({"prompt":"p","seed":1,"steps":12,"orientation":")") + orientation + "\"}", data);
    REQUIRE(plan_request(request, data) == "");
    json::document g;
    json::parse(request.graph_json, g);
    return std::make_pair(g["1"]["inputs"]["width"].GetInt(), g["1"]["inputs"]["height"].GetInt());
  };
  CHECK(size_of("portrait") == std::make_pair(512, 768));
  CHECK(size_of("landscape") == std::make_pair(768, 512));
  CHECK(size_of("square") == std::make_pair(640, 640));
}

TEST_CASE("post-generation tasks set the stored name, description and tags") {
  std::string error;
  auto c = workflow_catalog::from_text(
      R"({"workflows":[{"name":"A","base":"g.json",
          "postGenerationTasks":[{"template":"{{prompt}} #{{seed}}","to":"name"},
                                 {"template":"made from {{prompt}}","to":"description"},
                                 {"template":"fox, {{orientation}}","to":"tags",
                                  "condition":{"where":{"data":"orientation"},"isNot":{"value":""}}}]},
         {"name":"B","base":"g.json"}]})",
      {{"g.json", graph}}, error);
  REQUIRE(static_cast<bool>(c));
  auto post = run_post_tasks(*c->find("A"), R"({"prompt":"fox","seed":9,"orientation":"square"})");
  CHECK(post.error.empty());
  CHECK(post.name == std::optional<std::string>("fox #9"));
  CHECK(post.description == std::optional<std::string>("made from fox"));
  CHECK(post.tags == std::vector<std::string>{"fox", "square"});
  auto none = run_post_tasks(*c->find("B"), R"({"prompt":"fox"})");
  CHECK_FALSE(none.name.has_value());
  CHECK(none.tags.empty());
}

TEST_CASE("the workflow files: a base must stay inside workflows/ and exist") {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("mediagen-unit-wf-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "workflows");
  std::ofstream(dir / "workflows" / "g.json") << graph;
  std::ofstream(dir / "secret.json") << graph;
  auto load = [&](const std::string& base) {
    std::ofstream(dir / "workflows.json")
        << R"({"workflows":[{"name":"A","backend":"builtin","base":")" << base << R"("}]})";
    std::string error;
    auto c = load_workflow_catalog((dir / "workflows.json").string(), error);
    return c ? std::string() : error;
  };
  CHECK(load("g.json").empty());
  CHECK(load("../secret.json").find("leaves the workflows folder") != std::string::npos);
  CHECK(load((dir / "secret.json").string()).find("leaves the workflows folder") != std::string::npos);
  CHECK(load("missing.json").find("missing.json") != std::string::npos);
  std::string error;
  CHECK_FALSE(static_cast<bool>(load_workflow_catalog((dir / "absent.json").string(), error)));
  CHECK(error.find("cannot read") != std::string::npos);
  fs::remove_all(dir);
}
