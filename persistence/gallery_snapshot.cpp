#include "persistence/gallery_snapshot.hpp"

#include <algorithm>

namespace mediagen {

std::string gallery_snapshot::query(const gallery_query& q) const {
  prepared_query match(q);
  std::string out = "[";
  std::int64_t skipped = 0, taken = 0;
  for (std::size_t k = 0; k < size_; ++k) {
    if (q.limit >= 0 && taken >= q.limit) break;
    // File order is oldest first: newest first walks it backwards.
    const auto& e = at(q.ascending ? k : size_ - 1 - k);
    if (!match.matches(e)) continue;
    if (skipped < q.offset) {
      ++skipped;
      continue;
    }
    if (taken++ > 0) out += ',';
    out += e.json;
  }
  return out + "]";
}

std::optional<std::string> gallery_snapshot::find(std::int64_t uid) const {
  if (uids_sorted_) {
    std::size_t lo = 0, hi = size_;
    while (lo < hi) {
      auto mid = lo + (hi - lo) / 2;
      if (at(mid).uid < uid) lo = mid + 1;
      else hi = mid;
    }
    if (lo < size_ && at(lo).uid == uid) return at(lo).json;
    return std::nullopt;
  }
  for (std::size_t i = 0; i < size_; ++i)
    if (at(i).uid == uid) return at(i).json;
  return std::nullopt;
}

bool gallery_snapshot::has_task(const std::string& task_id) const {
  for (std::size_t i = 0; i < size_; ++i)
    if (at(i).task_id == task_id) return true;
  return false;
}

void gallery_index::add(gallery_entry e) {
  if (size_ == chunks_.size() * gallery_chunk::capacity) chunks_.push_back(std::make_shared<gallery_chunk>());
  if (size_ > 0 && e.uid <= max_uid_) uids_sorted_ = false;
  max_uid_ = std::max(max_uid_, e.uid);
  slot(size_) = std::move(e);
  ++size_;
}

std::shared_ptr<const gallery_snapshot> gallery_index::publish() {
  if (published_ == size_ && current_) return current_;
  std::vector<std::shared_ptr<const gallery_chunk>> chunks(chunks_.begin(), chunks_.end());
  published_ = size_;
  published_max_uid_ = max_uid_;
  published_sorted_ = uids_sorted_;
  current_ = std::make_shared<gallery_snapshot>(std::move(chunks), size_, uids_sorted_);
  return current_;
}

void gallery_index::discard_unpublished() {
  // No snapshot reaches past `published_`, so these slots are the writer's alone.
  for (auto i = published_; i < size_; ++i) slot(i) = gallery_entry{};
  size_ = published_;
  max_uid_ = published_max_uid_;
  uids_sorted_ = published_sorted_;
}

} // namespace mediagen
