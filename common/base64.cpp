#include "common/base64.hpp"

#include <array>
#include <cstdint>

namespace mediagen {

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Each byte's value in the alphabet; 64 for whitespace, 65 for '=', 255 for anything else.
constexpr std::uint8_t skip = 64, pad = 65, bad = 255;

constexpr std::array<std::uint8_t, 256> make_digit_values() {
  std::array<std::uint8_t, 256> v{};
  for (auto& x : v) x = bad;
  for (std::uint8_t i = 0; i < 64; ++i) v[static_cast<unsigned char>(alphabet[i])] = i;
  v[' '] = v['\t'] = v['\r'] = v['\n'] = skip;
  v['='] = pad;
  return v;
}

constexpr auto digit_values = make_digit_values();

} // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])); };
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t group = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += alphabet[group >> 18 & 63];
    out += alphabet[group >> 12 & 63];
    out += alphabet[group >> 6 & 63];
    out += alphabet[group & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t group = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += alphabet[group >> 18 & 63];
    out += alphabet[group >> 12 & 63];
    out += rest == 2 ? alphabet[group >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  out.reserve(base64_decoded_size_bound(text.size()));
  std::uint32_t group = 0; // the sextets of the group under way
  int sextets = 0;         // how many of them (0..3)
  std::size_t pads = 0;
  for (char c : text) {
    std::uint8_t v = digit_values[static_cast<unsigned char>(c)];
    if (v == skip) continue;
    if (v == bad) return std::nullopt;
    if (v == pad) {
      ++pads;
      continue;
    }
    if (pads > 0) return std::nullopt; // data after padding
    group = group << 6 | v;
    if (++sextets == 4) {
      out += static_cast<char>(group >> 16 & 0xFF);
      out += static_cast<char>(group >> 8 & 0xFF);
      out += static_cast<char>(group & 0xFF);
      group = 0;
      sextets = 0;
    }
  }
  // What is left: 0 sextets (no padding allowed), 2 (one byte; "==" or none), 3 (two bytes; "=" or none).
  switch (sextets) {
    case 0:
      if (pads != 0) return std::nullopt;
      break;
    case 2:
      if ((pads != 0 && pads != 2) || (group & 0xF) != 0) return std::nullopt;
      out += static_cast<char>(group >> 4 & 0xFF);
      break;
    case 3:
      if ((pads != 0 && pads != 1) || (group & 0x3) != 0) return std::nullopt;
      out += static_cast<char>(group >> 10 & 0xFF);
      out += static_cast<char>(group >> 2 & 0xFF);
      break;
    default: return std::nullopt; // one sextet holds no whole byte
  }
  return out;
}

} // namespace mediagen
