#include "http/request_body.hpp"

#include <cctype>
#include <cstring>
#include <optional>

#include "common/base64.hpp"

namespace mediagen {

namespace {

bool starts_with_ci(const std::string& s, const char* prefix) {
  std::size_t n = std::strlen(prefix);
  if (s.size() < n) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

// The bytes of an inline file: a data: URL (RFC 2397) with ";base64", or plain base64.
std::optional<std::string> decode_inline_file(const std::string& text) {
  if (!starts_with_ci(text, "data:")) return base64_decode(text);
  auto comma = text.find(',');
  if (comma == std::string::npos) return std::nullopt;
  std::string head = text.substr(0, comma);
  if (head.size() < 7 + 5 || !starts_with_ci(head.substr(head.size() - 7), ";base64")) return std::nullopt;
  return base64_decode(std::string_view(text).substr(comma + 1));
}

bool all_digits(const std::string& s, std::size_t from) {
  if (s.size() <= from) return false;
  for (std::size_t i = from; i < s.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

// Takes the inline files out of a JSON body's fields into parts.
body_error take_inline_files(generation_body& out) {
  std::vector<std::string> names;
  for (auto& m : out.fields.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    if (is_file_field(name)) names.push_back(std::move(name));
  }
  for (auto& name : names) {
    auto* v = json::member(out.fields, name.c_str());
    if (v->IsNull()) {
      out.fields.EraseMember(name.c_str());
      continue;
    }
    if (!v->IsString()) return {400, "'" + name + "' must be a base64 string or a data: URL."};
    for (auto& p : out.parts)
      if (p.field == name) return {400, "'" + name + "' is given more than once."};
    auto bytes = decode_inline_file(std::string(v->GetString(), v->GetStringLength()));
    if (!bytes) return {400, "'" + name + "' is not valid base64 (or not a base64 data: URL)."};
    out.decoded.push_back(std::move(*bytes));
    out.parts.push_back(uploaded_part{name, &out.decoded.back()});
    out.fields.EraseMember(name.c_str());
  }
  return {};
}

} // namespace

bool is_file_field(const std::string& name) {
  if (name == "image" || name == "mask") return true;
  if (name.rfind("image_", 0) == 0) return all_digits(name, 6);
  if (name.rfind("audio_", 0) == 0) return all_digits(name, 6);
  return false;
}

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

body_error read_generation_fields(const httplib::Request& req, generation_body& out) {
  auto& fields = out.fields;
  auto& parts = out.parts;
  std::string type = req.get_header_value("Content-Type");
  if (starts_with_ci(type, "application/json")) {
    if (auto e = json::parse(req.body, fields); !e.empty())
      return {400, "The request body is not valid JSON (" + e + ")."};
    if (!fields.IsObject()) return {400, "The request body must be a JSON object."};
    return take_inline_files(out);
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
  return {415, "The body must be application/json or multipart/form-data."};
}

} // namespace mediagen
