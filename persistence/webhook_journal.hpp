#pragma once
// The webhook journal beside media-data.json (docs/OPERATIONS.md "Webhook deliveries"): every
// webhook message the server owes a receiver is recorded before its first attempt, each attempt
// and its end after they happen, so a restart resumes what was still pending with the same
// message id. Records are framed as the gallery journal's (persistence/record_framing.hpp):
//
//     {"op":"pending","id":…,"task":…,"url":…,"event":…,"body":…,"createdMs":…}
//     {"op":"attempt","id":…,"attempts":N,"status":S,"error":…}
//     {"op":"ended","id":…,"delivered":true|false,"attempts":N,"status":S,"error":…}
//
// Appends are plain write()s at the end, without fsync: they survive a crash of the process
// (kill -9), not a power loss; a webhook is at-least-once across process restarts. Opening replays
// the file, cuts a torn tail and rewrites it holding only the pending messages, which keeps it small.
//
// Not thread-safe: the webhook actor is its only user.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mediagen {

/// One message owed to a receiver, as the journal keeps it.
struct webhook_message {
  std::string id;      ///< the webhook-id header: unique per message, the same for every attempt
  std::string task_id; ///< the task whose event it carries
  std::string url;
  std::string event; ///< progress | complete | error | cancelled
  std::string body;  ///< the exact JSON text POSTed (and signed)
  std::int64_t created_ms = 0;
  std::uint32_t attempts = 0; ///< made so far
  int last_status = 0;        ///< HTTP status of the last attempt; 0 = none (refused, timed out)
  std::string last_error;     ///< "" or why the last attempt failed
};

class webhook_journal {
public:
  struct replay_result {
    std::size_t records = 0;         ///< whole records read
    std::uint64_t dropped_bytes = 0; ///< a torn or corrupt tail, cut off
    std::string dropped_reason;      ///< why the tail was dropped ("" when nothing was)
  };

  /// Replays the journal at `path` (absent: empty) into `pending` (in the order they were
  /// recorded) and rewrites it holding only those. nullptr and `error` when it cannot be written.
  static std::unique_ptr<webhook_journal> open(const std::string& path, std::vector<webhook_message>& pending,
                                               replay_result& replayed, std::string& error);
  ~webhook_journal();
  webhook_journal(const webhook_journal&) = delete;
  webhook_journal& operator=(const webhook_journal&) = delete;

  /// A new message, before its first attempt. "" or one sentence.
  std::string pending(const webhook_message& m);
  /// An attempt that did not end the message (it will be retried).
  std::string attempted(const webhook_message& m);
  /// The message is over: delivered, or failed for good.
  std::string ended(const webhook_message& m, bool delivered);
  /// Rewrites the journal atomically as just `still_pending`.
  std::string compact(const std::vector<webhook_message>& still_pending);

  /// Records in the file since it was last rewritten.
  std::size_t records() const { return records_; }
  const std::string& path() const { return path_; }

private:
  explicit webhook_journal(std::string path) : path_(std::move(path)) {}
  std::string append(const std::string& payload);
  std::string path_;
  int fd_ = -1;
  std::size_t records_ = 0;
};

} // namespace mediagen
