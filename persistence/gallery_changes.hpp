#pragma once
// What a client may change in the gallery besides appends (the Node server's gallery routes):
// entries' name, description, tags and folder; deleting entries; the virtual folders. The HTTP
// layer checks each request's shape into one of these; the media store checks it against the
// gallery, writes it as one journal record and applies it (persistence/media_database.hpp).

#include <cstdint>
#include <string>
#include <vector>

namespace mediagen {

/// A virtual folder: entries carry its uid in "folder"; "" is "Unsorted", which always exists.
struct gallery_folder {
  std::string uid;
  std::string label;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gallery_folder& x) {
  return f(x.uid, x.label);
}

/// The folders and the selected one, as readers see them (published with each change).
struct gallery_folders {
  std::vector<gallery_folder> list; ///< without "Unsorted"
  std::string current;              ///< the folder new entries go to ("" = Unsorted)
};

/// New values for some fields of one entry; the others stay as they are.
struct entry_edit {
  std::int64_t uid = 0;
  bool has_name = false, has_description = false, has_tags = false, has_folder = false;
  std::string name;
  std::string description;
  std::vector<std::string> tags;
  std::string folder;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entry_edit& x) {
  return f(x.uid, x.has_name, x.has_description, x.has_tags, x.has_folder, x.name, x.description, x.tags, x.folder);
}

/// One change, applied whole or not at all.
struct gallery_change {
  /// edit: `edits` · remove: delete the entries `uids` (and their files) · select_folder: make
  /// `folder_uid` current · create_folder: the folder labelled `label` (created when none has that
  /// label) becomes current · put_folder: `folder_uid` gets `label` (created when absent) and
  /// becomes current · rename_folder: `folder_uid` gets `label` · delete_folder: remove
  /// `folder_uid`, its entries go to Unsorted.
  std::string what;
  std::vector<entry_edit> edits;
  bool edits_as_list = false; ///< answer a list (the request was one) or a single entry
  std::vector<std::int64_t> uids;
  std::string folder_uid;
  std::string label;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gallery_change& x) {
  return f(x.what, x.edits, x.edits_as_list, x.uids, x.folder_uid, x.label);
}

/// How a change went: `refusal` "" (done), "invalid" (400), "not_found" (404) or "failed" (the
/// journal could not be written: nothing changed); `error` one sentence; `answer` the JSON to send.
struct change_outcome {
  std::string refusal;
  std::string error;
  std::string answer;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_outcome& x) {
  return f(x.refusal, x.error, x.answer);
}

} // namespace mediagen
