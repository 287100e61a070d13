#pragma once
// Standard base64 (RFC 4648 section 4: the '+' '/' alphabet, '=' padding, no line breaks), as
// data: URLs and JSON bodies carry binary data.

#include <string>
#include <string_view>

namespace mediagen {

/// `bytes` as base64 text, padded to a multiple of 4 characters.
std::string base64_encode(std::string_view bytes);

} // namespace mediagen
