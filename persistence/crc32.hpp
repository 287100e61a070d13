#pragma once
// CRC-32 (the IEEE polynomial, as in zip and PNG): the checksum of each gallery journal record,
// so a torn or corrupted line is told apart from a whole one.

#include <cstdint>
#include <string_view>

namespace mediagen {

std::uint32_t crc32(std::string_view bytes);

} // namespace mediagen
