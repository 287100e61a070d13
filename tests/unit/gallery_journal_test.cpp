// The gallery journal and the snapshots readers use: records replay in order; a torn or corrupt
// last record is detected and cut off; a kill between any two steps of the rewrite of
// media-data.json leaves files that open to the same gallery; a reader's snapshot never changes
// under it; a failed commit leaves nothing behind.

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

#include "persistence/atomic_file.hpp"
#include "persistence/gallery_files.hpp"

using namespace mediagen;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const char* name) {
  auto p = fs::temp_directory_path() / (std::string("mediagen-unit-gj-") + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// Adds one entry named `name` and commits it to the journal, as the media store does.
std::int64_t commit_one(opened_gallery& g, const std::string& name) {
  json::document e;
  e.SetObject();
  e.AddMember("name", json::str(name, e.GetAllocator()), e.GetAllocator());
  e.AddMember("timestamp", "2026-12-01T10:00:00.000Z", e.GetAllocator());
  std::string record;
  auto uid = g.db->add(e, record);
  REQUIRE(g.journal->append(record, 1).empty());
  g.db->index().publish();
  return uid;
}

std::set<std::int64_t> uids_of(const gallery_snapshot& s) {
  std::set<std::int64_t> out;
  for (std::size_t i = 0; i < s.size(); ++i) out.insert(s.at(i).uid);
  return out;
}

opened_gallery reopen(const fs::path& db) {
  std::string error;
  auto g = open_gallery(db.string(), error);
  INFO(error);
  REQUIRE(g.db);
  return g;
}

std::string text_of(const fs::path& p) {
  std::string t;
  read_whole_file(p.string(), t);
  return t;
}

} // namespace

TEST_CASE("gallery journal: records replay in order over media-data.json, and uids go on") {
  auto dir = temp_dir("replay");
  auto db = dir / "media-data.json";
  {
    auto g = reopen(db);
    for (int i = 0; i < 5; ++i) CHECK(commit_one(g, "e" + std::to_string(i)) == i + 1);
    CHECK(g.journal->records() == 5);
  }
  CHECK_FALSE(fs::exists(db)); // nothing rewritten yet: all of it is in the journal
  auto g = reopen(db);
  CHECK(g.replayed.records == 5);
  CHECK(g.replayed.dropped_bytes == 0);
  auto s = g.db->index().current();
  REQUIRE(s->size() == 5);
  for (std::size_t i = 0; i < 5; ++i) CHECK(s->at(i).uid == static_cast<std::int64_t>(i + 1));
  CHECK(commit_one(g, "next") == 6);
  // Every line is "<length> <crc32> <payload>" with a payload of {"op":"append","entry":...}.
  std::ifstream in(gallery_journal_path(db.string()));
  std::string line;
  std::getline(in, line);
  auto first_space = line.find(' ');
  CHECK(std::stoul(line.substr(0, first_space)) == line.size() - first_space - 10);
  CHECK(line.substr(first_space + 10, 27) == R"({"op":"append","entry":{"na)");
  fs::remove_all(dir);
}

TEST_CASE("gallery journal: a torn or corrupt last record is dropped and cut off, what came before stays") {
  auto dir = temp_dir("torn");
  auto db = dir / "media-data.json";
  auto journal = fs::path(gallery_journal_path(db.string()));
  {
    auto g = reopen(db);
    for (int i = 0; i < 3; ++i) commit_one(g, "e" + std::to_string(i));
  }
  auto whole = text_of(journal);
  auto last_start = whole.rfind('\n', whole.size() - 2) + 1;
  // Each way a kill or a bad disk can leave the last record.
  std::vector<std::pair<const char*, std::string>> damaged = {
      {"cut inside the payload", whole.substr(0, whole.size() - 20)},
      {"newline missing", whole.substr(0, whole.size() - 1)},
      {"cut inside the length", whole.substr(0, last_start + 1)},
      {"one payload byte changed", whole.substr(0, whole.size() - 10) + "X" + whole.substr(whole.size() - 9)},
      {"garbage after the last record", whole + "17 0000zzzz {\"op\":\"app"},
  };
  for (auto& [what, text] : damaged) {
    CAPTURE(what);
    REQUIRE(write_file_atomically(journal.string(), text).empty());
    auto g = reopen(db);
    bool extra = std::string(what) == "garbage after the last record";
    CHECK(g.replayed.records == (extra ? 3u : 2u));
    CHECK(g.replayed.dropped_bytes > 0);
    CHECK_FALSE(g.replayed.dropped_reason.empty());
    CHECK(g.db->index().current()->size() == (extra ? 3u : 2u));
    CHECK(fs::file_size(journal) == (extra ? whole.size() : last_start)); // the tail is cut off
    // The journal goes on after the cut: the next record replays.
    commit_one(g, "after");
    auto again = reopen(db);
    CHECK(again.replayed.dropped_bytes == 0);
    CHECK(again.db->index().current()->size() == (extra ? 4u : 3u));
  }
  fs::remove_all(dir);
}

TEST_CASE("gallery journal: a record that checks out but cannot be applied stops start-up") {
  auto dir = temp_dir("unknown");
  auto db = dir / "media-data.json";
  auto journal = gallery_journal_path(db.string());
  REQUIRE(write_file_atomically(journal, gallery_journal::frame(R"({"op":"rename","uid":1})")).empty());
  std::string error;
  auto g = open_gallery(db.string(), error);
  CHECK_FALSE(g.db);
  CHECK(error.find("rename") != std::string::npos);
  CHECK(fs::file_size(journal) > 0); // left as it is
  fs::remove_all(dir);
}

TEST_CASE("gallery rewrite: a kill between any two steps opens to the same gallery") {
  auto dir = temp_dir("crashpoints");
  auto db = dir / "media-data.json";
  auto journal = fs::path(gallery_journal_path(db.string()));
  std::set<std::int64_t> expected;
  std::string rewritten;
  std::uint64_t offset = 0;
  std::size_t records = 0;
  {
    auto g = reopen(db);
    for (int i = 0; i < 4; ++i) expected.insert(commit_one(g, "old" + std::to_string(i)));
    REQUIRE(write_file_atomically(db.string(), g.db->render(*g.db->index().current())).empty());
    REQUIRE(g.journal->keep_from(g.journal->bytes(), g.journal->records()).empty()); // a first rewrite
    for (int i = 0; i < 3; ++i) expected.insert(commit_one(g, "journal" + std::to_string(i)));
    // The rewrite's snapshot, and two appends that arrive while it is written.
    auto snapshot = g.db->index().current();
    offset = g.journal->bytes();
    records = g.journal->records();
    rewritten = g.db->render(*snapshot);
    for (int i = 0; i < 2; ++i) expected.insert(commit_one(g, "during" + std::to_string(i)));
  }
  auto old_db = text_of(db), full_journal = text_of(journal);
  auto check_opens_to_expected = [&](const char* state) {
    CAPTURE(state);
    auto g = reopen(db);
    CHECK(uids_of(*g.db->index().current()) == expected);
    CHECK(g.db->next_uid() == *expected.rbegin() + 1);
  };
  // 1. Killed while the new media-data.json was being written: a torn temporary file beside it.
  {
    std::ofstream(db.string() + ".tmp-1-0") << rewritten.substr(0, rewritten.size() / 2);
    check_opens_to_expected("temporary file written, not renamed");
    CHECK_FALSE(fs::exists(db.string() + ".tmp-1-0")); // start-up clears it away
  }
  // 2. Killed after the rename: the new file, the whole journal (replays as a no-op for its first part).
  REQUIRE(write_file_atomically(db.string(), rewritten).empty());
  check_opens_to_expected("new media-data.json, old journal");
  // 3. Killed while the journal was being cut: its temporary file beside it.
  std::ofstream(journal.string() + ".tmp-1-0") << full_journal.substr(static_cast<std::size_t>(offset) / 2);
  check_opens_to_expected("new media-data.json, journal cut not renamed");
  // 4. After the cut: the new file and the records that came during the rewrite.
  REQUIRE(write_file_atomically(db.string(), rewritten).empty());
  REQUIRE(write_file_atomically(journal.string(), full_journal).empty());
  {
    std::string error;
    auto g = open_gallery(db.string(), error);
    REQUIRE(g.db);
    REQUIRE(g.journal->keep_from(offset, records).empty());
    CHECK(g.journal->records() == 2);
  }
  CHECK(text_of(journal) == full_journal.substr(static_cast<std::size_t>(offset)));
  check_opens_to_expected("new media-data.json, cut journal");
  // And back at the start: the old file with the whole journal.
  REQUIRE(write_file_atomically(db.string(), old_db).empty());
  REQUIRE(write_file_atomically(journal.string(), full_journal).empty());
  check_opens_to_expected("old media-data.json, whole journal");
  fs::remove_all(dir);
}

TEST_CASE(
    "gallery snapshots: a reader's snapshot never changes, unpublished entries are invisible and can be dropped") {
  std::string error, record;
  auto db = media_database::parse("{}", error);
  REQUIRE(db);
  auto& index = db->index();
  std::vector<std::shared_ptr<const gallery_snapshot>> taken;
  // Past a chunk boundary, so the snapshots share chunks that later appends write into.
  for (int i = 0; i < 2500; ++i) {
    json::document e;
    e.SetObject();
    e.AddMember("name", json::str("n" + std::to_string(i), e.GetAllocator()), e.GetAllocator());
    db->add(e, record);
    if (i % 500 == 0) taken.push_back(index.publish());
  }
  for (std::size_t k = 0; k < taken.size(); ++k) {
    auto& s = *taken[k];
    CHECK(s.size() == k * 500 + 1);
    CHECK(s.at(s.size() - 1).uid == static_cast<std::int64_t>(s.size()));
    CHECK_FALSE(s.find(static_cast<std::int64_t>(s.size() + 1)).has_value());
  }
  auto before = index.publish();
  json::document e;
  e.SetObject();
  CHECK(db->add(e, record) == 2501);
  CHECK(index.current()->size() == 2500);
  index.discard_unpublished();
  CHECK(index.publish()->size() == 2500);
  CHECK(index.max_uid() == 2500);
  CHECK(db->add(e, record) == 2502); // a uid that failed is never handed out again
}

TEST_CASE("gallery journal: an append a full disk refuses is one sentence, leaves nothing, and the next one works") {
  // A real full file system: a small tmpfs (needs root, as the integration tests do).
  if (::geteuid() != 0) {
    MESSAGE("skipped: mounting a tmpfs needs root");
    return;
  }
  auto dir = temp_dir("full");
  REQUIRE(std::system(("mount -t tmpfs -o size=64k tmpfs " + dir.string()).c_str()) == 0);
  auto db = dir / "media-data.json";
  auto journal = fs::path(gallery_journal_path(db.string()));
  {
    auto g = reopen(db);
    commit_one(g, "durable");
    auto size_before = fs::file_size(journal);
    // Fill the disk.
    {
      std::ofstream filler((dir / "filler").string(), std::ios::binary);
      std::string block(4096, 'x');
      for (int i = 0; i < 64 && filler.write(block.data(), static_cast<std::streamsize>(block.size())); ++i) {}
    }
    json::document e;
    e.SetObject();
    e.AddMember("name", json::str(std::string(8000, 'n'), e.GetAllocator()), e.GetAllocator());
    std::string record;
    g.db->add(e, record);
    auto error = g.journal->append(record, 1);
    CHECK(error.find("No space left on device") != std::string::npos);
    CHECK(error.find(dir.string()) == std::string::npos); // names the file, never the server's folders
    CHECK(error.back() == '.');
    g.db->index().discard_unpublished();
    CHECK(g.journal->records() == 1);
    CHECK(fs::file_size(journal) == size_before); // cut back: nothing of it can reappear
    fs::remove(dir / "filler");
    // Space is back: the next append works without a restart.
    json::document f;
    f.SetObject();
    std::string next;
    CHECK(g.db->add(f, next) == 3);
    CHECK(g.journal->append(next, 1).empty());
    g.db->index().publish();
  }
  auto g = reopen(db);
  CHECK(uids_of(*g.db->index().current()) == std::set<std::int64_t>{1, 3});
  g = opened_gallery{};
  CHECK(std::system(("umount " + dir.string()).c_str()) == 0);
  fs::remove_all(dir);
}

TEST_CASE("gallery journal: a folder removed under a running journal is made again, and the loss is reported once") {
  auto dir = temp_dir("vanished");
  auto db = dir / "media-data.json";
  auto g = reopen(db);
  commit_one(g, "a");
  commit_one(g, "b");
  fs::remove_all(dir);
  CHECK_FALSE(g.journal->take_lost()); // nothing noticed before the next write
  commit_one(g, "c");                  // would go to an unlinked file without the check
  CHECK(g.journal->take_lost());
  CHECK_FALSE(g.journal->take_lost());
  CHECK(g.journal->records() == 1);
  CHECK(fs::exists(gallery_journal_path(db.string())));
  // The store then rewrites media-data.json from memory; here, by hand: everything is back.
  REQUIRE(write_file_atomically(db.string(), g.db->render(*g.db->index().current())).empty());
  auto again = reopen(db);
  CHECK(again.db->index().current()->size() == 3);
  fs::remove_all(dir);
}
