#pragma once
// media-data.json in memory: the gallery entries, uid assignment and gallery queries.
// Not thread-safe: the media_store actor is its only user.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/json.hpp"

namespace mediagen {

struct gallery_query {
  std::string text;          ///< matches name, prompt, description or the yyyy-mm-dd of timestamp
  std::string tags;          ///< comma-separated; all must be present
  std::int64_t limit = -1;   ///< -1: all
  bool ascending = false;    ///< default newest first
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gallery_query& x) {
  return f(x.text, x.tags, x.limit, x.ascending);
}

class media_database {
public:
  /// Loads `path`. A missing file gives an empty database; one that does not parse (or has the
  /// wrong shape) gives nullptr and a sentence in `error`, and the file is left as it is.
  static std::unique_ptr<media_database> load(const std::string& path, std::string& error);

  /// Parses database text (tests, and load).
  static std::unique_ptr<media_database> parse(const std::string& text, std::string& error);

  /// Adds an entry (a JSON object); assigns and returns its uid. Sets folder "" when absent.
  std::int64_t append(json::value& entry);

  /// The whole file's text.
  std::string serialize() const;

  /// Entries matching the query, as a JSON array.
  std::string query(const gallery_query& q) const;

  /// One entry as JSON, if present.
  std::optional<std::string> find(std::int64_t uid) const;

  std::size_t size() const;

  /// Whether an entry of this task is stored (a crash between store and journal leaves both).
  bool has_task(const std::string& task_id) const;
  std::int64_t next_uid() const { return next_uid_; }

private:
  media_database();
  json::document doc_;
  std::int64_t next_uid_ = 1;
};

} // namespace mediagen
