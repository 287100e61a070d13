// common/base64: RFC 4648's test vectors both ways, every byte value, and what the decoder refuses.

#include <doctest/doctest.h>

#include <string>

#include "common/base64.hpp"

using namespace mediagen;

TEST_CASE("base64 encodes and decodes the RFC 4648 section 10 vectors") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto& [plain, encoded] : vectors) {
    CAPTURE(plain);
    CHECK(base64_encode(plain) == encoded);
    auto back = base64_decode(encoded);
    REQUIRE(back);
    CHECK(*back == plain);
  }
}

TEST_CASE("base64 round-trips every byte value") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    auto part = all.substr(0, n) + all.substr(256 - n % 7);
    auto back = base64_decode(base64_encode(part));
    REQUIRE(back);
    CHECK(*back == part);
  }
  CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
  CHECK(base64_encode("\xfb\xff") == "+/8=");
}

TEST_CASE("base64 decoding accepts missing padding and skips whitespace") {
  CHECK(base64_decode("Zg") == std::string("f"));
  CHECK(base64_decode("Zm8") == std::string("fo"));
  CHECK(base64_decode("Zm9v\r\nYmFy\n") == std::string("foobar"));
  CHECK(base64_decode(" Zm 9v\tYg = = ") == std::string("foob"));
  CHECK(base64_decode("   ") == std::string());
}

TEST_CASE("base64 decoding refuses what is not base64") {
  const char* refused[] = {
      "Zm9v!",    // a character outside the alphabet
      "Zm9v-_",   // the URL-safe alphabet
      "Z",        // one character past a group: no byte
      "Zm9vY",    // the same after a whole group
      "Zg=",      // one pad where two are needed
      "Zm8==",    // two pads where one is needed
      "Zg===",    // too many pads
      "=",        // padding alone
      "Zm9v====", // padding after a whole group
      "Zg==Zm8=", // data after padding
      "Zh==",     // bits after the last byte
      "Zm9=",     // the same, two-byte tail
  };
  for (const char* text : refused) {
    CAPTURE(text);
    CHECK_FALSE(base64_decode(text).has_value());
  }
  CHECK_FALSE(base64_decode(std::string_view("Zm9v\0", 5)).has_value()); // a NUL
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
  CHECK(base64_decode(text) == all);
}
