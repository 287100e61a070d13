#pragma once
// The gallery in memory, shared between one writer (the media store) and any number of readers
// (HTTP threads) without a lock and without the writer's mailbox:
//
// - entries live in fixed-size chunks that are never moved or reallocated;
// - the writer adds entries past the published end, where no reader looks, and `publish`es a new
//   immutable snapshot (the chunk pointers and a count) once they are durable: O(new entries)
//   plus one pointer per 1,024 entries, never a copy of the gallery;
// - a reader takes the current snapshot (one atomic shared_ptr load) and reads it for as long as
//   it likes; later appends never touch the entries it can see.
//
// Entries that were added but not published (their commit failed) are dropped by
// `discard_unpublished`; readers never saw them.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "persistence/gallery_changes.hpp"
#include "persistence/gallery_entry.hpp"

namespace mediagen {

struct gallery_chunk {
  static constexpr std::size_t capacity = 1024;
  std::unique_ptr<gallery_entry[]> slots{new gallery_entry[capacity]};
};

/// An immutable view of the first `size` entries, in file order (oldest first).
class gallery_snapshot {
public:
  gallery_snapshot() = default;
  gallery_snapshot(std::vector<std::shared_ptr<const gallery_chunk>> chunks, std::size_t size, bool uids_sorted)
      : chunks_(std::move(chunks)), size_(size), uids_sorted_(uids_sorted) {}

  std::size_t size() const { return size_; }
  const gallery_entry& at(std::size_t i) const {
    return chunks_[i / gallery_chunk::capacity]->slots[i % gallery_chunk::capacity];
  }

  /// The matching entries as a JSON array: skips `offset` matches, stops after `limit`. Scans
  /// from the newest end unless ascending; copies only the answer's text.
  std::string query(const gallery_query& q) const;

  /// One entry's JSON text, if present (binary search when uids grow in file order, as they do).
  std::optional<std::string> find(std::int64_t uid) const;

  /// Every tag in use and how many entries carry it, most used first (a full scan).
  std::vector<std::pair<std::string, std::size_t>> tag_counts() const;

  /// Whether an entry of this task is stored (start-up only: a full scan).
  bool has_task(const std::string& task_id) const;

private:
  std::vector<std::shared_ptr<const gallery_chunk>> chunks_;
  std::size_t size_ = 0;
  bool uids_sorted_ = true;
};

/// The writer's side: appends past the published end, publishes, discards what failed.
/// Not thread-safe: one writer.
class gallery_index {
public:
  /// Adds an entry after every other one, not yet visible to snapshots.
  void add(gallery_entry e);
  /// Makes everything added so far visible: the snapshot readers get from now on.
  std::shared_ptr<const gallery_snapshot> publish();
  /// Forgets the entries added since the last publish.
  void discard_unpublished();
  /// Where the entry with `uid` is (deleted ones included), if anywhere.
  std::optional<std::size_t> position_of(std::int64_t uid) const;
  const gallery_entry& at(std::size_t i) const;
  /// Replaces entry `i` (an edit, a delete's tombstone), visible to the next snapshot only. Only
  /// for entries already published, with nothing added since (the store commits appends first).
  void replace(std::size_t i, gallery_entry e);

  std::size_t size() const { return size_; }
  std::size_t published() const { return published_; }
  std::int64_t max_uid() const { return max_uid_; }
  /// The last published snapshot (empty before the first publish).
  const std::shared_ptr<const gallery_snapshot>& current() const { return current_; }

private:
  gallery_entry& slot(std::size_t i) {
    return chunks_[i / gallery_chunk::capacity]->slots[i % gallery_chunk::capacity];
  }
  std::vector<std::shared_ptr<gallery_chunk>> chunks_;
  std::size_t size_ = 0;
  std::size_t published_ = 0;
  std::int64_t max_uid_ = 0;
  std::int64_t published_max_uid_ = 0;
  bool uids_sorted_ = true;
  bool published_sorted_ = true;
  bool replaced_ = false;    ///< an entry was replaced since the last publish
  std::vector<bool> copied_; ///< per chunk: already a private copy since the last publish
  std::shared_ptr<const gallery_snapshot> current_ = std::make_shared<gallery_snapshot>();
};

/// Where readers find the current snapshot. Thread-safe.
class gallery_view {
public:
  std::shared_ptr<const gallery_snapshot> current() const { return std::atomic_load(&current_); }
  void publish(std::shared_ptr<const gallery_snapshot> s) { std::atomic_store(&current_, std::move(s)); }
  std::shared_ptr<const gallery_folders> folders() const { return std::atomic_load(&folders_); }
  void publish(std::shared_ptr<const gallery_folders> f) { std::atomic_store(&folders_, std::move(f)); }

private:
  std::shared_ptr<const gallery_snapshot> current_ = std::make_shared<gallery_snapshot>();
  std::shared_ptr<const gallery_folders> folders_ = std::make_shared<gallery_folders>();
};

} // namespace mediagen
