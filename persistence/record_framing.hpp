#pragma once
// The framing of journal records (the gallery journal, the webhook journal): one per line,
//
//     <payload length in bytes> <crc32 of the payload, 8 hex digits> <payload>\n
//
// The length and checksum tell a whole record from a torn or corrupted one, so a replay can stop
// at the first record that is not whole and cut the file there.

#include <string>
#include <string_view>

namespace mediagen {

/// One framed line for a payload (text without raw newlines).
std::string frame_record(std::string_view payload);

/// Parses one framed record at `pos` of `text`; on success sets `payload` and moves `pos` past
/// the line. Returns "" or why the bytes at `pos` are not a whole record.
std::string parse_record(const std::string& text, std::size_t& pos, std::string_view& payload);

} // namespace mediagen
