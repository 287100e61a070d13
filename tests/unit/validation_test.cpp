#include <doctest/doctest.h>

#include "generation/generation_request.hpp"

using namespace mediagen;

namespace {

std::shared_ptr<const workflow_catalog> catalog() {
  std::string error;
  auto c = workflow_catalog::from_text(R"({"workflows":[
    {"name":"T","backend":"builtin","base":"g.json","options":{"type":"image","extraInputs":[
      {"id":"steps","type":"number","default":12,"min":1,"max":200},
      {"id":"style","type":"select","options":[{"label":"A","value":"a"},{"label":"B","value":"b"}]},
      {"id":"hd","type":"checkbox","default":false}]},
     "replace":[{"from":"prompt","to":["1","inputs","prompt"]}]},
    {"name":"Named","backend":"builtin","base":"g.json","options":{"optionalPrompt":true,"nameRequired":true}},
    {"name":"Comfy","backend":"comfyui","base":"g.json"}]})",
                                       {{"g.json", R"({"1":{"class_type":"ProceduralImage","inputs":{}}})"}}, error);
  REQUIRE_MESSAGE(static_cast<bool>(c), error);
  return c;
}

validation_result check(const char* body, bool sync = false) {
  static auto c = catalog();
  json::document d;
  json::parse(body, d);
  validation_settings s;
  s.draw_seed = [] { return std::int64_t{77}; };
  s.sync_timeout_cap_ms = 1000;
  return validate_generation(*c, d, {}, sync ? request_kind::sync : request_kind::async, s);
}

} // namespace

TEST_CASE("a valid request gets defaults and typed values - undeclared fields are dropped") {
  auto r = check(R"({"workflow":"T","prompt":"fox","steps":"30","hd":"true","requestOrigin":"x"})");
  REQUIRE(r.ok);
  CHECK(r.request.seed == 77);
  CHECK(r.request.orientation == "portrait");
  auto& data = r.data;
  CHECK(data["steps"].GetInt64() == 30);
  CHECK(data["hd"].GetBool());
  CHECK(std::string(data["prompt"].GetString()) == "fox");
  CHECK_FALSE(data.HasMember("requestOrigin"));
  auto d = check(R"({"workflow":"T","prompt":"fox"})");
  CHECK(d.data["steps"].GetInt64() == 12);
  REQUIRE(static_cast<bool>(d.request.wf)); // resolved once, carried by handle
  CHECK(d.request.wf->name == "T");
}

TEST_CASE("refusals carry the status and one sentence") {
  struct row {
    const char* body;
    int status;
    const char* error;
  };
  row rows[] = {
      {R"({})", 400, "Workflow parameter is required"},
      {R"({"workflow":""})", 400, "Workflow parameter is required"},
      {R"({"workflow":"Nope","prompt":"x"})", 400, "Workflow 'Nope' not found"},
      {R"({"workflow":"T"})", 400, "Prompt is required for this workflow."},
      {R"({"workflow":"T","prompt":"x","seed":"abc"})", 400, "Seed must be an integer."},
      {R"({"workflow":"T","prompt":"x","seed":-1})", 400, "Seed must be between 0 and 2^53."},
      {R"({"workflow":"T","prompt":"x","seed":1.5})", 400, "Seed must be an integer."},
      {R"({"workflow":"T","prompt":"x","steps":9999})", 400, "'steps' must be at most 200."},
      {R"({"workflow":"T","prompt":"x","steps":0})", 400, "'steps' must be at least 1."},
      {R"({"workflow":"T","prompt":"x","steps":"many"})", 400, "'steps' must be a number."},
      {R"({"workflow":"T","prompt":"x","style":"c"})", 400, "'style' is not one of its options."},
      {R"({"workflow":"T","prompt":"x","hd":"maybe"})", 400, "'hd' must be true or false."},
      {R"({"workflow":"T","prompt":"x","orientation":"diagonal"})", 400,
       "Orientation must be portrait, landscape or square."},
      {R"({"workflow":"T","prompt":5})", 400, "'prompt' must be a string."},
      {R"({"workflow":"Named"})", 400, "Name is required for this workflow."},
      {R"({"workflow":"Comfy","prompt":"x"})", 503, nullptr},
      {R"({"workflow":7})", 400, "Workflow must be a string."},
  };
  for (auto& r : rows) {
    CAPTURE(r.body);
    auto v = check(r.body);
    CHECK_FALSE(v.ok);
    CHECK(v.status == r.status);
    if (r.error) CHECK(v.error == r.error);
  }
}

TEST_CASE("sync requests take timeoutMs, capped by the server") {
  auto r = check(R"({"workflow":"T","prompt":"x","timeoutMs":50})", true);
  REQUIRE(r.ok);
  CHECK(r.request.silent);
  CHECK(r.request.timeout_ms == 50);
  CHECK(check(R"({"workflow":"T","prompt":"x","timeoutMs":999999})", true).request.timeout_ms == 1000);
  CHECK_FALSE(check(R"({"workflow":"T","prompt":"x","timeoutMs":-5})", true).ok);
  CHECK_FALSE(check(R"({"workflow":"T","prompt":"x"})").request.silent);
}

TEST_CASE("priority: sync defaults to high, async to normal - either may name high, normal or low") {
  CHECK(check(R"({"workflow":"T","prompt":"x"})", true).request.priority == task_priority::high);
  CHECK(check(R"({"workflow":"T","prompt":"x"})").request.priority == task_priority::normal);
  CHECK(check(R"({"workflow":"T","prompt":"x","priority":"low"})", true).request.priority == task_priority::low);
  CHECK(check(R"({"workflow":"T","prompt":"x","priority":"high"})").request.priority == task_priority::high);
  CHECK(check(R"({"workflow":"T","prompt":"x","priority":null})").request.priority == task_priority::normal);
  for (const char* bad : {R"("urgent")", R"("")", "2", "true", "[]"}) {
    CAPTURE(bad);
    auto r = check((std::string(R"({"workflow":"T","prompt":"x","priority":)") + bad + "}").c_str());
    CHECK_FALSE(r.ok);
    CHECK(r.status == 400);
    CHECK(r.error == "Priority must be high, normal or low.");
  }
}
