#pragma once
// One webhook attempt: a blocking, signed POST of a message's body. Runs on the webhook actor's
// own worker threads, never on CAF's scheduler (actors/webhook_actor.cpp).

#include <chrono>
#include <cstdint>
#include <string>

#include "generation/webhook_spec.hpp"

namespace mediagen {

/// How one attempt went.
struct webhook_attempt {
  int status = 0;    ///< the receiver's HTTP status; 0 = no answer (refused, timed out, TLS failed)
  std::string error; ///< "" on 2xx, else one sentence
};

/// POSTs `body` to `url` with the Standard Webhooks headers for message `id`, signed with `key`
/// at `timestamp` (unix seconds). Waits at most `timeout` to connect and as long for the answer.
webhook_attempt post_webhook(const webhook_url& url, const std::string& id, std::int64_t timestamp,
                             const std::string& key, const std::string& body, std::chrono::milliseconds timeout);

} // namespace mediagen

namespace mediagen {

/// What an attempt's answer means for its message.
enum class webhook_verdict { delivered, retry, failed };

/// 2xx: delivered; a 4xx other than 408 and 429: failed for good (the receiver refuses it);
/// anything else (5xx, 408, 429, no answer): retried.
webhook_verdict verdict_of(const webhook_attempt& a);

} // namespace mediagen
