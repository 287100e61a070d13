#pragma once
// media-data.json as the server holds it: the gallery entries (persistence/gallery_snapshot.hpp),
// the rest of the file (folders, currentFolder) and uid assignment; loading the file, replaying
// the gallery journal's records over it, and rendering the file again from a snapshot.
// Not thread-safe: the media store actor is its only writer (readers use published snapshots).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/json.hpp"
#include "persistence/gallery_changes.hpp"
#include "persistence/gallery_snapshot.hpp"

namespace mediagen {

class media_database {
public:
  /// Loads `path`. A missing file gives an empty database; one that does not parse (or has the
  /// wrong shape) gives nullptr and a sentence in `error`, and the file is left as it is.
  static std::unique_ptr<media_database> load(const std::string& path, std::string& error);

  /// Parses database text (tests, and load). Everything is published.
  static std::unique_ptr<media_database> parse(const std::string& text, std::string& error);

  /// Gives `entry` (a JSON object) the next uid, and the current folder when it has none, and adds it
  /// after every other entry, not yet published. `record` receives its framed journal record.
  std::int64_t add(json::value& entry, std::string& record);

  /// Applies one journal record (replay at start-up; publish the index afterwards). Appends whose uid the gallery already
  /// holds are skipped: the journal may still hold records media-data.json has taken in (a crash
  /// between the rewrite and the journal's cut), so replay must be idempotent. Returns "" or why
  /// the record cannot be applied.
  std::string apply(const json::value& record);

  /// Checks `change` against the gallery (the published state: the store commits pending appends
  /// first) and makes its one journal record, without changing anything: nullopt and `record`
  /// (the payload), or why the change is refused. `new_folder_uid` is the uid a folder created by
  /// this change gets.
  std::optional<change_refusal> prepare(const gallery_change& change, const std::string& new_folder_uid,
                                        std::string& record) const;

  /// What the answer to `change`, just applied, is made of: the edited entries as stored now
  /// and the folders (http/gallery_change_json.cpp renders it as the Node server did).
  change_done answer(const gallery_change& change) const;

  /// Storage names of the files an entry's outputs point at ("/media/<name>").
  std::vector<std::string> files_of(std::int64_t uid) const;

  /// The folders as published (readers hold it as long as they like).
  std::shared_ptr<const gallery_folders> folders() const { return folders_; }
  /// {"list": [{"uid": "", "label": "Unsorted"}, ...], "current": "..."}
  static std::string folders_json(const gallery_folders& f);

  /// media-data.json's text for a snapshot: {"mediaData": [...], "folders", "currentFolder",
  /// "nextUid", <the other members as loaded>}.
  std::string render(const gallery_snapshot& s) const;
  /// The same for the folders as they were with that snapshot (a rewrite in the background).
  std::string render(const gallery_snapshot& s, const gallery_folders& f, std::int64_t next_uid) const;

  gallery_index& index() { return index_; }
  const gallery_index& index() const { return index_; }
  std::int64_t next_uid() const { return next_uid_; }

private:
  media_database() = default;
  std::string apply_edit(const json::value& record);
  std::string apply_delete(const json::value& record);
  std::string apply_folders(const json::value& record);
  /// The published, not deleted entry with `uid`, if any.
  const gallery_entry* live_entry(std::int64_t uid) const;
  gallery_index index_;
  /// The file's other top-level members (not ours), rendered: `,\n"<key>": <value>`...
  std::string rest_;
  /// Replaced, never changed, by each folder change: readers keep theirs.
  std::shared_ptr<const gallery_folders> folders_ = std::make_shared<gallery_folders>();
  std::int64_t next_uid_ = 1;
};

} // namespace mediagen
