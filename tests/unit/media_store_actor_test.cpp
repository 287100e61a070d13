// The media store actor on a real (in-process) actor system: appends that arrive together are
// written together, every append gets its own uid, and the file holds them all once acked.

#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <unistd.h>

#include <caf/all.hpp>

#include "actors/media_store_actor.hpp"
#include "persistence/atomic_file.hpp"
#include "persistence/gallery_files.hpp"

using namespace mediagen;
namespace fs = std::filesystem;

TEST_CASE("media store: a burst of appends is grouped into few atomic writes, with distinct uids") {
  auto dir = fs::temp_directory_path() / ("mediagen-unit-store-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "storage");
  auto outputs = std::make_shared<storage>((dir / "storage").string());
  std::string path = (dir / "media-data.json").string();
  {
    caf::actor_system_config cfg;
    cfg.set("scheduler.policy", caf::atom("sharing"));
    caf::actor_system sys{cfg};
    std::string error;
    auto gallery = open_gallery(path, error);
    REQUIRE(gallery.db);
    media_store_settings settings;
    settings.db = gallery.db;
    settings.journal = gallery.journal;
    settings.path = path;
    settings.outputs = outputs;
    settings.view = std::make_shared<gallery_view>();
    auto view = settings.view;
    auto store = spawn_media_store(sys, settings);
    caf::scoped_actor self{sys};
    constexpr int n = 100;
    // Send every append before waiting for any answer, as 100 finishing tasks would. The files
    // are written first so the sends follow each other within microseconds: the first commit's
    // fsync then outlasts them all, and they queue for the next. (Writing each file between two
    // sends let the store commit every append alone on a busy machine.)
    std::vector<generation_result> results(n);
    for (int i = 0; i < n; ++i) {
      results[i].task_id = "t" + std::to_string(i);
      results[i].outputs.push_back(output_file{outputs->save_new("image", "png", "x"), "image", 1});
    }
    for (auto& r : results) self->send(store, atom::append::value, std::move(r));
    std::set<std::int64_t> uids;
    for (int i = 0; i < n; ++i)
      self->receive([&](std::int64_t uid, std::string&) { uids.insert(uid); },
                    [&](caf::error& e) { FAIL(sys.render(e)); });
    CHECK(uids.size() == n);
    CHECK(*uids.begin() == 1);
    CHECK(*uids.rbegin() == n);
    media_store_figures figures;
    self->request(store, std::chrono::seconds(5), atom::status::value)
        .receive([&](actor_status& s) { figures = caf::get<media_store_figures>(s.figures); }, [&](caf::error&) {});
    auto commits = figures.commits;
    CAPTURE(commits);
    CHECK(commits >= 1);
    CHECK(commits < static_cast<std::uint64_t>(n)); // grouped: not one write per append
    CHECK(figures.entries_committed == n);
    CHECK(figures.journal_records == n); // below the rewrite threshold: all in the journal
    CHECK(view->current()->size() == n); // and visible to readers without asking the store
    self->send_exit(store, caf::exit_reason::user_shutdown);
  }
  // The shutdown rewrote media-data.json and emptied the journal.
  CHECK(fs::file_size(gallery_journal_path(path)) == 0);
  std::string text;
  REQUIRE(read_whole_file(path, text));
  json::document file;
  REQUIRE(json::parse(text, file).empty());
  CHECK(file["mediaData"].Size() == 100);
  fs::remove_all(dir);
}
