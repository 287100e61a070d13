#include "generation/input_files.hpp"

#include <cstring>

namespace mediagen {

namespace {

bool starts(const std::string& b, const char* magic, std::size_t n, std::size_t at = 0) {
  return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
}

// A PNG is whole when its last chunk is IEND (12 bytes: length 0, "IEND", CRC).
bool whole_png(const std::string& b) { return b.size() >= 8 + 25 + 12 && b.compare(b.size() - 8, 4, "IEND") == 0; }

// A JPEG ends with the EOI marker FF D9 (some writers pad after it, so look near the end).
bool whole_jpeg(const std::string& b) {
  std::size_t from = b.size() > 64 ? b.size() - 64 : 0;
  for (std::size_t i = b.size(); i-- > from + 1;)
    if (static_cast<unsigned char>(b[i - 1]) == 0xFF && static_cast<unsigned char>(b[i]) == 0xD9) return true;
  return false;
}

bool mp3(const std::string& b) {
  if (starts(b, "ID3", 3)) return b.size() > 10;
  return b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0xFF && (static_cast<unsigned char>(b[1]) & 0xE0) == 0xE0;
}

} // namespace

std::string sniff_file_kind(const std::string& b) {
  if (starts(b, "\x89PNG\r\n\x1a\n", 8)) return whole_png(b) ? "png" : "";
  if (starts(b, "\xFF\xD8\xFF", 3)) return whole_jpeg(b) ? "jpeg" : "";
  if (starts(b, "RIFF", 4) && starts(b, "WEBP", 4, 8)) return b.size() > 20 ? "webp" : "";
  if (starts(b, "RIFF", 4) && starts(b, "WAVE", 4, 8)) return b.size() > 44 ? "wav" : "";
  if (starts(b, "OggS", 4)) return b.size() > 27 ? "ogg" : "";
  if (starts(b, "fLaC", 4)) return b.size() > 42 ? "flac" : "";
  if (mp3(b)) return "mp3";
  return "";
}

bool is_image_kind(const std::string& k) { return k == "png" || k == "jpeg" || k == "webp"; }
bool is_audio_kind(const std::string& k) { return k == "mp3" || k == "ogg" || k == "wav" || k == "flac"; }

std::string filename_field(const std::string& field) { return field + "_filename"; }

} // namespace mediagen
