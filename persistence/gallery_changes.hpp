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

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gallery_folders& x) {
  return f(x.list, x.current);
}

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

/// What a change does. edit: `edits` · remove: delete the entries `uids` (and their files) ·
/// select_folder: make `folder_uid` current · create_folder: the folder labelled `label` (created
/// when none has that label) becomes current · put_folder: `folder_uid` gets `label` (created when
/// absent) and becomes current · rename_folder: `folder_uid` gets `label` · delete_folder: remove
/// `folder_uid`, its entries go to Unsorted.
enum class change_kind : std::uint8_t {
  edit,
  remove,
  select_folder,
  create_folder,
  put_folder,
  rename_folder,
  delete_folder
};

/// "edit", "remove", ... (for logs).
inline const char* to_string(change_kind k) {
  switch (k) {
    case change_kind::edit: return "edit";
    case change_kind::remove: return "remove";
    case change_kind::select_folder: return "select_folder";
    case change_kind::create_folder: return "create_folder";
    case change_kind::put_folder: return "put_folder";
    case change_kind::rename_folder: return "rename_folder";
    case change_kind::delete_folder: return "delete_folder";
  }
  return "unknown";
}

/// One change, applied whole or not at all.
struct gallery_change {
  change_kind what = change_kind::edit;
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

/// Why a change is refused (nothing changed). The media store answers it as a CAF error
/// (actors/errors.hpp, change_refused); http/ words it and picks its status.
enum class change_refusal_reason : std::uint8_t {
  nothing_to_edit,   ///< an edit of no entries
  no_uids,           ///< a delete of no entries
  no_such_folder,    ///< an edit moves an entry into a folder that does not exist; `subject`: its uid
  unsorted_renamed,  ///< put_folder or rename_folder of Unsorted
  unsorted_deleted,  ///< delete_folder of Unsorted
  entries_not_found, ///< `uids`: the entries that are not in the gallery
  folder_not_found,  ///< `subject`: the folder uid that is not there
  not_stored,        ///< the journal could not be written; `subject`: why
};

struct change_refusal {
  change_refusal_reason reason = change_refusal_reason::nothing_to_edit;
  std::string subject;
  std::vector<std::int64_t> uids;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_refusal& x) {
  return f(x.reason, x.subject, x.uids);
}

/// What an applied change left, for its answer: the edited entries as the gallery now stores
/// them (an entry is its JSON document: persistence/gallery_entry.hpp), in the edit's order,
/// and the folders after the change. A delete's answer needs only the change itself.
struct change_done {
  std::vector<std::string> entries;
  gallery_folders folders;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_done& x) {
  return f(x.entries, x.folders);
}

} // namespace mediagen
