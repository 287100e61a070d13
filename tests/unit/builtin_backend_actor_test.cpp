// The builtin backend actor on a real actor system, rendering real graphs on its workers. The
// scoped actor plays the task: it receives the job's progress and its outcome.

#include "tests/unit/actor_test_support.hpp"

#include "actors/builtin_backend_actor.hpp"
#include "backends/builtin/image_codec.hpp"

using namespace mediagen;
using namespace mediagen::test;

namespace {

const char* tiny_graph =
    R"({"1":{"class_type":"ProceduralImage","inputs":{"prompt":"","seed":1,"width":32,"height":32,"steps":2}},
  "2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"t"}}})";

const char* missing_input_graph = R"({"1":{"class_type":"LoadImage","inputs":{"image":"not-there.png"}},
  "2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"t"}}})";

backend_outcome run_job(caf::scoped_actor& self, const backend_actor& backend, const std::string& id,
                        const std::string& graph, std::vector<backend_progress>& progress) {
  self->send(backend, atom::run::value, backend_job{id, "g.json", graph, {}}, caf::actor_cast<task_actor>(self));
  backend_outcome out;
  bool done = false;
  while (!done)
    self->receive([&](atom::progress, backend_progress& p) { progress.push_back(std::move(p)); },
                  [&](atom::done, backend_outcome& o) {
                    out = std::move(o);
                    done = true;
                  },
                  caf::after(std::chrono::seconds(30)) >>
                      [&] {
                        FAIL("the job did not end");
                        done = true;
                      });
  return out;
}

backend_figures figures(caf::scoped_actor& self, const backend_actor& backend) {
  backend_figures f;
  self->request(backend, std::chrono::seconds(5), atom::status::value)
      .receive([&](actor_status& s) { f = caf::get<backend_figures>(s.figures); },
               [&](caf::error& e) { FAIL(to_string(e)); });
  return f;
}

} // namespace

TEST_CASE("builtin backend: a job renders with rising progress, and completed and failed renders are counted apart") {
  actor_system_fixture f;
  scratch_dir dir{"builtin"};
  builtin_backend_settings s;
  s.outputs = std::make_shared<storage>(dir.str());
  s.inputs_dir = dir.str();
  auto backend = spawn_builtin_backend(f.sys, s);
  caf::scoped_actor self{f.sys};

  std::vector<backend_progress> progress;
  auto ok = run_job(self, backend, "j1", tiny_graph, progress);
  CHECK(ok.ok);
  REQUIRE(ok.outputs.size() == 1);
  CHECK(std::filesystem::exists(dir.path() / ok.outputs[0].name));
  REQUIRE_FALSE(progress.empty());
  for (std::size_t i = 1; i < progress.size(); ++i)
    CHECK(progress[i].progress.percentage >= progress[i - 1].progress.percentage);
  CHECK(progress.back().state == task_state::running);

  auto failed = run_job(self, backend, "j2", missing_input_graph, progress);
  CHECK_FALSE(failed.ok);
  CHECK_FALSE(failed.error.empty());

  // The worker's report reaches the actor after the task's outcome: wait for both counts.
  backend_figures after;
  for (int i = 0; i < 100 && (after = figures(self, backend)).finished() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(after.completed == 1);
  CHECK(after.failed == 1);
  CHECK(after.finished() == 2);
  CHECK(after.queue() == 0);
  CHECK(after.round_trip_seconds > 0);
  self->send_exit(backend, caf::exit_reason::user_shutdown);
}

TEST_CASE("builtin backend: a job with a preview interval sends JPEG previews, one without sends none") {
  actor_system_fixture f;
  scratch_dir dir{"builtin-previews"};
  builtin_backend_settings s;
  s.outputs = std::make_shared<storage>(dir.str());
  s.inputs_dir = dir.str();
  auto backend = spawn_builtin_backend(f.sys, s);
  caf::scoped_actor self{f.sys};
  const char* graph =
      R"({"1":{"class_type":"ProceduralImage","inputs":{"prompt":"","seed":3,"width":320,"height":200,"steps":5}},
    "2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"t"}}})";
  auto run = [&](std::int64_t interval_ms) {
    backend_job job{"p" + std::to_string(interval_ms), "g.json", graph, {}};
    job.preview_interval_ms = interval_ms;
    self->send(backend, atom::run::value, job, caf::actor_cast<task_actor>(self));
    std::vector<preview_image> previews;
    bool done = false, ok = false;
    while (!done)
      self->receive([&](atom::progress, backend_progress&) {},
                    [&](atom::preview, preview_image& p) { previews.push_back(std::move(p)); },
                    [&](atom::done, backend_outcome& o) {
                      ok = o.ok;
                      done = true;
                    },
                    caf::after(std::chrono::seconds(30)) >>
                        [&] {
                          FAIL("the job did not end");
                          done = true;
                        });
    CHECK(ok);
    return previews;
  };
  // 1 ms apart at most: with five steps, at least the first after step 1 is due.
  auto with = run(1);
  REQUIRE_FALSE(with.empty());
  CHECK(with.size() <= 4);
  for (auto& p : with) {
    CHECK(p.mime == "image/jpeg");
    auto picture = builtin::decode_image(p.bytes);
    CHECK(picture.rgb.width == 256);
    CHECK(picture.rgb.height == 160);
  }
  // A long interval: only the first preview passes.
  CHECK(run(3600000).size() == 1);
  CHECK(run(0).empty());
  // Ended by an exit, as the server ends it: its state (and worker pool) then goes on a CAF
  // thread, never on a render thread that may still hold the last handle.
  self->send_exit(backend, caf::exit_reason::user_shutdown);
}
