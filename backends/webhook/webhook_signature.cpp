#include "backends/webhook/webhook_signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base64.hpp"

namespace mediagen {

std::string decode_webhook_secret(const std::string& configured, std::string& key) {
  const std::string prefix = "whsec_";
  if (configured.rfind(prefix, 0) != 0) {
    key = configured;
    return key.empty() ? "must not be empty" : "";
  }
  // The one RFC 4648 decoder (common/base64): whitespace skipped, padding optional, anything
  // outside the standard alphabet refused.
  auto decoded = base64_decode(std::string_view(configured).substr(prefix.size()));
  if (!decoded || decoded->empty()) return "starts with whsec_ but the rest is not base64";
  key = std::move(*decoded);
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
