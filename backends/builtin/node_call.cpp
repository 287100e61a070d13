// Parsing and checking of node inputs: the same graph may arrive with numbers as JSON ints,
// doubles or the strings a multipart form produced, and each must give the same value.

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "backends/builtin/node_runtime.hpp"

namespace mediagen::builtin {

namespace {

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Shortest text that reads back as the same number: "0.5", not "0.50000000000000000".
std::string format_number(double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string range_error(const char* name, const std::string& min, const std::string& max) {
  return std::string(name) + " must be between " + min + " and " + max + ".";
}

/// A literal read as a number: exact when it was written as an integer, else a double.
struct parsed_number {
  bool ok = false;
  bool exact_int = false;  ///< i holds the exact value
  bool exact_uint = false; ///< u holds the exact value (too big for int64)
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0.0;
};

parsed_number parse_number(const rapidjson::Value& v) {
  parsed_number n;
  if (v.IsInt64()) {
    n.ok = n.exact_int = true;
    n.i = v.GetInt64();
    n.d = static_cast<double>(n.i);
  } else if (v.IsUint64()) {
    n.ok = n.exact_uint = true;
    n.u = v.GetUint64();
    n.d = static_cast<double>(n.u);
  } else if (v.IsNumber()) {
    n.d = v.GetDouble();
    n.ok = std::isfinite(n.d);
  } else if (v.IsString()) {
    std::string s = trim(v.GetString());
    if (s.empty()) return n;
    const char* begin = s.c_str();
    char* end = nullptr;
    errno = 0;
    long long ll = std::strtoll(begin, &end, 10);
    if (*end == '\0' && errno == 0) {
      n.ok = n.exact_int = true;
      n.i = ll;
      n.d = static_cast<double>(ll);
      return n;
    }
    if (s[0] != '-') {
      errno = 0;
      unsigned long long ull = std::strtoull(begin, &end, 10);
      if (*end == '\0' && errno == 0) {
        n.ok = n.exact_uint = true;
        n.u = ull;
        n.d = static_cast<double>(ull);
        return n;
      }
    }
    errno = 0;
    double d = std::strtod(begin, &end);
    // strtod also takes "inf", "nan" and hex floats; only plain finite decimals are numbers here.
    n.ok = *end == '\0' && errno == 0 && std::isfinite(d) && s.find_first_of("xXnN") == std::string::npos;
    n.d = d;
  }
  return n;
}

} // namespace

node_call::node_call(const rapidjson::Value* inputs, std::map<std::string, const node_value*> links,
                     const execution_context& ctx, std::function<void(int, int)> report)
    : inputs_(inputs && inputs->IsObject() ? inputs : nullptr), links_(std::move(links)), ctx_(ctx),
      report_(std::move(report)) {}

const rapidjson::Value* node_call::find(const char* name) const {
  if (!inputs_) return nullptr;
  auto it = inputs_->FindMember(name);
  if (it == inputs_->MemberEnd() || it->value.IsNull()) return nullptr;
  if (it->value.IsArray()) throw node_error(std::string("input ") + name + " must be a value, not a link.");
  return &it->value;
}

std::int64_t node_call::integer(const char* name, std::int64_t min, std::int64_t max) const {
  const rapidjson::Value* v = find(name);
  if (!v) throw node_error(std::string("input ") + name + " is missing.");
  parsed_number n = parse_number(*v);
  if (!n.ok) throw node_error(std::string(name) + " must be a number.");
  std::string range = range_error(name, std::to_string(min), std::to_string(max));
  if (n.exact_uint) throw node_error(range);
  if (n.exact_int) {
    if (n.i < min || n.i > max) throw node_error(range);
    return n.i;
  }
  if (n.d != std::floor(n.d)) throw node_error(std::string(name) + " must be a whole number.");
  if (n.d < static_cast<double>(min) || n.d > static_cast<double>(max)) throw node_error(range);
  return static_cast<std::int64_t>(n.d);
}

std::int64_t node_call::integer(const char* name, std::int64_t min, std::int64_t max, std::int64_t fallback) const {
  return find(name) ? integer(name, min, max) : fallback;
}

double node_call::number(const char* name, double min, double max) const {
  const rapidjson::Value* v = find(name);
  if (!v) throw node_error(std::string("input ") + name + " is missing.");
  parsed_number n = parse_number(*v);
  if (!n.ok) throw node_error(std::string(name) + " must be a number.");
  if (n.d < min || n.d > max) throw node_error(range_error(name, format_number(min), format_number(max)));
  return n.d;
}

double node_call::number(const char* name, double min, double max, double fallback) const {
  return find(name) ? number(name, min, max) : fallback;
}

std::string node_call::text(const char* name) const {
  const rapidjson::Value* v = find(name);
  if (!v) throw node_error(std::string("input ") + name + " is missing.");
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  // A template task stores a result that looks like a number as a number: take it back as text.
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsUint64()) return std::to_string(v->GetUint64());
  if (v->IsNumber()) return format_number(v->GetDouble());
  throw node_error(std::string(name) + " must be text.");
}

std::string node_call::text(const char* name, const std::string& fallback) const {
  return find(name) ? text(name) : fallback;
}

std::string node_call::choice(const char* name, std::initializer_list<const char*> allowed,
                              const char* fallback) const {
  const rapidjson::Value* v = find(name);
  std::string value;
  if (!v) {
    if (!fallback) throw node_error(std::string("input ") + name + " is missing.");
    value = fallback;
  } else if (v->IsString()) {
    value = trim(v->GetString());
  }
  for (const char* a : allowed)
    if (value == a) return value;
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  throw node_error(std::string(name) + " must be one of " + list + ".");
}

bool node_call::flag(const char* name, bool fallback) const {
  const rapidjson::Value* v = find(name);
  if (!v) return fallback;
  if (v->IsBool()) return v->GetBool();
  if (v->IsInt64() && (v->GetInt64() == 0 || v->GetInt64() == 1)) return v->GetInt64() == 1;
  if (v->IsString()) {
    std::string s = trim(v->GetString());
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "true" || s == "1" || s == "on" || s == "yes") return true;
    if (s == "false" || s == "0" || s == "off" || s == "no") return false;
    if (s.empty()) return fallback;
  }
  throw node_error(std::string(name) + " must be true or false.");
}

