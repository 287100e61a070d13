#pragma once
// Idempotency keys of generation requests (docs/API.md "Idempotency"): a client that retries a
// request with the same `Idempotency-Key` header (or `clientTaskId` field) gets the task the
// first one started. Here: reading and checking the key, scoping it to the caller, and the
// request's fingerprint; the supervisor keeps key → task (actors/supervisor_actor.cpp).

#include <string>

#include <httplib.h>

#include "generation/generation_request.hpp"
#include "http/request_body.hpp"

namespace mediagen {

/// Longest key accepted, in bytes.
constexpr std::size_t max_idempotency_key_bytes = 128;

/// The request's key from the header or the body's `clientTaskId` (both given: they must be
/// equal), checked: 1..128 of [A-Za-z0-9._:-]. Leaves `key` "" when there is none. Returns "" or
/// the one-sentence reason for a 400.
std::string read_idempotency_key(const httplib::Request& req, const json::value& fields, std::string& key);

/// Whose keys `key` is among: with API keys on, each API key has keys of its own (a digest of
/// the key, never the key); without, there is one scope.
std::string scoped_idempotency_key(const httplib::Request& req, bool api_keys_on, const std::string& key);

/// SHA-256 (hex) of the request in a canonical form: the endpoint kind, the fields as JSON with
/// every object's members sorted by name, and each file's field name and bytes, sorted by field.
/// Member order and whitespace do not count; values do, as written (`1` and `1.0`, `"42"` and
/// `42` differ), and an inline file counts by its bytes, whether it came as a data: URL, plain
/// base64 or a multipart part. The key itself (`clientTaskId`) and how this one answer is given
/// (`timeoutMs`, `cancelOnDisconnect`, `outputFormat`) do not count.
std::string request_fingerprint(request_kind kind, const generation_body& body);

} // namespace mediagen
