#pragma once
// The gallery journal beside media-data.json (docs/OPERATIONS.md "Gallery durability"): a log of
// typed records, one per line,
//
//     <payload length in bytes> <crc32 of the payload, 8 hex digits> <payload>\n
//
// where the payload is one JSON object {"op": "<kind>", ...} on one line, e.g.
// {"op":"append","entry":{...}}. The length and checksum tell a whole record from a torn or
// corrupted one: replay stops at the first record that is not whole and the file is cut there.
// Each group of records is one write at the journal's end followed by fdatasync, so the cost of a
// commit does not depend on the gallery's size. media-data.json is rewritten from memory now and
// then (compaction), after which the journal keeps only the records that came later.
//
// Not thread-safe: the media store actor is its only user.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/json.hpp"

namespace mediagen {

class gallery_journal {
public:
  struct replay_result {
    std::size_t records = 0;         ///< whole records handed to `apply`
    std::uint64_t dropped_bytes = 0; ///< a torn or corrupt tail, cut off
    std::string dropped_reason;      ///< why the tail was dropped ("" when nothing was)
  };

  /// Reads the journal at `path` (absent: empty), hands every whole record's payload to `apply`
  /// in order, cuts a torn or corrupt tail off, and keeps the file open for appends. `apply`
  /// returns "" or a sentence, which stops the replay and fails the open (`error`). A journal
  /// that cannot be opened for writing (a read-only folder) still replays: commits then fail
  /// until it can be (re)opened.
  static std::unique_ptr<gallery_journal> open(const std::string& path,
                                               const std::function<std::string(const json::value&)>& apply,
                                               replay_result& replayed, std::string& error);
  ~gallery_journal();
  gallery_journal(const gallery_journal&) = delete;
  gallery_journal& operator=(const gallery_journal&) = delete;

  /// One framed line for a payload (compact JSON text without raw newlines).
  static std::string frame(const std::string& payload);

  /// Writes `lines` (framed records, `count` of them) at the end and makes them durable. On
  /// failure the journal is cut back to where it was, so nothing of the group can reappear at
  /// the next start, and "" is not returned but one sentence naming what failed.
  std::string append(const std::string& lines, std::size_t count);

  /// After media-data.json was rewritten with everything up to byte `offset` (which held
  /// `records_before` records): the journal becomes its bytes after `offset`, replaced
  /// atomically (a crash leaves the old journal, whose replay over the new file is a no-op).
  std::string keep_from(std::uint64_t offset, std::size_t records_before);

  /// True once after the journal was found shorter than what was written to it (removed, cut,
  /// its folder gone): media-data.json must then be rewritten from memory, whatever the thresholds.
  bool take_lost() {
    bool was = lost_;
    lost_ = false;
    return was;
  }

  std::uint64_t bytes() const { return end_; }
  std::size_t records() const { return records_; }
  const std::string& path() const { return path_; }

private:
  explicit gallery_journal(std::string path) : path_(std::move(path)) {}
  std::string ensure_open();
  std::string path_;
  int fd_ = -1;
  std::uint64_t end_ = 0;   ///< bytes of whole, durable records
  std::size_t records_ = 0; ///< records in the file
  bool lost_ = false;
};

} // namespace mediagen
