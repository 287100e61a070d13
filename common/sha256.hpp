#pragma once
// SHA-256 (OpenSSL's libcrypto, which cpp-httplib's Debian build already depends on), fed in
// pieces: a request's fingerprint hashes its fields and its files without joining them.

#include <memory>
#include <string>
#include <string_view>

namespace mediagen {

class sha256 {
public:
  sha256();
  ~sha256();
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;

  sha256& add(std::string_view bytes);
  /// The digest of everything added, as 64 lowercase hex digits. Call once.
  std::string hex();

private:
  struct state;
  std::unique_ptr<state> state_;
};

/// The digest of `bytes`, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

} // namespace mediagen
