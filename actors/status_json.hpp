#pragma once
// Builds the small flat JSON objects that actors answer status requests with.

#include <cstdint>
#include <string>

#include "common/json.hpp"

namespace mediagen {

class status_json {
public:
  status_json(const std::string& kind, const std::string& id) {
    add("kind", kind);
    add("id", id);
  }
  status_json& add(const char* key, const std::string& v) { return raw(key, json::quote(v)); }
  status_json& add(const char* key, const char* v) { return raw(key, json::quote(v)); }
  status_json& add(const char* key, std::int64_t v) { return raw(key, std::to_string(v)); }
  status_json& add(const char* key, std::uint64_t v) { return raw(key, std::to_string(v)); }
  status_json& add(const char* key, int v) { return raw(key, std::to_string(v)); }
  status_json& add(const char* key, double v) { return raw(key, std::to_string(v)); }
  status_json& add(const char* key, bool v) { return raw(key, v ? "true" : "false"); }
  /// Adds already-serialized JSON.
  status_json& raw(const char* key, const std::string& json_text) {
    text_ += text_.size() > 1 ? "," : "";
    text_ += json::quote(key) + ":" + json_text;
    return *this;
  }
  std::string str() const { return text_ + "}"; }

private:
  std::string text_ = "{";
};

} // namespace mediagen
