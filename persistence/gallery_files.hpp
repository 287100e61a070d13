#pragma once
// Start-up of the gallery: media-data.json loaded, its journal replayed over it, temporary files
// of an interrupted rewrite removed. What the media store then owns.

#include <memory>
#include <string>

#include "persistence/gallery_journal.hpp"
#include "persistence/media_database.hpp"

namespace mediagen {

struct opened_gallery {
  std::shared_ptr<media_database> db; ///< nullptr when it could not be opened (`error`)
  std::shared_ptr<gallery_journal> journal;
  gallery_journal::replay_result replayed;
};

/// The journal beside `database_path`: media-data.json → media-data.journal.
std::string gallery_journal_path(const std::string& database_path);

/// Loads media-data.json, replays its journal and publishes the result in the index. Writes
/// nothing but the cut of a torn journal tail, so it works on a full disk.
opened_gallery open_gallery(const std::string& database_path, std::string& error);

} // namespace mediagen
