#pragma once
// Shared by the *_actor_test.cpp files: a real in-process actor system configured as the server
// configures it, a scratch folder, and requests validated and planned the way the HTTP layer
// does, from the shipped workflow config.

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include <caf/all.hpp>

#include "actors/errors.hpp"
#include "actors/protocol.hpp"
#include "config/workflow_files.hpp"
#include "generation/plan.hpp"

namespace mediagen::test {

/// The server's actor system settings: sharing scheduler, quiet logger, our error category.
struct actor_system_fixture {
  static caf::actor_system_config& configured(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("sharing"));
    cfg.set("logger.verbosity", caf::atom("quiet"));
    register_error_category(cfg);
    return cfg;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{configured(cfg)};
};

/// A fresh folder under the system's temp dir, removed at the end of the test.
class scratch_dir {
public:
  explicit scratch_dir(const std::string& name) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("mediagen-unit-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string str(const std::string& child = "") const {
    return child.empty() ? path_.string() : (path_ / child).string();
  }

private:
  std::filesystem::path path_;
};

inline std::shared_ptr<const workflow_catalog> shipped_catalog() {
  std::string error;
  auto catalog = load_workflow_catalog(std::string(MEDIAGEN_SOURCE_DIR) + "/config/workflows.json", error);
  REQUIRE_MESSAGE(static_cast<bool>(catalog), error);
  return catalog;
}

/// A request for `workflow_name` with `fields` (JSON), validated and planned under `task_id`.
inline generation_request planned_request(const workflow_catalog& catalog, const std::string& workflow_name,
                                          const std::string& task_id, bool sync = false,
                                          const std::string& fields = R"("prompt":"a fox")") {
  json::document body;
  REQUIRE(json::parse("{\"workflow\":\"" + workflow_name + "\"," + fields + "}", body).empty());
  validation_settings settings;
  settings.draw_seed = [] { return std::int64_t{7}; };
  auto v = validate_generation(catalog, body, {}, sync ? request_kind::sync : request_kind::async, settings);
  REQUIRE_MESSAGE(v.ok, v.error);
  v.request.task_id = task_id;
  REQUIRE(plan_request(v.request, v.data) == "");
  return std::move(v.request);
}

} // namespace mediagen::test
