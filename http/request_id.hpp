#pragma once
// X-Request-Id: the client's own id when it sends one (cleaned, so it is safe to echo and to log),
// else one we make. It is echoed on the answer and names the request in the access log.

#include <string>

namespace mediagen {

/// Longest id taken from a client; the rest is cut off.
constexpr std::size_t max_request_id_length = 64;

/// `given` with every character but [A-Za-z0-9._:-] removed, cut to max_request_id_length;
/// a fresh id when nothing is left.
std::string request_id_from(const std::string& given);

/// 16 random hex digits.
std::string new_request_id();

} // namespace mediagen
