#include "backends/comfyui/prompt_id.hpp"

#include <array>
#include <cctype>

namespace mediagen::comfyui {

namespace {

std::string format_uuid(std::uint64_t hi, std::uint64_t lo) {
  std::array<unsigned char, 16> b{};
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<unsigned char>(hi >> (56 - 8 * i));
    b[8 + i] = static_cast<unsigned char>(lo >> (56 - 8 * i));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40); // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80); // RFC 4122 variant
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[b[i] >> 4]);
    out.push_back(hex[b[i] & 0xF]);
  }
  return out;
}

} // namespace

uuid_generator::uuid_generator() {
  // random_device yields 32 bits per call; feed the whole engine state from 8 draws.
  std::random_device rd;
  std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
  engine_.seed(seq);
}

uuid_generator::uuid_generator(std::uint64_t seed) : engine_(seed) {}

std::string uuid_generator::next() {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    hi = engine_();
    lo = engine_();
  }
  return format_uuid(hi, lo);
}

std::string new_uuid_v4() {
  static uuid_generator generator;
  return generator.next();
}

bool is_uuid_v4(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  if (s[14] != '4') return false;
  const char v = static_cast<char>(std::tolower(static_cast<unsigned char>(s[19])));
  return v == '8' || v == '9' || v == 'a' || v == 'b';
}

} // namespace mediagen::comfyui
