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
  auto folders = std::make_shared<gallery_folders>();
  if (auto* folder_list = json::member(doc, "folders")) {
    if (!folder_list->IsArray()) {
      error = "'folders' is not an array";
      return nullptr;
    }
    for (auto& f : folder_list->GetArray()) {
      auto uid = json::get_string(f, "uid");
      if (!uid) {
        error = "a folder has no string 'uid'";
        return nullptr;
      }
      if (uid->empty()) continue; // "Unsorted" is implied
      folders->list.push_back(gallery_folder{*uid, json::get_string(f, "label").value_or(*uid)});
    }
  }
  folders->current = json::get_string(doc, "currentFolder").value_or("");
  db->folders_ = std::move(folders);
  // Deleted entries leave media-data.json: the highest uid ever given is kept beside them.
  if (auto next = json::get_int(doc, "nextUid")) db->next_uid_ = std::max<std::int64_t>(db->next_uid_, *next);
  for (auto& m : doc.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    if (key == "mediaData" || key == "folders" || key == "currentFolder" || key == "nextUid") continue;
    db->rest_ += ",\n" + json::quote(key) + ": " + json::stringify(m.value);
  }
  return db;
}

std::unique_ptr<media_database> media_database::load(const std::string& path, std::string& error) {
  struct stat st {};
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
  if (!json::member(copy, "folder")) copy.AddMember("folder", json::str(folders_->current, a), a);
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
  if (*op == "edit") return apply_edit(record);
  if (*op == "delete") return apply_delete(record);
  if (*op == "folders") return apply_folders(record);
  return "a record of kind '" + *op + "' is not known to this version of the server";
}

std::string media_database::render(const gallery_snapshot& s) const { return render(s, *folders_, next_uid_); }

std::string media_database::render(const gallery_snapshot& s, const gallery_folders& f, std::int64_t next_uid) const {
  std::size_t bytes = 64 + rest_.size();
  for (std::size_t i = 0; i < s.size(); ++i) bytes += s.at(i).json.size() + 2;
  std::string out;
  out.reserve(bytes);
  out += "{\"mediaData\": [";
  bool first = true;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.at(i).deleted) continue;
    out += first ? "\n" : ",\n";
    first = false;
    out += s.at(i).json;
  }
  out += "\n]";
  // The Node server's shape: "Unsorted" first in the list.
  out += ",\n\"folders\": [{\"uid\":\"\",\"label\":\"Unsorted\"}";
  for (auto& folder : f.list)
    out += ",{\"uid\":" + json::quote(folder.uid) + ",\"label\":" + json::quote(folder.label) + "}";
  out += "],\n\"currentFolder\": " + json::quote(f.current) + ",\n\"nextUid\": " + std::to_string(next_uid);
  out += rest_;
  out += "\n}\n";
  return out;
}

} // namespace mediagen

