// Gallery changes in the database, without the actor: checked without side effects, turned into
// one record, applied the same way live and at replay, visible only to snapshots taken after.

#include <doctest/doctest.h>

#include "persistence/media_database.hpp"

using namespace mediagen;

namespace {

std::unique_ptr<media_database> with_entries(int n) {
  std::string error, record;
  auto db = media_database::parse("{}", error);
  REQUIRE(db);
  for (int i = 0; i < n; ++i) {
    json::document e(rapidjson::kObjectType);
    auto& a = e.GetAllocator();
    e.AddMember("name", json::str("entry " + std::to_string(i), a), a);
    e.AddMember("prompt", json::str("prompt " + std::to_string(i), a), a);
    json::value outputs(rapidjson::kArrayType);
    json::value o(rapidjson::kObjectType);
    o.AddMember("url", json::str("/media/image_" + std::to_string(i) + ".png", a), a);
    outputs.PushBack(o, a);
    e.AddMember("outputs", outputs, a);
    db->add(e, record);
  }
  db->index().publish();
  return db;
}

// prepare, then apply what it made, as the store does.
std::string change(media_database& db, const gallery_change& c, std::string* record_out = nullptr) {
  std::string record;
  if (auto refusal = db.prepare(c, "folder-new", record))
    return "refused " + std::to_string(static_cast<int>(refusal->reason)) + ": " + refusal->subject;
  json::document d;
  REQUIRE(json::parse(record, d).empty());
  REQUIRE(db.apply(d).empty());
  db.index().publish();
  if (record_out) *record_out = record;
  return {};
}

json::document entry_of(const media_database& db, std::int64_t uid) {
  auto text = db.index().current()->find(uid);
  REQUIRE(text);
  json::document d;
  json::parse(*text, d);
  return d;
}

} // namespace

TEST_CASE("gallery changes: an edit changes the four fields only, and old snapshots keep the old entry") {
  auto db = with_entries(3);
  auto before = db->index().current();
  gallery_change c;
  c.what = change_kind::edit;
  entry_edit e;
  e.uid = 2;
  e.has_name = e.has_tags = true;
  e.name = "renamed";
  e.tags = {"a", "b"};
  c.edits.push_back(e);
  REQUIRE(change(*db, c) == "");
  auto now = entry_of(*db, 2);
  CHECK(std::string(now["name"].GetString()) == "renamed");
  CHECK(now["tags"].Size() == 2);
  CHECK(std::string(now["prompt"].GetString()) == "prompt 1");
  // The snapshot a reader held before still says what it said.
  json::document old;
  json::parse(*before->find(2), old);
  CHECK(std::string(old["name"].GetString()) == "entry 1");
  CHECK_FALSE(old.HasMember("tags"));

  // Several entries of one chunk in one change: all of them new in the next snapshot, none in the old.
  auto second = db->index().current();
  gallery_change both;
  both.what = change_kind::edit;
  entry_edit x, y;
  x.uid = 1;
  y.uid = 3;
  x.has_name = y.has_name = true;
  x.name = "x";
  y.name = "y";
  both.edits = {x, y};
  REQUIRE(change(*db, both) == "");
  CHECK(std::string(entry_of(*db, 1)["name"].GetString()) == "x");
  CHECK(std::string(entry_of(*db, 3)["name"].GetString()) == "y");
  CHECK(std::string(entry_of(*db, 2)["name"].GetString()) == "renamed");
  CHECK(second->find(1)->find("\"entry 0\"") != std::string::npos);
  CHECK(second->find(3)->find("\"entry 2\"") != std::string::npos);
}

