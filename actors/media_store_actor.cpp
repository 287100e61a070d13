#include "actors/media_store_actor.hpp"

#include <chrono>
#include <vector>

#include <caf/all.hpp>

#include "common/json.hpp"
#include "persistence/atomic_file.hpp"

namespace mediagen {

namespace {

/// The store's full interface: the public one plus its own commit trigger.
using media_store_self_actor = media_store_actor::extend<
    /// Write what was appended since the last write.
    caf::reacts_to<atom::internal, atom::done>>;

struct media_store_state {
  /// The gallery in memory; the file on disk equals it after every commit.
  std::shared_ptr<media_database> db;
  /// media-data.json's path.
  std::string path;
  /// The storage folder whose files the entries point at.
  std::shared_ptr<storage> outputs;
  /// Storage names of the output files of the pending entries.
  std::vector<std::string> pending_files;
  /// Appends made since the last commit, each with the uid it got and its waiting task.
  std::vector<std::pair<caf::typed_response_promise<std::int64_t>, std::int64_t>> pending;
  /// Whether a `done` (commit) message is already in the mailbox.
  bool commit_scheduled = false;
  /// Commits done, entries committed, and the last commit's duration, for status and metrics.
  std::uint64_t commits = 0;
  std::uint64_t entries_committed = 0;
  std::uint64_t commit_failures = 0;
  double last_commit_ms = 0;
  double total_commit_ms = 0;

  static inline const char* name = "media_store";

  /// CAF 0.17 has no broken_promise: no requester may wait for its timeout, so whatever is
  /// pending when the actor goes away gets an error (the state dies in the actor's on_exit).
  ~media_store_state() {
    for (auto& p : pending) p.first.deliver(caf::make_error(caf::sec::request_receiver_down));
  }
};

using store_pointer = media_store_self_actor::stateful_pointer<media_store_state>;

// One atomic write for everything appended since the last one: appends that arrive while a
// write is under way queue in the mailbox and are grouped into the next write.
void commit(store_pointer self) {
  auto& st = self->state;
  st.commit_scheduled = false;
  if (st.pending.empty()) return;
  auto begin = std::chrono::steady_clock::now();
  // Files first: an entry must never be durable while the file it points at is not.
  auto error = st.outputs->make_durable(st.pending_files);
  if (error.empty()) error = write_file_atomically(st.path, st.db->serialize());
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
  st.last_commit_ms = ms;
  st.total_commit_ms += ms;
  if (error.empty()) {
    ++st.commits;
    st.entries_committed += st.pending.size();
    for (auto& p : st.pending) p.first.deliver(p.second);
  } else {
    ++st.commit_failures;
    std::fprintf(stderr, "error media_store commit failed reason=\"%s\"\n", error.c_str());
    for (auto& p : st.pending) p.first.deliver(caf::make_error(caf::sec::runtime_error, error));
  }
  st.pending.clear();
  st.pending_files.clear();
}

media_store_self_actor::behavior_type media_store(store_pointer self, std::shared_ptr<media_database> db,
                                             std::string path, std::shared_ptr<storage> outputs) {
  self->state.db = std::move(db);
  self->state.outputs = std::move(outputs);
  self->state.path = std::move(path);
  return {
      [self](atom::append, generation_result& result) -> caf::result<std::int64_t> {
        auto& st = self->state;
        json::document entry;
        result_to_json(result, entry, entry.GetAllocator());
        // The stored entry carries its uid and folder; media_database sets both.
        entry.RemoveMember("uid");
        entry.RemoveMember("folder");
        std::int64_t uid = st.db->append(entry);
        for (auto& o : result.outputs) st.pending_files.push_back(o.name);
        auto promise = self->make_response_promise<std::int64_t>();
        st.pending.emplace_back(promise, uid);
        if (!st.commit_scheduled) {
          st.commit_scheduled = true;
          self->send(self, atom::internal::value, atom::done::value);
        }
        return promise;
      },
      [self](atom::internal, atom::done) { commit(self); },
      [self](atom::query, const gallery_query& q) { return self->state.db->query(q); },
      [self](atom::get, std::int64_t uid) { return self->state.db->find(uid).value_or(""); },
      [self](atom::status) {
        auto& st = self->state;
        media_store_figures f;
        f.entries = st.db->size();
        f.next_uid = st.db->next_uid();
        f.pending_appends = st.pending.size();
        f.commits = st.commits;
        f.entries_committed = st.entries_committed;
        f.commit_failures = st.commit_failures;
        f.last_commit_ms = st.last_commit_ms;
        f.total_commit_ms = st.total_commit_ms;
        return make_status("media_store", "media_store", "running", self->mailbox().size(), f);
      },
  };
}

} // namespace

media_store_actor spawn_media_store(caf::actor_system& sys, std::unique_ptr<media_database> db,
                                    std::string path, std::shared_ptr<storage> outputs) {
  std::shared_ptr<media_database> shared = std::move(db);
  return sys.spawn<caf::detached>(media_store, std::move(shared), std::move(path), std::move(outputs));
}

} // namespace mediagen
