#pragma once
// The one JSON module every layer uses (RapidJSON underneath): parse with a one-sentence error,
// serialize, typed look-ups that never assert on a wrong type, and a streaming writer for
// building documents without a DOM.

#include <cstdint>
#include <optional>
#include <string>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace mediagen::json {

using value = rapidjson::Value;
using document = rapidjson::Document;
using allocator = rapidjson::Document::AllocatorType;

/// Parses `text` into `out`. Returns "" on success, else a sentence naming the offset.
std::string parse(const std::string& text, document& out);

/// Serializes a value compactly. `nan_and_inf` writes NaN and Infinity as bare words (what
/// ComfyUI's Python json module reads and writes) instead of failing on them.
std::string stringify(const value& v, bool nan_and_inf = false);

/// Pretty serialization (for files people read, such as media-data.json).
std::string stringify_pretty(const value& v);

/// Member look-ups that answer nullopt on absence or another type.
const value* member(const value& object, const char* name);
std::optional<std::string> get_string(const value& object, const char* name);
std::optional<double> get_number(const value& object, const char* name);
std::optional<long long> get_int(const value& object, const char* name);
std::optional<bool> get_bool(const value& object, const char* name);

/// Makes a string value owned by `a`.
inline value str(const std::string& s, allocator& a) {
  return value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
}

/// Sets (adds or replaces) `object[name] = v`.
void set(value& object, const std::string& name, value v, allocator& a);

/// Escapes `s` as a JSON string literal, quotes included.
std::string quote(const std::string& s);

/// True when `s` is valid UTF-8.
bool valid_utf8(const std::string& s);

/// Builds compact JSON text front to back: no DOM, no hand-made quoting. Keys and values
/// alternate inside objects; `raw` inserts text that is already JSON.
class writer {
public:
  writer() : w_(buffer_) {}
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  writer& begin_object() { return done(w_.StartObject()); }
  writer& end_object() { return done(w_.EndObject()); }
  writer& begin_array() { return done(w_.StartArray()); }
  writer& end_array() { return done(w_.EndArray()); }
  writer& key(const std::string& k) { return done(w_.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()))); }
  writer& value(const std::string& s) { return done(w_.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()))); }
  writer& value(const char* s) { return value(std::string(s)); }
  writer& value(bool b) { return done(w_.Bool(b)); }
  writer& value(int i) { return done(w_.Int(i)); }
  writer& value(std::int64_t i) { return done(w_.Int64(i)); }
  writer& value(std::uint64_t u) { return done(w_.Uint64(u)); }
  writer& value(double d) { return done(w_.Double(d)); }
  writer& null() { return done(w_.Null()); }
  /// Already-serialized JSON (a value of any type).
  writer& raw(const std::string& json_text) {
    return done(w_.RawValue(json_text.c_str(), json_text.size(), rapidjson::kObjectType));
  }
  /// A DOM value.
  writer& value(const json::value& v) { return done(v.Accept(w_)); }

  /// `key` then `value` in one call.
  template <class T>
  writer& field(const std::string& k, const T& v) {
    key(k);
    return value(v);
  }

  /// The text written so far (whole once every object and array is closed).
  std::string str() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }

private:
  writer& done(bool) { return *this; }
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> w_;
};

} // namespace mediagen::json
