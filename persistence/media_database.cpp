#include "persistence/media_database.hpp"

#include <algorithm>
#include <cctype>
#include <sys/stat.h>
#include <vector>

#include "persistence/atomic_file.hpp"

namespace mediagen {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool contains_ci(const json::value& entry, const char* field, const std::string& needle) {
  auto s = json::get_string(entry, field);
  return s && lower(*s).find(needle) != std::string::npos;
}

bool has_all_tags(const json::value& entry, const std::string& tags) {
  auto* list = json::member(entry, "tags");
  size_t start = 0;
  while (start <= tags.size()) {
    size_t comma = tags.find(',', start);
    std::string tag = tags.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    tag.erase(0, tag.find_first_not_of(' '));
    if (auto end = tag.find_last_not_of(' '); end != std::string::npos) tag.erase(end + 1);
    if (!tag.empty()) {
      bool found = false;
      if (list && list->IsArray())
        for (auto& t : list->GetArray())
          if (t.IsString() && lower(t.GetString()) == lower(tag)) found = true;
      if (!found) return false;
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return true;
}

} // namespace

media_database::media_database() { doc_.SetObject(); }

std::unique_ptr<media_database> media_database::parse(const std::string& text, std::string& error) {
  std::unique_ptr<media_database> db(new media_database());
  if (auto e = json::parse(text, db->doc_); !e.empty()) {
    error = e;
    return nullptr;
  }
  if (!db->doc_.IsObject()) {
    error = "the top level is not a JSON object";
    return nullptr;
  }
  auto& a = db->doc_.GetAllocator();
  auto* list = json::member(db->doc_, "mediaData");
  if (list && !list->IsArray()) {
    error = "'mediaData' is not an array";
    return nullptr;
  }
  if (!list) db->doc_.AddMember("mediaData", json::value(rapidjson::kArrayType), a);
  if (!json::member(db->doc_, "folders")) {
    json::value folders(rapidjson::kArrayType);
    json::value unsorted(rapidjson::kObjectType);
    unsorted.AddMember("uid", "", a);
    unsorted.AddMember("label", "Unsorted", a);
    folders.PushBack(unsorted, a);
    db->doc_.AddMember("folders", folders, a);
  }
  if (!json::member(db->doc_, "currentFolder")) db->doc_.AddMember("currentFolder", "", a);
  for (auto& e : db->doc_["mediaData"].GetArray())
    if (auto uid = json::get_int(e, "uid")) db->next_uid_ = std::max<std::int64_t>(db->next_uid_, *uid + 1);
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

std::int64_t media_database::append(json::value& entry) {
  auto& a = doc_.GetAllocator();
  std::int64_t uid = next_uid_++;
  json::value copy(entry, a);
  json::set(copy, "uid", json::value(static_cast<int64_t>(uid)), a);
  if (!json::member(copy, "folder")) copy.AddMember("folder", "", a);
  doc_["mediaData"].PushBack(copy, a);
  return uid;
}

std::string media_database::serialize() const { return json::stringify_pretty(doc_); }

std::string media_database::query(const gallery_query& q) const {
  const auto& list = doc_["mediaData"];
  std::vector<const json::value*> hits;
  std::string needle = lower(q.text);
  for (auto& e : list.GetArray()) {
    if (!needle.empty()) {
      auto ts = json::get_string(e, "timestamp");
      bool date_match = ts && ts->size() >= 10 && lower(ts->substr(0, 10)) == needle;
      if (!date_match && !contains_ci(e, "name", needle) && !contains_ci(e, "prompt", needle) &&
          !contains_ci(e, "description", needle))
        continue;
    }
    if (!q.tags.empty() && !has_all_tags(e, q.tags)) continue;
    hits.push_back(&e);
  }
  // Entries are appended in time order, so file order is oldest first.
  if (!q.ascending) std::reverse(hits.begin(), hits.end());
  if (q.limit >= 0 && hits.size() > static_cast<size_t>(q.limit)) hits.resize(static_cast<size_t>(q.limit));
  json::document out(rapidjson::kArrayType);
  for (auto* h : hits) out.PushBack(json::value(*h, out.GetAllocator()), out.GetAllocator());
  return json::stringify(out);
}

std::optional<std::string> media_database::find(std::int64_t uid) const {
  for (auto& e : doc_["mediaData"].GetArray())
    if (json::get_int(e, "uid") == uid) return json::stringify(e);
  return std::nullopt;
}

bool media_database::has_task(const std::string& task_id) const {
  for (auto& e : doc_["mediaData"].GetArray())
    if (json::get_string(e, "taskId") == task_id) return true;
  return false;
}

std::size_t media_database::size() const { return doc_["mediaData"].Size(); }

} // namespace mediagen
