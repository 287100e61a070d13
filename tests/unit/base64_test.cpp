// common/base64: RFC 4648's test vectors and every byte value.

#include <doctest/doctest.h>

#include <string>

#include "common/base64.hpp"

using namespace mediagen;

TEST_CASE("base64: the RFC 4648 section 10 vectors, padding included") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64: binary bytes, high bit and zero included, use the + and / alphabet") {
  CHECK(base64_encode(std::string("\xFF\xD8\xFF", 3)) == "/9j/");
  CHECK(base64_encode(std::string("\x00\x00\x00", 3)) == "AAAA");
  CHECK(base64_encode(std::string("\xFB\xEF\xBE", 3)) == "++++");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  auto text = base64_encode(all);
  CHECK(text.size() == (256 + 2) / 3 * 4);
  CHECK(text.substr(0, 8) == "AAECAwQF");
  CHECK(text.substr(text.size() - 8) == "/P3+/w==");
}
