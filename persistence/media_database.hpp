#pragma once
// media-data.json as the server holds it: the gallery entries (persistence/gallery_snapshot.hpp),
// the rest of the file (folders, currentFolder) and uid assignment; loading the file, replaying
// the gallery journal's records over it, and rendering the file again from a snapshot.
// Not thread-safe: the media store actor is its only writer (readers use published snapshots).

#include <cstdint>
#include <memory>
#include <string>

#include "generation/json.hpp"
#include "persistence/gallery_snapshot.hpp"

namespace mediagen {

class media_database {
public:
  /// Loads `path`. A missing file gives an empty database; one that does not parse (or has the
  /// wrong shape) gives nullptr and a sentence in `error`, and the file is left as it is.
  static std::unique_ptr<media_database> load(const std::string& path, std::string& error);

  /// Parses database text (tests, and load). Everything is published.
  static std::unique_ptr<media_database> parse(const std::string& text, std::string& error);

  /// Gives `entry` (a JSON object) the next uid, and folder "" when it has none, and adds it
  /// after every other entry, not yet published. `record` receives its framed journal record.
  std::int64_t add(json::value& entry, std::string& record);

  /// Applies one journal record (replay at start-up; publish the index afterwards). Appends whose uid the gallery already
  /// holds are skipped: the journal may still hold records media-data.json has taken in (a crash
  /// between the rewrite and the journal's cut), so replay must be idempotent. Returns "" or why
  /// the record cannot be applied.
  std::string apply(const json::value& record);

  /// media-data.json's text for a snapshot: {"mediaData": [...], <the other members as loaded>}.
  std::string render(const gallery_snapshot& s) const;

  gallery_index& index() { return index_; }
  const gallery_index& index() const { return index_; }
  std::int64_t next_uid() const { return next_uid_; }

private:
  media_database() = default;
  gallery_index index_;
  /// The file's other top-level members, rendered: `,\n"folders": [...],\n"currentFolder": ""`.
  std::string rest_;
  std::int64_t next_uid_ = 1;
};

} // namespace mediagen
