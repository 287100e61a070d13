#include "generation/generation_request.hpp"

#include <cmath>
#include <cstdlib>

namespace mediagen {

namespace {

constexpr size_t max_text_bytes = 64 * 1024;

validation_result refuse(int status, std::string error) {
  validation_result r;
  r.status = status;
  r.error = std::move(error);
  return r;
}

// Reads an integer that may come as a JSON number or as decimal text (multipart).
bool read_integer(const json::value& v, std::int64_t& out) {
  if (v.IsInt64()) { out = v.GetInt64(); return true; }
  if (v.IsDouble()) {
    double d = v.GetDouble();
    if (std::floor(d) != d || std::fabs(d) > 9.2e18) return false;
    out = static_cast<std::int64_t>(d);
    return true;
  }
  if (!v.IsString() || v.GetStringLength() == 0 || v.GetStringLength() > 20) return false;
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v.GetString(), &end, 10);
  if (errno || end != v.GetString() + v.GetStringLength()) return false;
  out = n;
  return true;
}

bool read_number(const json::value& v, double& out) {
  if (v.IsNumber()) { out = v.GetDouble(); return true; }
  if (!v.IsString() || v.GetStringLength() == 0 || v.GetStringLength() > 40) return false;
  char* end = nullptr;
  out = std::strtod(v.GetString(), &end);
  return end == v.GetString() + v.GetStringLength() && std::isfinite(out);
}

bool read_bool(const json::value& v, bool& out) {
  if (v.IsBool()) { out = v.GetBool(); return true; }
  if (v.IsString()) {
    std::string s = v.GetString();
    if (s == "true" || s == "on" || s == "1") { out = true; return true; }
    if (s == "false" || s == "off" || s == "0" || s.empty()) { out = false; return true; }
  }
  return false;
}

std::string format_number(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  return std::to_string(d);
}

// Checks one extra input's value and writes its typed form into data. "" or an error sentence.
std::string check_extra_input(const extra_input& in, const json::value& v, json::document& data) {
  auto& a = data.GetAllocator();
  const std::string& id = in.id;
  if (in.type == "number") {
    double d;
    if (!read_number(v, d)) return "'" + id + "' must be a number.";
    if (in.min && d < *in.min) return "'" + id + "' must be at least " + format_number(*in.min) + ".";
    if (in.max && d > *in.max) return "'" + id + "' must be at most " + format_number(*in.max) + ".";
    if (std::floor(d) == d && std::fabs(d) < 9e15) json::set(data, id, json::value(static_cast<int64_t>(d)), a);
    else json::set(data, id, json::value(d), a);
    return {};
  }
  if (in.type == "checkbox") {
    bool b;
    if (!read_bool(v, b)) return "'" + id + "' must be true or false.";
    json::set(data, id, json::value(b), a);
    return {};
  }
  if (in.type == "select") {
    for (auto& choice : in.choices) {
      json::document c;
      json::parse(choice, c);
      bool same = c == v || (c.IsNumber() && v.IsString() && choice == v.GetString());
      if (same) {
        json::value copy(c, a);
        json::set(data, id, std::move(copy), a);
        return {};
      }
    }
    return "'" + id + "' is not one of its options.";
  }
  // text, textarea: a string (a number is taken as its text)
  std::string s;
  if (v.IsString()) s.assign(v.GetString(), v.GetStringLength());
  else if (v.IsNumber()) s = json::stringify(v);
  else return "'" + id + "' must be text.";
  if (s.size() > max_text_bytes) return "'" + id + "' is longer than 64 KiB.";
  json::set(data, id, json::str(s, a), a);
  return {};
}

} // namespace

