#include "persistence/gallery_snapshot.hpp"

#include <algorithm>
#include <map>
#include <set>

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
      if (at(mid).uid < uid)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < size_ && at(lo).uid == uid && !at(lo).deleted) return at(lo).json;
    return std::nullopt;
  }
  for (std::size_t i = 0; i < size_; ++i)
    if (at(i).uid == uid && !at(i).deleted) return at(i).json;
  return std::nullopt;
}

std::vector<std::pair<std::string, std::size_t>> gallery_snapshot::tag_counts() const {
  std::map<std::string, std::size_t> counts;
  for (std::size_t i = 0; i < size_; ++i) {
    const auto& e = at(i);
    if (e.deleted) continue;
    // A tag listed twice in one entry counts once.
    std::set<std::string> seen(e.tags.begin(), e.tags.end());
    for (auto& t : seen) ++counts[t];
  }
  std::vector<std::pair<std::string, std::size_t>> out(counts.begin(), counts.end());
  std::stable_sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.second > b.second; });
  return out;
}

bool gallery_snapshot::has_task(const std::string& task_id) const {
  for (std::size_t i = 0; i < size_; ++i)
    if (at(i).task_id == task_id) return true;
  return false;
}

std::optional<std::size_t> gallery_index::position_of(std::int64_t uid) const {
  if (uids_sorted_) {
    std::size_t lo = 0, hi = size_;
    while (lo < hi) {
      auto mid = lo + (hi - lo) / 2;
      if (chunks_[mid / gallery_chunk::capacity]->slots[mid % gallery_chunk::capacity].uid < uid)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < size_ && chunks_[lo / gallery_chunk::capacity]->slots[lo % gallery_chunk::capacity].uid == uid) return lo;
    return std::nullopt;
  }
  for (std::size_t i = 0; i < size_; ++i)
    if (chunks_[i / gallery_chunk::capacity]->slots[i % gallery_chunk::capacity].uid == uid) return i;
  return std::nullopt;
}

const gallery_entry& gallery_index::at(std::size_t i) const {
  return chunks_[i / gallery_chunk::capacity]->slots[i % gallery_chunk::capacity];
}

void gallery_index::replace(std::size_t i, gallery_entry e) {
  auto c = i / gallery_chunk::capacity;
  auto& chunk = chunks_[c];
  // Published snapshots may be reading this chunk: the change goes into a copy of it, which
  // the next snapshot takes; the old snapshots keep the chunk they had. One copy per chunk
  // until the next publish, however many of its entries change.
  if (copied_.size() < chunks_.size()) copied_.resize(chunks_.size(), false);
  if (i < published_ && !copied_[c]) {
    auto copy = std::make_shared<gallery_chunk>();
    for (std::size_t k = 0; k < gallery_chunk::capacity; ++k) copy->slots[k] = chunk->slots[k];
    chunk = std::move(copy);
    copied_[c] = true;
  }
  chunk->slots[i % gallery_chunk::capacity] = std::move(e);
  replaced_ = true;
}

void gallery_index::add(gallery_entry e) {
  if (size_ == chunks_.size() * gallery_chunk::capacity) chunks_.push_back(std::make_shared<gallery_chunk>());
  if (size_ > 0 && e.uid <= max_uid_) uids_sorted_ = false;
  max_uid_ = std::max(max_uid_, e.uid);
  slot(size_) = std::move(e);
  ++size_;
}

std::shared_ptr<const gallery_snapshot> gallery_index::publish() {
  if (published_ == size_ && current_ && !replaced_) return current_;
  replaced_ = false;
  copied_.assign(copied_.size(), false); // the copies are shared from now on
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
