#pragma once
// Small RapidJSON helpers shared by every module: parse with a one-sentence error,
// serialize, and typed look-ups that never assert on a wrong type.

#include <optional>
#include <string>

#include <rapidjson/document.h>

namespace mediagen::json {

using value = rapidjson::Value;
using document = rapidjson::Document;
using allocator = rapidjson::Document::AllocatorType;

/// Parses `text` into `out`. Returns "" on success, else a sentence naming the offset.
std::string parse(const std::string& text, document& out);

/// Serializes a value compactly.
std::string stringify(const value& v);

/// Pretty serialization (for files people read, such as media-data.json).
std::string stringify_pretty(const value& v);

/// Member look-ups that answer nullopt on absence or another type.
const value* member(const value& object, const char* name);
std::optional<std::string> get_string(const value& object, const char* name);
std::optional<double> get_number(const value& object, const char* name);
std::optional<long long> get_int(const value& object, const char* name);
std::optional<bool> get_bool(const value& object, const char* name);

/// Makes a string value owned by `a`.
inline value str(const std::string& s, allocator& a) { return value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); }

/// Sets (adds or replaces) `object[name] = v`.
void set(value& object, const std::string& name, value v, allocator& a);

/// Escapes `s` as a JSON string literal, quotes included.
std::string quote(const std::string& s);

/// True when `s` is valid UTF-8.
bool valid_utf8(const std::string& s);

} // namespace mediagen::json
