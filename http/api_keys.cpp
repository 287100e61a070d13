#include "http/api_keys.hpp"

#include <cctype>

namespace mediagen {

namespace {

/// Compares all of `key` whatever `given` is: no early exit reveals how much of a guess was right.
bool same_in_constant_time(const std::string& given, const std::string& key) {
  unsigned char difference = given.size() != key.size();
  for (std::size_t i = 0; i < key.size(); ++i)
    difference |= static_cast<unsigned char>(key[i] ^ (i < given.size() ? given[i] : 0));
  return difference == 0;
}

} // namespace

std::string bearer_token(const std::string& header) {
  static const std::string scheme = "bearer";
  if (header.size() <= scheme.size() + 1) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return {};
  if (header[scheme.size()] != ' ') return {};
  auto start = header.find_first_not_of(' ', scheme.size());
  if (start == std::string::npos) return {};
  auto end = header.find_last_not_of(' ');
  return header.substr(start, end - start + 1);
}

bool open_without_key(const std::string& path) { return path == "/healthz"; }

bool takes_access_token(const std::string& path) {
  return path.rfind("/progress/", 0) == 0 || path.rfind("/media/", 0) == 0;
}

bool api_key_check::is_key(const std::string& given) const {
  bool found = false;
  for (auto& key : keys_) found |= same_in_constant_time(given, key); // every key, no early exit
  return found;
}

api_key_check::verdict api_key_check::check(const httplib::Request& req, const std::string& path) const {
  if (!enabled() || open_without_key(path)) return verdict::allowed;
  bool given = false;
  if (req.has_header("Authorization")) {
    given = true;
    if (is_key(bearer_token(req.get_header_value("Authorization")))) return verdict::allowed;
  }
  if (takes_access_token(path) && req.has_param("access_token")) {
    given = true;
    if (is_key(req.get_param_value("access_token"))) return verdict::allowed;
  }
  return given ? verdict::invalid : verdict::missing;
}

} // namespace mediagen
