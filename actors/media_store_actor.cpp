#include "actors/media_store_actor.hpp"

#include <algorithm>
#include <chrono>
#include <pthread.h>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "common/json.hpp"
#include "common/thread_priority.hpp"
#include "persistence/atomic_file.hpp"

namespace mediagen {

namespace {

/// The store's full interface: the public one plus what only it sends itself.
using media_store_self_actor = media_store_actor::extend<
    /// Commit what was appended since the last commit.
    caf::reacts_to<atom::internal, atom::done>,
    /// The journal's oldest record may be due for a rewrite of media-data.json.
    caf::reacts_to<atom::internal, atom::tick>,
    /// The background rewrite of media-data.json ended ("" or why not; milliseconds).
    caf::reacts_to<atom::internal, atom::compacted, std::string, double>>;

using steady = std::chrono::steady_clock;

double ms_since(steady::time_point begin) {
  return std::chrono::duration<double, std::milli>(steady::now() - begin).count();
}

struct media_store_state {
  media_store_settings settings;
  /// Appends since the last commit: the waiting task and the uid its entry got. Their entries
  /// are in the index but not published, and their records wait in `pending_records`.
  struct pending_append {
    caf::typed_response_promise<std::int64_t, std::string> promise;
    std::int64_t uid;
    std::string folder;
  };
  std::vector<pending_append> pending;
  std::string pending_records;
  /// Storage names of the output files of the pending entries.
  std::vector<std::string> pending_files;
  /// Whether a `done` (commit) message is already in the mailbox.
  bool commit_scheduled = false;
  /// The background rewrite of media-data.json, while one runs, and where the journal stood
  /// when it took its snapshot (bytes and records that the rewrite holds).
  std::thread compactor;
  bool compacting = false;
  std::uint64_t compact_offset = 0;
  std::size_t compact_records = 0;
  /// When the oldest record not yet in media-data.json was written; whether a tick is due.
  steady::time_point oldest_record{};
  bool tick_scheduled = false;
  /// After a failed rewrite, none is tried again before this (a full disk would fail each one).
  steady::time_point retry_after{};
  /// The journal lost its records (removed under us): rewrite media-data.json whatever the thresholds.
  bool force_compaction = false;
  bool compaction_forced = false; ///< whether the rewrite under way was forced
  /// Figures for status and metrics.
  std::uint64_t commits = 0;
  std::uint64_t entries_committed = 0;
  std::uint64_t commit_failures = 0;
  std::uint64_t compactions = 0;
  std::uint64_t changes = 0;       ///< edits, deletes and folder changes made durable
  std::uint64_t folder_suffix = 0; ///< makes a new folder's uid unique within one millisecond
  std::uint64_t compaction_failures = 0;
  double last_commit_ms = 0;
  double total_commit_ms = 0;
  double last_compaction_ms = 0;
  std::string last_error;
  /// The latest commit durations (a ring), for p50/p99.
  std::vector<double> recent_commit_ms;
  std::size_t recent_next = 0;

  static inline const char* name = "media_store";

  media_store_state() = default;
  /// On exit: no requester may wait for its timeout (CAF 0.17 has no broken_promise), and
  /// media-data.json takes in the journal so the next start replays nothing.
  ~media_store_state() {
    for (auto& p : pending) p.promise.deliver(caf::make_error(caf::sec::request_receiver_down));
    if (compactor.joinable()) compactor.join();
    if (!settings.db || !settings.journal) return;
    settings.db->index().discard_unpublished();
    if (settings.journal->records() == 0 && !force_compaction) return;
    auto snapshot = settings.db->index().current();
    auto e = write_file_atomically(settings.path, settings.db->render(*snapshot));
    if (e.empty()) e = settings.journal->keep_from(settings.journal->bytes(), settings.journal->records());
    if (!e.empty())
      std::fprintf(stderr, "error media_store final rewrite failed, the journal keeps the entries reason=\"%s\"\n",
                   e.c_str());
  }
  media_store_state(const media_store_state&) = delete;
  media_store_state& operator=(const media_store_state&) = delete;

  void record_commit_ms(double ms) {
    last_commit_ms = ms;
    total_commit_ms += ms;
    constexpr std::size_t ring = 4096;
    if (recent_commit_ms.size() < ring)
      recent_commit_ms.push_back(ms);
    else
      recent_commit_ms[recent_next] = ms;
    recent_next = (recent_next + 1) % ring;
  }