validation_result validate_generation(const workflow_catalog& catalog, const json::value& body, bool sync,
                                      const validation_settings& settings) {
  if (!body.IsObject()) return refuse(400, "The request body must be a JSON object.");
  auto* wf_field = json::member(body, "workflow");
  if (!wf_field || (wf_field->IsString() && wf_field->GetStringLength() == 0))
    return refuse(400, "Workflow parameter is required");
  if (!wf_field->IsString()) return refuse(400, "Workflow must be a string.");
  std::string wf_name = wf_field->GetString();
  const workflow* wf = catalog.find(wf_name);
  if (!wf) return refuse(400, "Workflow '" + (wf_name.size() > 200 ? wf_name.substr(0, 200) + "..." : wf_name) + "' not found");
  if (wf->backend == "comfyui" && !settings.comfyui_available)
    return refuse(503, "Workflow '" + wf_name + "' needs ComfyUI, and no ComfyUI instance is configured.");

  validation_result r;
  generation_request& req = r.request;
  req.workflow = wf_name;
  json::document data(rapidjson::kObjectType);
  auto& a = data.GetAllocator();

  auto text_field = [&](const char* field, std::string& out) -> std::string {
    auto* v = json::member(body, field);
    if (!v || v->IsNull()) return {};
    if (!v->IsString()) return std::string("'") + field + "' must be a string.";
    if (v->GetStringLength() > max_text_bytes) return std::string("'") + field + "' is longer than 64 KiB.";
    out.assign(v->GetString(), v->GetStringLength());
    return {};
  };
  if (auto e = text_field("prompt", req.prompt); !e.empty()) return refuse(400, e);
  if (auto e = text_field("name", req.name); !e.empty()) return refuse(400, e);
  auto blank = [](const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; };
  if (!wf->optional_prompt && blank(req.prompt)) return refuse(400, "Prompt is required for this workflow.");
  if (wf->name_required && blank(req.name)) return refuse(400, "Name is required for this workflow.");

  if (auto* s = json::member(body, "seed"); s && !s->IsNull() && !(s->IsString() && s->GetStringLength() == 0)) {
    if (!read_integer(*s, req.seed)) return refuse(400, "Seed must be an integer.");
    if (req.seed < 0 || req.seed > max_seed) return refuse(400, "Seed must be between 0 and 2^53.");
  } else {
    req.seed = settings.draw_seed ? settings.draw_seed() % (max_seed + 1) : 0;
  }

  req.orientation = wf->orientation;
  if (auto* o = json::member(body, "orientation"); o && !o->IsNull()) {
    if (!o->IsString()) return refuse(400, "Orientation must be portrait, landscape or square.");
    std::string s = o->GetString();
    if (!s.empty()) {
      if (s != "portrait" && s != "landscape" && s != "square")
        return refuse(400, "Orientation must be portrait, landscape or square.");
      req.orientation = s;
    }
  }

  json::set(data, "workflow", json::str(req.workflow, a), a);
  json::set(data, "prompt", json::str(req.prompt, a), a);
  json::set(data, "name", json::str(req.name, a), a);
  json::set(data, "seed", json::value(static_cast<int64_t>(req.seed)), a);
  json::set(data, "orientation", json::str(req.orientation, a), a);

  for (auto& in : wf->extra_inputs) {
    auto* v = json::member(body, in.id.c_str());
    if (!v || v->IsNull()) {
      if (in.default_json.empty()) continue;
      json::document d;
      json::parse(in.default_json, d);
      json::value copy(d, a);
      json::set(data, in.id, std::move(copy), a);
      continue;
    }
    if (auto e = check_extra_input(in, *v, data); !e.empty()) return refuse(400, e);
  }

  if (sync) {
    req.silent = true;
    req.timeout_ms = settings.sync_timeout_cap_ms;
    if (auto* t = json::member(body, "timeoutMs"); t && !t->IsNull()) {
      std::int64_t ms;
      if (!read_integer(*t, ms) || ms <= 0) return refuse(400, "timeoutMs must be a positive integer.");
      req.timeout_ms = std::min(ms, settings.sync_timeout_cap_ms);
    }
    if (auto* c = json::member(body, "cancelOnDisconnect"); c && !c->IsNull()) {
      if (!read_bool(*c, req.cancel_on_disconnect)) return refuse(400, "cancelOnDisconnect must be true or false.");
    }
  }
  req.data_json = json::stringify(data);
  r.ok = true;
  r.status = 200;
  return r;
}

} // namespace mediagen
