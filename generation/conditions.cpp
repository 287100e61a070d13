#include "generation/conditions.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

namespace mediagen {

namespace {

bool as_number(const json::value& v, double& out) {
  if (v.IsNumber()) {
    out = v.GetDouble();
    return true;
  }
  if (!v.IsString() || v.GetStringLength() == 0) return false;
  const char* s = v.GetString();
  char* end = nullptr;
  out = std::strtod(s, &end);
  return end == s + v.GetStringLength() && std::isfinite(out);
}

bool blank(const json::value* v) {
  if (!v || v->IsNull()) return true;
  if (!v->IsString()) return false;
  for (const char* p = v->GetString(); *p; ++p)
    if (!std::isspace(static_cast<unsigned char>(*p))) return false;
  return true;
}

bool matches(const json::value* field, const json::value& expected) {
  if (expected.IsString() && expected.GetStringLength() == 0) return blank(field);
  if (expected.IsBool()) return truthy(field) == expected.GetBool();
  if (!field) return expected.IsNull();
  return loosely_equal(*field, expected);
}

} // namespace

bool truthy(const json::value* v) {
  if (!v || v->IsNull()) return false;
  if (v->IsBool()) return v->GetBool();
  if (v->IsNumber()) return v->GetDouble() != 0;
  if (v->IsString()) {
    std::string s(v->GetString(), v->GetStringLength());
    return !s.empty() && s != "false";
  }
  return true;
}

bool loosely_equal(const json::value& a, const json::value& b) {
  double x, y;
  if ((a.IsNumber() || b.IsNumber()) && as_number(a, x) && as_number(b, y)) return x == y;
  return a == b;
}

bool condition_holds(const json::value* condition, const json::value& data) {
  if (!condition) return true;
  if (!condition->IsObject()) return false;
  if (auto* all = json::member(*condition, "and")) {
    if (!all->IsArray()) return false;
    for (auto& c : all->GetArray())
      if (!condition_holds(&c, data)) return false;
    return true;
  }
  if (auto* any = json::member(*condition, "or")) {
    if (!any->IsArray()) return false;
    for (auto& c : any->GetArray())
      if (condition_holds(&c, data)) return true;
    return false;
  }
  auto* where = json::member(*condition, "where");
  auto field_name = where ? json::get_string(*where, "data") : std::nullopt;
  if (!field_name) return false;
  const json::value* field = json::member(data, field_name->c_str());
  if (auto* eq = json::member(*condition, "equals")) {
    auto* expected = json::member(*eq, "value");
    return expected && matches(field, *expected);
  }
  if (auto* ne = json::member(*condition, "isNot")) {
    auto* expected = json::member(*ne, "value");
    return expected && !matches(field, *expected);
  }
  return false;
}

} // namespace mediagen
