#include "backends/webhook/webhook_signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base64.hpp"

namespace mediagen {

namespace {

// Strict standard base64 (padding required, no whitespace): the whsec_ secret. false when `text` is not.
bool base64_decode(const std::string& text, std::string& out) {
  // EVP_DecodeBlock keeps the padding's zero bytes and accepts whitespace: decoded here instead.
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return false;
  std::string bytes;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=') : 0;
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      int v = k >= 4 - static_cast<std::size_t>(pad) ? 0 : value(text[i + k]);
      if (v < 0) return false;
      group = (group << 6) | static_cast<std::uint32_t>(v);
    }
    bytes += static_cast<char>((group >> 16) & 0xff);
    if (pad < 2) bytes += static_cast<char>((group >> 8) & 0xff);
    if (pad < 1) bytes += static_cast<char>(group & 0xff);
  }
  out = std::move(bytes);
  return true;
}

} // namespace

std::string decode_webhook_secret(const std::string& configured, std::string& key) {
  const std::string prefix = "whsec_";
  if (configured.rfind(prefix, 0) != 0) {
    key = configured;
    return key.empty() ? "must not be empty" : "";
  }
  std::string decoded;
  if (!base64_decode(configured.substr(prefix.size()), decoded) || decoded.empty())
    return "starts with whsec_ but the rest is not base64";
  key = std::move(decoded);
  return {};
}

std::string webhook_signature(const std::string& key, const std::string& id, std::int64_t timestamp,
                              const std::string& body) {
  std::string content = id + "." + std::to_string(timestamp) + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), mac, &length);
  return "v1," + base64_encode(std::string(reinterpret_cast<char*>(mac), length));
}

} // namespace mediagen
