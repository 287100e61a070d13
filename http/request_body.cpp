#include "http/request_body.hpp"

#include <cctype>
#include <cstring>

namespace mediagen {

namespace {

bool starts_with_ci(const std::string& s, const char* prefix) {
  std::size_t n = std::strlen(prefix);
  if (s.size() < n) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

} // namespace

bool parse_count(const std::string& text, std::int64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  out = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

bool plausible_task_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

body_error read_generation_fields(const httplib::Request& req, json::document& fields,
                                  std::vector<uploaded_part>& parts, bool multipart_only) {
  std::string type = req.get_header_value("Content-Type");
  if (!multipart_only && starts_with_ci(type, "application/json")) {
    if (auto e = json::parse(req.body, fields); !e.empty())
      return {400, "The request body is not valid JSON (" + e + ")."};
    if (!fields.IsObject()) return {400, "The request body must be a JSON object."};
    return {};
  }
  if (starts_with_ci(type, "multipart/form-data")) {
    fields.SetObject();
    auto& a = fields.GetAllocator();
    for (auto& [name, part] : req.files) {
      if (!part.filename.empty()) { // a file: its bytes are checked by validation, never its name
        parts.push_back(uploaded_part{name, &part.content});
        continue;
      }
      if (!json::valid_utf8(part.content)) return {400, "Field '" + name + "' is not valid UTF-8."};
      json::set(fields, name, json::str(part.content, a), a);
    }
    return {};
  }
  if (multipart_only) return {415, "The body must be multipart/form-data with the files image and mask."};
  return {415, "The body must be application/json or multipart/form-data."};
}

} // namespace mediagen