std::uint64_t node_call::seed(const char* name) const {
  const rapidjson::Value* v = find(name);
  if (!v) throw node_error(std::string("input ") + name + " is missing.");
  parsed_number n = parse_number(*v);
  if (!n.ok) throw node_error(std::string(name) + " must be a number.");
  if (n.exact_uint) return n.u;
  if (n.exact_int) return static_cast<std::uint64_t>(n.i); // negative seeds wrap, as in two's complement
  if (n.d != std::floor(n.d)) throw node_error(std::string(name) + " must be a whole number.");
  if (n.d < -9223372036854775808.0 || n.d >= 18446744073709551616.0)
    throw node_error(std::string(name) + " must fit in 64 bits.");
  return n.d < 0 ? static_cast<std::uint64_t>(static_cast<std::int64_t>(n.d)) : static_cast<std::uint64_t>(n.d);
}

const node_value& node_call::linked(const char* name) const {
  auto it = links_.find(name);
  if (it == links_.end() || !it->second) throw node_error(std::string("input ") + name + " is not connected.");
  return *it->second;
}

const image_batch& node_call::images(const char* name) const {
  const node_value& v = linked(name);
  if (auto* batch = std::get_if<image_batch>(&v)) {
    if (batch->empty()) throw node_error(std::string("input ") + name + " holds no image.");
    return *batch;
  }
  throw node_error(std::string("input ") + name + " must be an image, not a mask.");
}

const mask& node_call::mask_input(const char* name) const {
  const node_value& v = linked(name);
  if (auto* m = std::get_if<mask>(&v)) return *m;
  throw node_error(std::string("input ") + name + " must be a mask, not an image.");
}

const mask* node_call::optional_mask(const char* name) const {
  return links_.count(name) ? &mask_input(name) : nullptr;
}

bool node_call::cancel_requested() const {
  return ctx_.cancel_requested && ctx_.cancel_requested->load(std::memory_order_relaxed);
}

void node_call::check_cancelled() const {
  if (cancel_requested()) throw run_cancelled{};
}

void node_call::progress(int value, int max) {
  reported_ = true;
  if (report_) report_(value, max);
  check_cancelled();
}

} // namespace mediagen::builtin
