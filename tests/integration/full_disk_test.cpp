// A full disk under the gallery: the database folder is a small tmpfs of its own, filled up while
// the server runs. Commits that cannot be made durable end their tasks with `error-event` and one
// sentence, leave no entry (in memory or on disk) and no output file behind, keep every entry
// that was durable, and the server goes on serving; once space is back the next commit works
// without a restart. A start on a full disk serves the gallery.

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include "robustness_support.hpp"
#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;
using namespace mediagen::testing::robust;

namespace {

// <data>/database as a small tmpfs, unmounted when the test ends (before its folder is removed).
class small_database_disk {
public:
  explicit small_database_disk(const fs::path& data) : folder_(data / "database") {
    fs::create_directories(folder_);
    mounted_ = std::system(("mount -t tmpfs -o size=256k tmpfs " + folder_.string()).c_str()) == 0;
  }
  ~small_database_disk() {
    if (mounted_) std::system(("umount " + folder_.string()).c_str());
  }
  bool mounted() const { return mounted_; }
  /// Writes a filler file until the disk refuses.
  void fill() {
    std::ofstream out((folder_ / "filler").string(), std::ios::binary | std::ios::app);
    std::string block(4096, 'x');
    for (int i = 0; i < 1024 && out.write(block.data(), static_cast<std::streamsize>(block.size())); ++i) {}
  }
  void free_space() { fs::remove(folder_ / "filler"); }

private:
  fs::path folder_;
  bool mounted_ = false;
};

// A record bigger than a page, so it cannot slip into the journal's last, partly used page.
std::string big_body(int n) {
  return R"({"workflow":"Builtin Tiny","prompt":"full disk )" + std::to_string(n) + " " + std::string(9000, 'p') +
         R"("})";
}

std::size_t gallery_size(httplib::Client& c) { return parse_json(fetch(c, "/media-data")).Size(); }

} // namespace

TEST_CASE("full disk: failed commits give error events and leave nothing, durable entries stay, and once space returns "
          "commits work") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: mounting a tmpfs needs root");
    return;
  }
  temp_folder data("full-disk");
  small_database_disk disk(data.path());
  REQUIRE(disk.mounted());
  {
    server_process server(data.path(), {"--builtin-workers=1"});
    auto c = server.client(10);
    auto kept = start_async(c, big_body(0));
    REQUIRE(wait_until_ended(c, kept) == "completed");
    const auto durable_before = durable_entries_text(data.path());
    const auto files_before = files_in(data.path() / "storage");

    disk.fill();
    for (int i = 1; i <= 3; ++i) {
      CAPTURE(i);
      auto id = start_async(c, big_body(i));
      auto events = read_events(server.port(), id);
      REQUIRE_FALSE(events.empty());
      CHECK(events.back().event == "error-event");
      auto message = std::string(parse_json(events.back().data)["error"]["message"].GetString());
      CAPTURE(message);
      CHECK(message.find("No space left on device") != std::string::npos);
      CHECK(message.find(data.path().string()) == std::string::npos); // no server path
      CHECK(std::count(message.begin(), message.end(), '.') >= 1);
      CHECK(state_of(c, id) == "failed");
    }
    CHECK(gallery_size(c) == 1);                                // not kept in memory
    CHECK(durable_entries_text(data.path()) == durable_before); // nothing durable lost, nothing added
    CHECK(files_in(data.path() / "storage") == files_before);   // the failed tasks' files are gone
    CHECK(c.Get("/healthz")->status == 200);

    disk.free_space();
    auto after = start_async(c, big_body(4));
    CHECK(wait_until_ended(c, after) == "completed");
    CHECK(gallery_size(c) == 2);
    CHECK(entries_in(data.path()) == 2);
    CHECK(files_in(data.path() / "storage") == files_before + 1);
    auto first = parse_json(fetch(c, "/media-data?sort=ascending"));
    CHECK(std::string(first[0]["taskId"].GetString()) == kept);
    CHECK(std::string(first[1]["taskId"].GetString()) == after);
    CHECK(server.stop() == 0);
  }
  // A start on a full disk serves what is stored; a commit fails honestly; the exit is clean.
  disk.fill();
  server_process server(data.path(), {"--builtin-workers=1"});
  auto c = server.client(10);
  CHECK(gallery_size(c) == 2);
  CHECK(c.Get("/media-data/1")->status == 200);
  auto refused = start_async(c, big_body(5));
  CHECK(wait_until_ended(c, refused) == "failed");
  CHECK(gallery_size(c) == 2);
  CHECK(server.stop() == 0);
  CHECK(entries_in(data.path()) == 2);
}

TEST_CASE("full disk: an upload whose entry cannot be made durable ends in error-event and leaves no file") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: mounting a tmpfs needs root");
    return;
  }
  temp_folder data("full-disk-upload");
  small_database_disk disk(data.path());
  REQUIRE(disk.mounted());
  server_process server(data.path());
  auto c = server.client(10);
  std::string png = tiny_png(c, 3);
  const auto files_before = files_in(data.path() / "storage");
  disk.fill();
  // A prompt bigger than a page, so the record cannot slip into the journal's last page.
  auto res = c.Post("/upload/image", httplib::MultipartFormDataItems{{"image", png, "a.png", "image/png"},
                                                                     {"prompt", std::string(9000, 'p'), "", ""}});
  REQUIRE(res);
  REQUIRE(res->status == 200);
  std::string id = parse_json(res->body)["taskId"].GetString();
  auto events = read_events(server.port(), id);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().event == "error-event");
  CHECK(state_of(c, id) == "failed");
  CHECK(gallery_size(c) == 0);
  CHECK(entries_in(data.path()) == 0);
  CHECK(files_in(data.path() / "storage") == files_before); // the stored copy went with the refused entry
  CHECK(eventually([&] { return files_in(data.path() / "inputs") == 0; }, std::chrono::seconds(5)));
  CHECK(server.stop() == 0);
}
