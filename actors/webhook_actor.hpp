#pragma once
// The webhook actor: owns every webhook message from the task event that makes it to its end.
// It renders the body (through http/'s renderer), journals the message, and has its attempts made
// on worker threads of its own, never on CAF's shared ones: a signed POST each (Standard
// Webhooks), retried with exponential back-off, at most `per_host` at once per host:port.
// docs/DESIGN.md "Webhooks", docs/OPERATIONS.md "Webhook deliveries".

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/protocol.hpp"
#include "backends/worker_pool.hpp"
#include "persistence/webhook_journal.hpp"

namespace mediagen {

/// Turns a task event into the JSON body POSTed to a receiver (http/ provides it).
using webhook_body_renderer = std::function<std::string(const task_event& event)>;

struct webhook_settings {
  /// Where pending messages are recorded (may be null: deliveries then do not survive a restart).
  std::shared_ptr<webhook_journal> journal;
  /// What the journal still owed at start: attempted again at once, under their own ids.
  std::vector<webhook_message> resumed;
  std::string key;                            ///< the HMAC key (the decoded webhookSecret)
  std::uint32_t max_attempts = 5;             ///< then the message fails
  std::chrono::milliseconds base_delay{1000}; ///< before retry n: base × 2^(n-1), at most max_delay
  std::chrono::milliseconds max_delay{std::chrono::minutes(10)};
  std::size_t per_host = 4;                 ///< attempts under way at once per host:port
  std::chrono::milliseconds timeout{10000}; ///< to connect, and to wait for the answer
  /// Runs the blocking attempts. Required; owned by main, so it outlives the actor and its last
  /// attempt.
  std::shared_ptr<worker_pool> workers;
  webhook_body_renderer render;       ///< required
  std::size_t max_kept_ended = 10000; ///< ended messages remembered for GET /tasks/:id (oldest go first)
  /// A new message's webhook-id; default "msg_" + 32 random hex digits.
  std::function<std::string()> make_id;
};

webhook_actor spawn_webhook_actor(caf::actor_system& sys, webhook_settings settings);

} // namespace mediagen
