#include "common/sha256.hpp"

#include <stdexcept>

#include <openssl/evp.h>

namespace mediagen {

struct sha256::state {
  EVP_MD_CTX* ctx = nullptr;
};

sha256::sha256() : state_(std::make_unique<state>()) {
  state_->ctx = EVP_MD_CTX_new();
  if (!state_->ctx || EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 is not available");
}

sha256::~sha256() { EVP_MD_CTX_free(state_->ctx); }

sha256& sha256::add(std::string_view bytes) {
  EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size());
  return *this;
}

std::string sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->ctx, digest, &length);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += digits[digest[i] >> 4];
    out += digits[digest[i] & 0xF];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) { return sha256().add(bytes).hex(); }

} // namespace mediagen
