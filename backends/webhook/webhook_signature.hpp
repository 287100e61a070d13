#pragma once
// Standard Webhooks signatures (standardwebhooks.com): each delivery carries webhook-id,
// webhook-timestamp and webhook-signature "v1,<base64 of HMAC-SHA256(key, id.timestamp.body)>".
// HMAC comes from OpenSSL's libcrypto (docs/TOOLCHAIN.md), never written by hand.

#include <cstdint>
#include <string>

namespace mediagen {

/// The signing key from the configured secret: "whsec_<base64>" is decoded (the Standard
/// Webhooks form), any other text is used as its bytes. "" or one sentence.
std::string decode_webhook_secret(const std::string& configured, std::string& key);

/// "v1,<base64 HMAC-SHA256 of '<id>.<timestamp>.<body>'>".
std::string webhook_signature(const std::string& key, const std::string& id, std::int64_t timestamp,
                              const std::string& body);

} // namespace mediagen