TEST_CASE("gallery changes: refusals change nothing and make no record") {
  auto db = with_entries(2);
  auto rendered = db->render(*db->index().current());
  std::string record;
  using reason = change_refusal_reason;
  auto refusal = [&](const gallery_change& c) {
    auto r = db->prepare(c, "f", record);
    REQUIRE(r);
    return r->reason;
  };
  gallery_change edit;
  edit.what = change_kind::edit;
  entry_edit good, missing;
  good.uid = 1;
  good.has_name = true;
  good.name = "x";
  missing.uid = 99;
  edit.edits = {good, missing};
  CHECK(refusal(edit) == reason::entries_not_found);
  CHECK(db->prepare(edit, "f", record)->uids == std::vector<std::int64_t>{99});
  entry_edit bad_folder = good;
  bad_folder.has_folder = true;
  bad_folder.folder = "nowhere";
  edit.edits = {bad_folder};
  CHECK(refusal(edit) == reason::no_such_folder);
  CHECK(db->prepare(edit, "f", record)->subject == "nowhere");
  gallery_change del;
  del.what = change_kind::remove;
  del.uids = {1, 42};
  CHECK(refusal(del) == reason::entries_not_found);
  CHECK(db->prepare(del, "f", record)->uids == std::vector<std::int64_t>{42});
  gallery_change folder;
  folder.what = change_kind::delete_folder;
  folder.folder_uid = "";
  CHECK(refusal(folder) == reason::unsorted_deleted);
  folder.folder_uid = "absent";
  CHECK(refusal(folder) == reason::folder_not_found);
  folder.what = change_kind::select_folder;
  CHECK(refusal(folder) == reason::folder_not_found);
  CHECK(db->prepare(folder, "f", record)->subject == "absent");
  CHECK(record.empty());
  CHECK(db->render(*db->index().current()) == rendered);
}

TEST_CASE("gallery changes: deletes leave the file, keep uids unique, and replay to the same state") {
  auto db = with_entries(3);
  CHECK(db->files_of(3) == std::vector<std::string>{"image_2.png"});
  std::vector<std::string> records;
  gallery_change folder;
  folder.what = change_kind::create_folder;
  folder.label = "Box";
  std::string r;
  REQUIRE(change(*db, folder, &r) == "");
  records.push_back(r);
  CHECK(db->folders()->current == "folder-new");
  gallery_change move;
  move.what = change_kind::edit;
  entry_edit e;
  e.uid = 1;
  e.has_folder = true;
  e.folder = "folder-new";
  move.edits = {e};
  REQUIRE(change(*db, move, &r) == "");
  records.push_back(r);
  gallery_change del;
  del.what = change_kind::remove;
  del.uids = {3};
  REQUIRE(change(*db, del, &r) == "");
  records.push_back(r);
  CHECK_FALSE(db->index().current()->find(3));
  gallery_change drop;
  drop.what = change_kind::delete_folder;
  drop.folder_uid = "folder-new";
  REQUIRE(change(*db, drop, &r) == "");
  records.push_back(r);
  CHECK(std::string(entry_of(*db, 1)["folder"].GetString()).empty());
  CHECK(db->folders()->list.empty());

  // The rewritten file: without the deleted entry, and the next uid after it.
  auto text = db->render(*db->index().current());
  std::string error, record;
  auto reloaded = media_database::parse(text, error);
  REQUIRE(reloaded);
  CHECK(reloaded->index().current()->size() == 2);
  json::document fresh(rapidjson::kObjectType);
  CHECK(reloaded->add(fresh, record) == 4);

  // Replaying the same records over the original file gives the same file (and again: idempotent).
  auto replayed = with_entries(3);
  for (int round = 0; round < 2; ++round)
    for (auto& rec : records) {
      json::document d;
      REQUIRE(json::parse(rec, d).empty());
      REQUIRE(replayed->apply(d).empty());
    }
  replayed->index().publish();
  CHECK(replayed->render(*replayed->index().current()) == text);
}

TEST_CASE("gallery changes: GET /tags counts come from live entries") {
  auto db = with_entries(2);
  gallery_change c;
  c.what = change_kind::edit;
  entry_edit a, b;
  a.uid = 1;
  a.has_tags = true;
  a.tags = {"Fox", "snow", "fox"};
  b.uid = 2;
  b.has_tags = true;
  b.tags = {"fox"};
  c.edits = {a, b};
  REQUIRE(change(*db, c) == "");
  auto counts = db->index().current()->tag_counts();
  REQUIRE(counts.size() == 2);
  CHECK(counts[0] == std::make_pair(std::string("fox"), std::size_t{2}));
  CHECK(counts[1] == std::make_pair(std::string("snow"), std::size_t{1}));
}