namespace mediagen {

namespace {

const gallery_folder* find_folder(const gallery_folders& f, const std::string& uid) {
  for (auto& folder : f.list)
    if (folder.uid == uid) return &folder;
  return nullptr;
}

bool folder_exists(const gallery_folders& f, const std::string& uid) { return uid.empty() || find_folder(f, uid); }

std::string folders_record(const gallery_folders& f, const std::string& unfile) {
  std::string out = "{\"op\":\"folders\",\"list\":[";
  for (std::size_t i = 0; i < f.list.size(); ++i)
    out += (i ? ",{\"uid\":" : "{\"uid\":") + json::quote(f.list[i].uid) +
           ",\"label\":" + json::quote(f.list[i].label) + "}";
  out += "],\"current\":" + json::quote(f.current);
  if (!unfile.empty()) out += ",\"unfile\":" + json::quote(unfile);
  return out + "}";
}

// Gives the folder `uid` the label `label`; false when there is no such folder.
bool relabel(gallery_folders& f, const std::string& uid, const std::string& label) {
  bool found = false;
  for (auto& folder : f.list)
    if (folder.uid == uid) {
      folder.label = label;
      found = true;
    }
  return found;
}

change_refusal refused(change_refusal_reason reason, std::string subject = {}, std::vector<std::int64_t> uids = {}) {
  return change_refusal{reason, std::move(subject), std::move(uids)};
}

} // namespace

const gallery_entry* media_database::live_entry(std::int64_t uid) const {
  auto at = index_.position_of(uid);
  if (!at || *at >= index_.published()) return nullptr;
  const auto& e = index_.at(*at);
  return e.deleted ? nullptr : &e;
}

std::optional<change_refusal> media_database::prepare(const gallery_change& change, const std::string& new_folder_uid,
                                                      std::string& record) const {
  using reason = change_refusal_reason;
  const auto& folders = *folders_;
  if (change.what == change_kind::edit) {
    if (change.edits.empty()) return refused(reason::nothing_to_edit);
    json::document out(rapidjson::kArrayType);
    auto& a = out.GetAllocator();
    std::vector<std::int64_t> missing;
    for (auto& edit : change.edits) {
      auto* e = live_entry(edit.uid);
      if (!e) {
        missing.push_back(edit.uid);
        continue;
      }
      if (edit.has_folder && !folder_exists(folders, edit.folder)) return refused(reason::no_such_folder, edit.folder);
      json::document entry;
      json::parse(e->json, entry);
      json::value copy(entry, a);
      if (edit.has_name) json::set(copy, "name", json::str(edit.name, a), a);
      if (edit.has_description) json::set(copy, "description", json::str(edit.description, a), a);
      if (edit.has_tags) {
        json::value tags(rapidjson::kArrayType);
        for (auto& t : edit.tags) tags.PushBack(json::str(t, a), a);
        json::set(copy, "tags", std::move(tags), a);
      }
      if (edit.has_folder) json::set(copy, "folder", json::str(edit.folder, a), a);
      out.PushBack(copy, a);
    }
    if (!missing.empty()) return refused(reason::entries_not_found, {}, std::move(missing));
    record = "{\"op\":\"edit\",\"entries\":" + json::stringify(out) + "}";
    return std::nullopt;
  }
  if (change.what == change_kind::remove) {
    if (change.uids.empty()) return refused(reason::no_uids);
    std::string list;
    std::vector<std::int64_t> missing;
    for (auto uid : change.uids) {
      if (!live_entry(uid)) missing.push_back(uid);
      list += (list.empty() ? "" : ",") + std::to_string(uid);
    }
    if (!missing.empty()) return refused(reason::entries_not_found, {}, std::move(missing));
    record = "{\"op\":\"delete\",\"uids\":[" + list + "]}";
    return std::nullopt;
  }
  gallery_folders next = folders;
  std::string unfile;
  if (change.what == change_kind::select_folder) {
    if (!folder_exists(folders, change.folder_uid)) return refused(reason::folder_not_found, change.folder_uid);
    next.current = change.folder_uid;
  } else if (change.what == change_kind::create_folder) {
    const gallery_folder* same = nullptr;
    for (auto& f : folders.list)
      if (f.label == change.label) same = &f;
    if (same) {
      next.current = same->uid;
    } else {
      next.list.push_back(gallery_folder{new_folder_uid, change.label});
      next.current = new_folder_uid;
    }
  } else if (change.what == change_kind::put_folder) {
    if (change.folder_uid.empty()) return refused(reason::unsorted_renamed);
    if (!relabel(next, change.folder_uid, change.label))
      next.list.push_back(gallery_folder{change.folder_uid, change.label});
    next.current = change.folder_uid;
  } else if (change.what == change_kind::rename_folder) {
    if (change.folder_uid.empty()) return refused(reason::unsorted_renamed);
    if (!relabel(next, change.folder_uid, change.label)) return refused(reason::folder_not_found, change.folder_uid);
  } else if (change.what == change_kind::delete_folder) {
    if (change.folder_uid.empty()) return refused(reason::unsorted_deleted);
    auto before = next.list.size();
    next.list.erase(std::remove_if(next.list.begin(), next.list.end(),
                                   [&](const gallery_folder& f) { return f.uid == change.folder_uid; }),
                    next.list.end());
    if (next.list.size() == before) return refused(reason::folder_not_found, change.folder_uid);
    if (next.current == change.folder_uid) next.current.clear();
    unfile = change.folder_uid;
  }
  record = folders_record(next, unfile);
  return std::nullopt;
}

std::string media_database::apply_edit(const json::value& record) {
  auto* entries = json::member(record, "entries");
  if (!entries || !entries->IsArray()) return "an edit record has no entries";
  for (auto& e : entries->GetArray()) {
    auto uid = json::get_int(e, "uid");
    if (!uid) return "an edited entry has no uid";
    // Absent: deleted later in the same journal's replay, or never stored. Either way nothing to do.
    auto at = index_.position_of(*uid);
    if (!at || index_.at(*at).deleted) continue;
    index_.replace(*at, make_gallery_entry(e));
  }
  return {};
}

std::string media_database::apply_delete(const json::value& record) {
  auto* uids = json::member(record, "uids");
  if (!uids || !uids->IsArray()) return "a delete record has no uids";
  for (auto& u : uids->GetArray()) {
    if (!u.IsInt64()) return "a delete record holds a uid that is not an integer";
    auto at = index_.position_of(u.GetInt64());
    if (!at || index_.at(*at).deleted) continue;
    gallery_entry tombstone;
    tombstone.uid = u.GetInt64();
    tombstone.deleted = true;
    index_.replace(*at, std::move(tombstone));
  }
  return {};
}

std::string media_database::apply_folders(const json::value& record) {
  auto* list = json::member(record, "list");
  if (!list || !list->IsArray()) return "a folders record has no list";
  auto next = std::make_shared<gallery_folders>();
  for (auto& f : list->GetArray()) {
    auto uid = json::get_string(f, "uid");
    if (!uid || uid->empty()) return "a folders record holds a folder without uid";
    next->list.push_back(gallery_folder{*uid, json::get_string(f, "label").value_or(*uid)});
  }
  next->current = json::get_string(record, "current").value_or("");
  if (auto unfile = json::get_string(record, "unfile"); unfile && !unfile->empty()) {
    for (std::size_t i = 0; i < index_.size(); ++i) {
      const auto& e = index_.at(i);
      if (e.deleted || e.folder != *unfile) continue;
      json::document entry;
      json::parse(e.json, entry);
      json::set(entry, "folder", json::str("", entry.GetAllocator()), entry.GetAllocator());
      index_.replace(i, make_gallery_entry(entry));
    }
  }
  folders_ = std::move(next);
  return {};
}

change_done media_database::answer(const gallery_change& change) const {
  change_done done;
  if (change.what == change_kind::edit)
    for (auto& edit : change.edits)
      if (auto at = index_.position_of(edit.uid)) done.entries.push_back(index_.at(*at).json);
  done.folders = *folders_;
  return done;
}

std::string media_database::folders_json(const gallery_folders& f) {
  std::string out = "{\"list\":[{\"uid\":\"\",\"label\":\"Unsorted\"}";
  for (auto& folder : f.list)
    out += ",{\"uid\":" + json::quote(folder.uid) + ",\"label\":" + json::quote(folder.label) + "}";
  return out + "],\"current\":" + json::quote(f.current) + "}";
}

std::vector<std::string> media_database::files_of(std::int64_t uid) const {
  std::vector<std::string> out;
  auto at = index_.position_of(uid);
  if (!at) return out;
  json::document entry;
  if (!json::parse(index_.at(*at).json, entry).empty()) return out;
  if (auto* outputs = json::member(entry, "outputs"); outputs && outputs->IsArray())
    for (auto& o : outputs->GetArray())
      if (auto url = json::get_string(o, "url"); url && url->rfind("/media/", 0) == 0) out.push_back(url->substr(7));
  return out;
}

} // namespace mediagen