  double commit_percentile(double p) const {
    if (recent_commit_ms.empty()) return 0;
    auto sorted = recent_commit_ms;
    auto k = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end());
    return sorted[k];
  }
};

using store_pointer = media_store_self_actor::stateful_pointer<media_store_state>;

// Rewrites media-data.json from the current snapshot on a thread of its own: the store keeps
// committing meanwhile, into the journal. Its end comes back as (compacted, error, ms).
void start_compaction(store_pointer self) {
  auto& st = self->state;
  auto& journal = *st.settings.journal;
  if (st.compacting || (journal.records() == 0 && !st.force_compaction) || steady::now() < st.retry_after) return;
  st.compacting = true;
  st.compaction_forced = st.force_compaction;
  st.force_compaction = false;
  st.compact_offset = journal.bytes();
  st.compact_records = journal.records();
  auto snapshot = st.settings.db->index().current();
  auto folders = st.settings.db->folders();
  auto next_uid = st.settings.db->next_uid();
  auto db = st.settings.db;
  auto path = st.settings.path;
  auto me = caf::actor_cast<media_store_self_actor>(self);
  int niceness = st.settings.compact_nice;
  st.compactor = std::thread([snapshot, folders, next_uid, db, path, me, niceness] {
    ::pthread_setname_np(::pthread_self(), "mg-compact");
    lower_this_thread_priority(niceness);
    auto begin = steady::now();
    // render reads only the immutable snapshot and folders, and the file's other members, never
    // written again.
    auto error = write_file_atomically(path, db->render(*snapshot, *folders, next_uid));
    caf::anon_send(me, atom::internal::value, atom::compacted::value, error, ms_since(begin));
  });
}

void on_compacted(store_pointer self, const std::string& error, double ms) {
  auto& st = self->state;
  if (st.compactor.joinable()) st.compactor.join();
  st.compacting = false;
  st.last_compaction_ms = ms;
  // media-data.json now holds everything up to compact_offset: the journal keeps what came later.
  auto e = error.empty() ? st.settings.journal->keep_from(st.compact_offset, st.compact_records) : error;
  if (!e.empty()) {
    ++st.compaction_failures;
    st.last_error = e;
    st.retry_after = steady::now() + st.settings.compact_age;
    if (st.compaction_forced) st.force_compaction = true; // still owed
    std::fprintf(stderr,
                 "error media_store rewrite of media-data.json failed, the journal keeps the entries reason=\"%s\"\n",
                 e.c_str());
    return;
  }
  ++st.compactions;
  st.oldest_record = steady::now(); // what is left came during the rewrite: close enough
}

// Age: the journal's oldest record must not wait longer than compact_age for a rewrite.
void schedule_age_check(store_pointer self) {
  auto& st = self->state;
  if (st.tick_scheduled || st.settings.journal->records() == 0) return;
  st.tick_scheduled = true;
  auto due = st.oldest_record + st.settings.compact_age;
  auto wait = std::max(std::chrono::milliseconds(10),
                       std::chrono::duration_cast<std::chrono::milliseconds>(due - steady::now()));
  self->delayed_send(self, wait, atom::internal::value, atom::tick::value);
}

void maybe_compact(store_pointer self) {
  auto& st = self->state;
  if (st.settings.journal->take_lost()) {
    // The files on disk lost what the journal held: the whole gallery is written again now.
    std::fprintf(stderr, "warn media_store the gallery journal was removed, rewriting media-data.json\n");
    st.retry_after = {};
    st.force_compaction = true;
  }
  auto records = st.settings.journal->records();
  if (st.force_compaction || records >= st.settings.compact_every ||
      (records > 0 && steady::now() >= st.oldest_record + st.settings.compact_age))
    start_compaction(self);
  schedule_age_check(self);
}

// One journal append for everything appended since the last commit: appends that arrive while
// a commit is under way queue in the mailbox and are grouped into the next.
void commit(store_pointer self) {
  auto& st = self->state;
  st.commit_scheduled = false;
  if (st.pending.empty()) return;
  auto begin = steady::now();
  bool journal_was_empty = st.settings.journal->records() == 0;
  // Files first: an entry must never be durable while the file it points at is not.
  auto error = st.settings.outputs->make_durable(st.pending_files);
  if (error.empty()) error = st.settings.journal->append(st.pending_records, st.pending.size());
  st.record_commit_ms(ms_since(begin));
  auto& index = st.settings.db->index();
  if (error.empty()) {
    ++st.commits;
    st.entries_committed += st.pending.size();
    if (journal_was_empty) st.oldest_record = steady::now();
    st.settings.view->publish(index.publish());
    for (auto& p : st.pending) p.promise.deliver(p.uid, p.folder);
  } else {
    // Nothing of this group may appear later: not in memory, not on disk, no files left behind.
    ++st.commit_failures;
    st.last_error = error;
    std::fprintf(stderr, "error media_store commit failed entries=%zu reason=\"%s\"\n", st.pending.size(),
                 error.c_str());
    index.discard_unpublished();
    for (auto& name : st.pending_files) st.settings.outputs->remove(name);
    for (auto& p : st.pending)
      p.promise.deliver(
          make_error(error_code::internal_failure, "The result could not be stored in the gallery: " + error));
  }
  st.pending.clear();
  st.pending_records.clear();
  st.pending_files.clear();
  maybe_compact(self);
}

// A change the gallery's clients ask for: appends still pending are committed first (so the
// journal keeps the order things happened in and nothing unpublished is in the index), then the
// change is checked, written as one record and made durable, and only then applied and published.
caf::result<change_done> apply_change(store_pointer self, const gallery_change& change) {
  auto& st = self->state;
  commit(self);
  auto& db = *st.settings.db;
  std::string payload;
  // Folder uids as the Node server made them, unique among the folders.
  auto base = "folder-" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  auto taken = [&](const std::string& uid) {
    for (auto& f : db.folders()->list)
      if (f.uid == uid) return true;
    return false;
  };
  auto new_folder = base;
  while (taken(new_folder)) new_folder = base + "-" + std::to_string(++st.folder_suffix);
  if (auto refusal = db.prepare(change, new_folder, payload)) return make_error(std::move(*refusal));
  std::vector<std::string> files;
  if (change.what == change_kind::remove)
    for (auto uid : change.uids)
      for (auto& name : db.files_of(uid)) files.push_back(name);
  auto begin = steady::now();
  bool journal_was_empty = st.settings.journal->records() == 0;
  auto error = st.settings.journal->append(gallery_journal::frame(payload), 1);
  st.record_commit_ms(ms_since(begin));
  if (!error.empty()) {
    ++st.commit_failures;
    st.last_error = error;
    std::fprintf(stderr, "error media_store change failed change=%s reason=\"%s\"\n", to_string(change.what),
                 error.c_str());
    return make_error(change_refusal{change_refusal_reason::not_stored, error, {}});
  }
  ++st.commits;
  ++st.changes;
  if (journal_was_empty) st.oldest_record = steady::now();
  json::document record;
  json::parse(payload, record);
  if (auto e = db.apply(record); !e.empty()) // prepare made it: cannot happen, but never silently
    std::fprintf(stderr, "error media_store applying a change failed reason=\"%s\"\n", e.c_str());
  st.settings.view->publish(db.index().publish());
  st.settings.view->publish(db.folders());
  // The entries are gone for good (the record is durable): their files may go too.
  for (auto& name : files) st.settings.outputs->remove(name);
  auto done = db.answer(change);
  maybe_compact(self);
  return done;
}

media_store_self_actor::behavior_type media_store(store_pointer self) {
  // Records replayed at start-up count as young: they are rewritten within compact_age.
  if (self->state.settings.journal->records() > 0) {
    self->state.oldest_record = steady::now();
    schedule_age_check(self);
  }
  return {
      [self](atom::change, const gallery_change& change) { return apply_change(self, change); },
      [self](atom::append, generation_result& result) -> caf::result<std::int64_t, std::string> {
        auto& st = self->state;
        json::document entry;
        result_to_json(result, entry, entry.GetAllocator());
        // The stored entry carries its uid and folder; media_database sets both.
        entry.RemoveMember("uid");
        entry.RemoveMember("folder");
        std::string record;
        std::int64_t uid = st.settings.db->add(entry, record);
        st.pending_records += record;
        for (auto& o : result.outputs) st.pending_files.push_back(o.name);
        auto promise = self->make_response_promise<std::int64_t, std::string>();
        st.pending.push_back(media_store_state::pending_append{promise, uid, st.settings.db->folders()->current});
        if (!st.commit_scheduled) {
          st.commit_scheduled = true;
          self->send(self, atom::internal::value, atom::done::value);
        }
        return promise;
      },
      [self](atom::internal, atom::done) { commit(self); },
      [self](atom::internal, atom::tick) {
        self->state.tick_scheduled = false;
        maybe_compact(self);
      },
      [self](atom::internal, atom::compacted, const std::string& error, double ms) {
        on_compacted(self, error, ms);
        maybe_compact(self);
      },
      [self](atom::status) {
        auto& st = self->state;
        media_store_figures f;
        f.entries = st.settings.db->index().published();
        f.next_uid = st.settings.db->next_uid();
        f.pending_appends = st.pending.size();
        f.commits = st.commits;
        f.entries_committed = st.entries_committed;
        f.commit_failures = st.commit_failures;
        f.last_commit_ms = st.last_commit_ms;
        f.total_commit_ms = st.total_commit_ms;
        f.commit_p50_ms = st.commit_percentile(0.50);
        f.commit_p99_ms = st.commit_percentile(0.99);
        f.journal_records = st.settings.journal->records();
        f.journal_bytes = st.settings.journal->bytes();
        f.compacting = st.compacting;
        f.changes = st.changes;
        f.compactions = st.compactions;
        f.compaction_failures = st.compaction_failures;
        f.last_compaction_ms = st.last_compaction_ms;
        f.last_error = st.last_error;
        return make_status("media_store", "media_store", "running", self->mailbox().size(), f);
      },
  };
}

} // namespace

media_store_actor spawn_media_store(caf::actor_system& sys, media_store_settings settings) {
  settings.view->publish(settings.db->index().publish());
  settings.view->publish(settings.db->folders());
  return sys.spawn<caf::detached>(
      [](store_pointer self, media_store_settings s) {
        self->state.settings = std::move(s);
        return media_store(self);
      },
      std::move(settings));
}

} // namespace mediagen
