#include <doctest/doctest.h>

#include "generation/input_files.hpp"

using namespace mediagen;

namespace {

std::string png_like() {
  std::string b("\x89PNG\r\n\x1a\n", 8);
  b += std::string(25, 'h');                            // IHDR chunk
  b += std::string("\0\0\0\0IEND\xae\x42\x60\x82", 12); // IEND chunk
  return b;
}

} // namespace

TEST_CASE("file kinds come from the bytes, and cut-short files are none") {
  CHECK(sniff_file_kind(png_like()) == "png");
  CHECK(sniff_file_kind(png_like().substr(0, 30)) == "");
  CHECK(sniff_file_kind(std::string("\xFF\xD8\xFF\xE0", 4) + std::string(100, 'j') + "\xFF\xD9") == "jpeg");
  CHECK(sniff_file_kind(std::string("\xFF\xD8\xFF\xE0", 4) + std::string(100, 'j')) == "");
  CHECK(sniff_file_kind(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16) + std::string(20, 'w')) == "webp");
  CHECK(sniff_file_kind(std::string("RIFF\x10\0\0\0WAVEfmt ", 16) + std::string(40, 'a')) == "wav");
  CHECK(sniff_file_kind("OggS" + std::string(40, 'o')) == "ogg");
  CHECK(sniff_file_kind("fLaC" + std::string(40, 'f')) == "flac");
  CHECK(sniff_file_kind("ID3\x04" + std::string(40, 'm')) == "mp3");
  CHECK(sniff_file_kind("hello world, not a file kind") == "");
  CHECK(sniff_file_kind("") == "");
  CHECK(is_image_kind("png"));
  CHECK_FALSE(is_image_kind("mp3"));
  CHECK(is_audio_kind("flac"));
  CHECK(filename_field("image_0") == "image_0_filename");
}
