#include "http/idempotency.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/sha256.hpp"
#include "http/api_keys.hpp"

namespace mediagen {

namespace {

bool key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-';
}

// `v` as JSON with each object's members in name order (names compared as bytes).
void write_canonical(const json::value& v, std::string& out) {
  if (v.IsObject()) {
    std::vector<const json::value::Member*> members;
    for (auto& m : v.GetObject()) members.push_back(&m);
    std::stable_sort(members.begin(), members.end(), [](auto* a, auto* b) {
      return std::string_view(a->name.GetString(), a->name.GetStringLength()) <
             std::string_view(b->name.GetString(), b->name.GetStringLength());
    });
    out += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i) out += ',';
      out += json::stringify(members[i]->name);
      out += ':';
      write_canonical(members[i]->value, out);
    }
    out += '}';
  } else if (v.IsArray()) {
    out += '[';
    bool first = true;
    for (auto& item : v.GetArray()) {
      if (!first) out += ',';
      first = false;
      write_canonical(item, out);
    }
    out += ']';
  } else {
    out += json::stringify(v);
  }
}

const char* kind_name(request_kind kind) {
  switch (kind) {
    case request_kind::async: return "async";
    case request_kind::sync: return "sync";
    case request_kind::inpaint: return "inpaint";
  }
  return "?";
}

} // namespace

std::string read_idempotency_key(const httplib::Request& req, const json::value& fields, std::string& key) {
  key.clear();
  bool in_header = req.has_header("Idempotency-Key");
  std::string header = req.get_header_value("Idempotency-Key");
  const json::value* field = fields.IsObject() ? json::member(fields, "clientTaskId") : nullptr;
  if (field && field->IsNull()) field = nullptr;
  if (field && !field->IsString()) return "clientTaskId must be a string.";
  std::string body_key = field ? std::string(field->GetString(), field->GetStringLength()) : std::string();
  if (in_header && field && header != body_key)
    return "The Idempotency-Key header and clientTaskId differ; send one key.";
  if (!in_header && !field) return {};
  std::string given = in_header ? header : body_key;
  if (given.empty() || given.size() > max_idempotency_key_bytes || !std::all_of(given.begin(), given.end(), key_char))
    return "The idempotency key must be 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'.";
  key = std::move(given);
  return {};
}

std::string scoped_idempotency_key(const httplib::Request& req, bool api_keys_on, const std::string& key) {
  if (!api_keys_on) return "open " + key;
  // The request passed the key check, so its bearer token is one of the keys.
  return sha256_hex(bearer_token(req.get_header_value("Authorization"))).substr(0, 32) + " " + key;
}

std::string request_fingerprint(request_kind kind, const generation_body& body) {
  std::string fields;
  json::document counted(rapidjson::kObjectType);
  auto& a = counted.GetAllocator();
  for (auto& m : body.fields.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "clientTaskId" || name == "timeoutMs" || name == "cancelOnDisconnect" || name == "outputFormat")
      continue;
    counted.AddMember(json::value(m.name, a), json::value(m.value, a), a);
  }
  write_canonical(counted, fields);
  std::vector<const uploaded_part*> files;
  for (auto& p : body.parts) files.push_back(&p);
  std::stable_sort(files.begin(), files.end(), [](auto* x, auto* y) { return x->field < y->field; });
  sha256 digest;
  // Lengths first, so no two different requests join into the same bytes.
  digest.add("mediagen request 1\n").add(kind_name(kind)).add("\n");
  digest.add(std::to_string(fields.size())).add("\n").add(fields).add("\n");
  for (auto* f : files)
    digest.add(f->field).add("\n").add(std::to_string(f->bytes->size())).add("\n").add(*f->bytes).add("\n");
  return digest.hex();
}

} // namespace mediagen
