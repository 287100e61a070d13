#pragma once
// Base64 (RFC 4648 §4, the standard alphabet) for images that travel inside JSON: inputs of
// generation requests and the outputs of a sync answer (docs/API.md "Base64 images").

#include <optional>
#include <string>
#include <string_view>

namespace mediagen {

/// `bytes` as base64 with `=` padding and no line breaks.
std::string base64_encode(std::string_view bytes);

/// The bytes `text` encodes, or none when it is not base64. Whitespace (space, tab, CR, LF)
/// anywhere is skipped, as MIME-wrapped text has it; padding may be left out, but when present it
/// must be right and only at the end. Refused: any other character (the URL-safe `-` and `_`
/// included), a length that no encoding has (one character past a group of four), and bits
/// after the last byte that are not zero (so each byte string has exactly one encoding).
std::optional<std::string> base64_decode(std::string_view text);

/// The upper bound of what `text` decodes to, without decoding (to refuse a too-large input early).
constexpr std::size_t base64_decoded_size_bound(std::size_t text_length) { return text_length / 4 * 3 + 3; }

} // namespace mediagen
