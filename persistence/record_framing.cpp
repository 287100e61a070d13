#include "persistence/record_framing.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "persistence/crc32.hpp"

namespace mediagen {

std::string frame_record(std::string_view payload) {
  char head[32];
  std::snprintf(head, sizeof head, "%zu %08x ", payload.size(), static_cast<unsigned>(crc32(payload)));
  std::string line = head;
  line.append(payload.data(), payload.size());
  line += '\n';
  return line;
}

std::string parse_record(const std::string& text, std::size_t& pos, std::string_view& payload) {
  std::size_t p = pos;
  std::uint64_t length = 0;
  std::size_t digits = 0;
  while (p < text.size() && text[p] >= '0' && text[p] <= '9' && digits < 10) {
    length = length * 10 + static_cast<std::uint64_t>(text[p] - '0');
    ++p;
    ++digits;
  }
  if (digits == 0 || p >= text.size() || text[p] != ' ') return "a record does not start with its length";
  ++p;
  if (text.size() - p < 9 || text[p + 8] != ' ') return "a record's checksum is cut off";
  char* end = nullptr;
  std::string hex = text.substr(p, 8);
  unsigned long crc = std::strtoul(hex.c_str(), &end, 16);
  if (end != hex.c_str() + 8) return "a record's checksum is not hexadecimal";
  p += 9;
  if (text.size() - p < length + 1) return "the last record is torn";
  if (text[p + length] != '\n') return "a record is longer than its length says";
  payload = std::string_view(text).substr(p, length);
  if (crc32(payload) != static_cast<std::uint32_t>(crc)) return "a record's checksum does not match";
  pos = p + length + 1;
  return {};
}

} // namespace mediagen
