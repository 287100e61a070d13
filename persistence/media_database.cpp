#include "persistence/media_database.hpp"

#include <algorithm>
#include <sys/stat.h>

#include "persistence/atomic_file.hpp"
#include "persistence/gallery_journal.hpp"

namespace mediagen {

std::unique_ptr<media_database> media_database::parse(const std::string& text, std::string& error) {
  std::unique_ptr<media_database> db(new media_database());
  json::document doc;
  if (auto e = json::parse(text, doc); !e.empty()) {
    error = e;
    return nullptr;
  }
  if (!doc.IsObject()) {
    error = "the top level is not a JSON object";
    return nullptr;
  }
  auto* list = json::member(doc, "mediaData");
  if (list && !list->IsArray()) {
    error = "'mediaData' is not an array";
    return nullptr;
  }
  if (list)
    for (auto& e : list->GetArray()) {
      if (auto uid = json::get_int(e, "uid")) db->next_uid_ = std::max<std::int64_t>(db->next_uid_, *uid + 1);
      db->index_.add(make_gallery_entry(e));
    }
  db->index_.publish();
  auto& a = doc.GetAllocator();
  if (!json::member(doc, "folders")) {
    json::value folders(rapidjson::kArrayType);
    json::value unsorted(rapidjson::kObjectType);
    unsorted.AddMember("uid", "", a);
    unsorted.AddMember("label", "Unsorted", a);
    folders.PushBack(unsorted, a);
    doc.AddMember("folders", folders, a);
  }
  if (!json::member(doc, "currentFolder")) doc.AddMember("currentFolder", "", a);
  for (auto& m : doc.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    if (key == "mediaData") continue;
    db->rest_ += ",\n" + json::quote(key) + ": " + json::stringify(m.value);
  }
  return db;
}

std::unique_ptr<media_database> media_database::load(const std::string& path, std::string& error) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return parse("{}", error);
  std::string text;
  if (!read_whole_file(path, text)) {
    error = "cannot read '" + path + "'";
    return nullptr;
  }
  auto db = parse(text, error);
  if (!db) error = "'" + path + "' is not a valid media database (" + error + ")";
  return db;
}

std::int64_t media_database::add(json::value& entry, std::string& record) {
  json::document scratch;
  auto& a = scratch.GetAllocator();
  std::int64_t uid = next_uid_++;
  json::value copy(entry, a);
  json::set(copy, "uid", json::value(static_cast<int64_t>(uid)), a);
  if (!json::member(copy, "folder")) copy.AddMember("folder", "", a);
  auto e = make_gallery_entry(copy);
  record = gallery_journal::frame("{\"op\":\"append\",\"entry\":" + e.json + "}");
  index_.add(std::move(e));
  return uid;
}

std::string media_database::apply(const json::value& record) {
  auto op = json::get_string(record, "op");
  if (!op) return "a record has no \"op\"";
  if (*op == "append") {
    auto* entry = json::member(record, "entry");
    auto uid = entry ? json::get_int(*entry, "uid") : std::nullopt;
    if (!entry || !entry->IsObject() || !uid) return "an append record has no entry with a uid";
    // Already in media-data.json (uids only grow, so an older uid is never new).
    if (*uid <= index_.max_uid()) return {};
    next_uid_ = std::max<std::int64_t>(next_uid_, *uid + 1);
    index_.add(make_gallery_entry(*entry));
    return {};
  }
  return "a record of kind '" + *op + "' is not known to this version of the server";
}

std::string media_database::render(const gallery_snapshot& s) const {
  std::size_t bytes = 64 + rest_.size();
  for (std::size_t i = 0; i < s.size(); ++i) bytes += s.at(i).json.size() + 2;
  std::string out;
  out.reserve(bytes);
  out += "{\"mediaData\": [";
  for (std::size_t i = 0; i < s.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    out += s.at(i).json;
  }
  out += "\n]";
  out += rest_;
  out += "\n}\n";
  return out;
}

} // namespace mediagen
