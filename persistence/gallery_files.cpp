#include "persistence/gallery_files.hpp"

#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

namespace mediagen {

std::string gallery_journal_path(const std::string& database_path) {
  fs::path p(database_path);
  return (p.parent_path() / (p.stem().string() + ".journal")).string();
}

namespace {

// A kill during an atomic rewrite leaves its temporary file (the target itself is whole).
void remove_stale_temporaries(const std::string& database_path, const std::string& journal_path) {
  std::error_code ec;
  fs::path folder = fs::path(database_path).parent_path();
  if (folder.empty()) folder = ".";
  std::string prefixes[] = {fs::path(database_path).filename().string() + ".tmp-",
                            fs::path(journal_path).filename().string() + ".tmp-"};
  for (auto& f : fs::directory_iterator(folder, ec)) {
    auto name = f.path().filename().string();
    for (auto& prefix : prefixes)
      if (name.rfind(prefix, 0) == 0) fs::remove(f.path(), ec);
  }
}

} // namespace

opened_gallery open_gallery(const std::string& database_path, std::string& error) {
  opened_gallery out;
  auto db = media_database::load(database_path, error);
  if (!db) return out;
  auto journal_path = gallery_journal_path(database_path);
  remove_stale_temporaries(database_path, journal_path);
  auto* raw = db.get();
  auto journal = gallery_journal::open(
      journal_path, [raw](const json::value& record) { return raw->apply(record); }, out.replayed, error);
  if (!journal) return out;
  db->index().publish();
  if (out.replayed.dropped_bytes > 0)
    std::fprintf(stderr, "warn media_store dropped the journal's last bytes bytes=%llu reason=\"%s\"\n",
                 static_cast<unsigned long long>(out.replayed.dropped_bytes), out.replayed.dropped_reason.c_str());
  out.db = std::move(db);
  out.journal = std::move(journal);
  return out;
}

} // namespace mediagen
