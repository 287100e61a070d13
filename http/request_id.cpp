#include "http/request_id.hpp"

#include <cctype>
#include <random>

namespace mediagen {

std::string request_id_from(const std::string& given) {
  std::string id;
  for (unsigned char ch : given) {
    if (id.size() == max_request_id_length) break;
    if (std::isalnum(ch) || ch == '.' || ch == '_' || ch == ':' || ch == '-') id += static_cast<char>(ch);
  }
  return id.empty() ? new_request_id() : id;
}

std::string new_request_id() {
  // One generator per thread: no lock on the request path, and ids do not repeat across threads.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static const char digits[] = "0123456789abcdef";
  auto bits = generator();
  std::string id(16, '0');
  for (auto& ch : id) {
    ch = digits[bits & 0xf];
    bits >>= 4;
  }
  return id;
}

} // namespace mediagen
