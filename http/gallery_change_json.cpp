#include "http/gallery_change_json.hpp"

#include "persistence/media_database.hpp"

namespace mediagen {

namespace {

// A client's folder name or uid, cut so a sentence stays a sentence.
std::string short_text(const std::string& s) { return s.size() > 100 ? s.substr(0, 100) + "..." : s; }

std::string joined(const std::vector<std::int64_t>& uids) {
  std::string list;
  for (auto uid : uids) list += (list.empty() ? "" : ", ") + std::to_string(uid);
  return list;
}

} // namespace

std::string change_answer_json(const gallery_change& change, const change_done& done) {
  if (change.what == change_kind::edit) {
    std::string list;
    for (auto& entry : done.entries) list += (list.empty() ? "" : ",") + entry;
    return "{\"success\":true,\"data\":" + (change.edits_as_list ? "[" + list + "]" : list) + "}";
  }
  if (change.what == change_kind::remove) {
    auto n = std::to_string(change.uids.size());
    return "{\"success\":true,\"deletedCount\":" + n + ",\"message\":\"Successfully deleted " + n + " entries\"}";
  }
  return media_database::folders_json(done.folders);
}

std::string change_refusal_sentence(const change_refusal& r) {
  switch (r.reason) {
    case change_refusal_reason::nothing_to_edit: return "Nothing to edit.";
    case change_refusal_reason::no_uids: return "uids must not be empty.";
    case change_refusal_reason::no_such_folder: return "Folder '" + short_text(r.subject) + "' does not exist.";
    case change_refusal_reason::unsorted_renamed: return "Cannot rename the Unsorted folder.";
    case change_refusal_reason::unsorted_deleted: return "Cannot delete the Unsorted folder.";
    case change_refusal_reason::entries_not_found: return "No entries with uids " + joined(r.uids) + ".";
    case change_refusal_reason::folder_not_found: return "Folder with uid " + short_text(r.subject) + " not found.";
    case change_refusal_reason::not_stored: return "The change could not be stored: " + r.subject;
  }
  return "The gallery change was refused.";
}

} // namespace mediagen
