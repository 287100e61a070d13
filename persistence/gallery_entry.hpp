#pragma once
// One gallery entry as the server keeps it in memory: its JSON text (what queries answer and
// media-data.json holds) plus the few fields queries filter on, already lower-cased. Nothing else
// of the entry is kept, so an entry costs its text and a couple of hundred bytes.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"

namespace mediagen {

struct gallery_query {
  std::string text;        ///< matches name, prompt, description or the yyyy-mm-dd of timestamp
  std::string tags;        ///< comma-separated; all must be present
  std::int64_t limit = -1; ///< -1: all
  std::int64_t offset = 0; ///< matches to skip first (paging)
  bool ascending = false;  ///< default newest first
  bool by_folder = false;  ///< only the entries of `folder` ("" = Unsorted)
  std::string folder;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gallery_query& x) {
  return f(x.text, x.tags, x.limit, x.offset, x.ascending, x.by_folder, x.folder);
}

struct gallery_entry {
  std::int64_t uid = 0;
  std::string json; ///< the entry's compact JSON text
  /// lower-cased name, prompt and description one after the other; the lengths say where each ends
  std::string search;
  std::uint32_t name_length = 0;
  std::uint32_t prompt_length = 0;
  char date[10] = {};            ///< the yyyy-mm-dd of the timestamp, lower-cased; all zero when absent
  std::vector<std::string> tags; ///< lower-cased
  std::string task_id;
  std::string folder; ///< the virtual folder's uid ("" = Unsorted)
  /// Deleted by a journal record: queries, lookups and the next media-data.json skip it. (It
  /// keeps its slot until the next start, so positions and uid order never move.)
  bool deleted = false;
};

/// Builds the in-memory entry from its JSON object (which must hold "uid").
gallery_entry make_gallery_entry(const json::value& object);

/// A query prepared once for many entries: lower-cased text, split tags.
struct prepared_query {
  explicit prepared_query(const gallery_query& q);
  bool matches(const gallery_entry& e) const;
  std::string needle;
  std::vector<std::string> tags;
  bool by_folder = false;
  std::string folder;
};

/// ASCII lower case (what the Node server's search did).
std::string lower_ascii(std::string_view s);

} // namespace mediagen
