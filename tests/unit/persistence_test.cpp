#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>
#include <vector>

#include "persistence/atomic_file.hpp"
#include "persistence/media_database.hpp"
#include "persistence/storage.hpp"

using namespace mediagen;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const char* name) {
  auto p = fs::temp_directory_path() / (std::string("mediagen-unit-") + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

json::document entry(const char* name) {
  json::document d;
  d.SetObject();
  d.AddMember("name", json::str(name, d.GetAllocator()), d.GetAllocator());
  d.AddMember("timestamp", "2026-11-23T12:00:00.000Z", d.GetAllocator());
  return d;
}

} // namespace

TEST_CASE("atomic write replaces the whole file and leaves no temporary behind") {
  auto dir = temp_dir("atomic");
  auto path = (dir / "f.json").string();
  REQUIRE(write_file_atomically(path, "old").empty());
  REQUIRE(write_file_atomically(path, "new contents").empty());
  std::string text;
  REQUIRE(read_whole_file(path, text));
  CHECK(text == "new contents");
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  CHECK_FALSE(write_file_atomically((dir / "missing" / "f.json").string(), "x").empty());
  fs::remove_all(dir);
}

TEST_CASE("uids are unique and increasing, and continue after a reload") {
  std::string error, record;
  auto db = media_database::parse("{}", error);
  REQUIRE(static_cast<bool>(db));
  auto a = entry("a"), b = entry("b");
  CHECK(db->add(a, record) == 1);
  CHECK(db->add(b, record) == 2);
  auto reloaded = media_database::parse(db->render(*db->index().publish()), error);
  REQUIRE(static_cast<bool>(reloaded));
  auto c = entry("c");
  CHECK(reloaded->add(c, record) == 3);
  auto snapshot = reloaded->index().publish();
  CHECK(snapshot->size() == 3);
  json::document file;
  REQUIRE(json::parse(reloaded->render(*snapshot), file).empty());
  CHECK(file["mediaData"].IsArray());
  CHECK(file["folders"].IsArray());
  CHECK(file.HasMember("currentFolder"));
  CHECK(std::string(file["mediaData"][0]["folder"].GetString()).empty());
  CHECK(file["mediaData"][2]["uid"].GetInt() == 3);
}

TEST_CASE("a database that does not parse is refused and left untouched") {
  auto dir = temp_dir("corrupt");
  auto path = (dir / "media-data.json").string();
  REQUIRE(write_file_atomically(path, "{\"mediaData\": [ {\"uid\": 1,").empty());
  std::string error;
  CHECK_FALSE(static_cast<bool>(media_database::load(path, error)));
  CHECK(error.find("media-data.json") != std::string::npos);
  std::string after;
  read_whole_file(path, after);
  CHECK(after == "{\"mediaData\": [ {\"uid\": 1,");
  REQUIRE(write_file_atomically(path, "{\"mediaData\": 5}").empty());
  CHECK_FALSE(static_cast<bool>(media_database::load(path, error)));
  CHECK(static_cast<bool>(media_database::load((dir / "absent.json").string(), error))); // a new server starts empty
  fs::remove_all(dir);
}

TEST_CASE("gallery queries filter by text, date and tags, newest first by default, and page") {
  std::string error;
  auto db = media_database::parse(R"({"mediaData":[
    {"uid":1,"name":"Red fox","prompt":"a fox","timestamp":"2026-11-01T10:00:00.000Z","tags":["animal","red"]},
    {"uid":2,"name":"Blue sky","prompt":"sky","timestamp":"2026-11-02T10:00:00.000Z","tags":["sky"]},
    {"uid":3,"name":"Fox again","prompt":"another","description":"FOX","timestamp":"2026-11-03T10:00:00.000Z","tags":["Animal"]}]})",
                                  error);
  REQUIRE(static_cast<bool>(db));
  auto snapshot = db->index().current();
  auto uids = [&](gallery_query q) {
    json::document d;
    REQUIRE(json::parse(snapshot->query(q), d).empty());
    std::vector<int> out;
    for (auto& e : d.GetArray()) out.push_back(e["uid"].GetInt());
    return out;
  };
  CHECK(uids({}) == std::vector<int>{3, 2, 1});
  gallery_query q;
  q.ascending = true;
  CHECK(uids(q) == std::vector<int>{1, 2, 3});
  q = {};
  q.text = "fox";
  CHECK(uids(q) == std::vector<int>{3, 1});
  q.text = "FOX AG"; // case-insensitive, across words of one field only
  CHECK(uids(q) == std::vector<int>{3});
  q.text = "foxa"; // never across two fields
  CHECK(uids(q).empty());
  q.text = "2026-11-02";
  CHECK(uids(q) == std::vector<int>{2});
  q = {};
  q.tags = "animal, red";
  CHECK(uids(q) == std::vector<int>{1});
  q.tags = "animal";
  CHECK(uids(q) == std::vector<int>{3, 1});
  q = {};
  q.limit = 1;
  CHECK(uids(q) == std::vector<int>{3});
  q.offset = 1;
  CHECK(uids(q) == std::vector<int>{2});
  q.offset = 3;
  CHECK(uids(q).empty());
  q = {};
  q.text = "fox";
  q.offset = 1;
  CHECK(uids(q) == std::vector<int>{1}); // the offset counts matches, not entries
  REQUIRE(snapshot->find(2).has_value());
  json::document one;
  REQUIRE(json::parse(*snapshot->find(2), one).empty());
  CHECK(one["uid"].GetInt() == 2);
  CHECK_FALSE(snapshot->find(9).has_value());
  CHECK_FALSE(snapshot->find(0).has_value());
}

TEST_CASE("storage names are unique under concurrency and never overwrite") {
  auto dir = temp_dir("storage");
  { std::ofstream(dir / "image_7.png") << "keep"; }
  storage s(dir.string());
  std::vector<std::thread> threads;
  std::mutex m;
  std::set<std::string> names;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto n = s.save_new("image", "png", "data");
        std::lock_guard<std::mutex> lock(m);
        names.insert(n);
      }
    });
  for (auto& t : threads) t.join();
  CHECK(names.size() == 400);
  CHECK(names.count("image_7.png") == 0);
  std::string kept;
  read_whole_file((dir / "image_7.png").string(), kept);
  CHECK(kept == "keep");
  // a second storage on the same folder (another process) continues, and O_EXCL guards races
  storage again(dir.string());
  CHECK(names.count(again.save_new("image", "png", "x")) == 0);
  fs::remove_all(dir);
}

TEST_CASE("storage resolves only plain names of regular files inside it") {
  auto dir = temp_dir("resolve");
  storage s((dir / "storage").string());
  auto name = s.save_new("image", "png", "png-bytes");
  CHECK(s.resolve(name).has_value());
  std::ofstream(dir / "secret.txt") << "secret";
  fs::create_symlink(dir / "secret.txt", dir / "storage" / "link.png");
  for (const char* bad :
       {"../secret.txt", "..", "", ".hidden", "a/b.png", "/etc/passwd", "link.png", "missing.png", "..%2fsecret.txt"})
    CHECK_MESSAGE(!s.resolve(bad).has_value(), bad);
  fs::remove_all(dir);
}
