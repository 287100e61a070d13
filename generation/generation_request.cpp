#include "generation/generation_request.hpp"

#include <cmath>
#include <cstdlib>

namespace mediagen {

validation_result refused(int status, std::string error) {
  validation_result r;
  r.status = status;
  r.error = std::move(error);
  return r;
}

namespace {

// Reads an integer that may come as a JSON number or as decimal text (multipart).
bool read_integer(const json::value& v, std::int64_t& out) {
  if (v.IsInt64()) {
    out = v.GetInt64();
    return true;
  }
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
  if (v.IsNumber()) {
    out = v.GetDouble();
    return true;
  }
  if (!v.IsString() || v.GetStringLength() == 0 || v.GetStringLength() > 40) return false;
  char* end = nullptr;
  out = std::strtod(v.GetString(), &end);
  return end == v.GetString() + v.GetStringLength() && std::isfinite(out);
}

bool read_bool(const json::value& v, bool& out) {
  if (v.IsBool()) {
    out = v.GetBool();
    return true;
  }
  if (v.IsString()) {
    std::string s(v.GetString(), v.GetStringLength());
    if (s == "true" || s == "on" || s == "1") {
      out = true;
      return true;
    }
    if (s == "false" || s == "off" || s == "0" || s.empty()) {
      out = false;
      return true;
    }
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
    if (std::floor(d) == d && std::fabs(d) < 9e15)
      json::set(data, id, json::value(static_cast<int64_t>(d)), a);
    else
      json::set(data, id, json::value(d), a);
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
      bool same = c == v || (c.IsNumber() && v.IsString() && choice == std::string(v.GetString(), v.GetStringLength()));
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
  if (v.IsString())
    s.assign(v.GetString(), v.GetStringLength());
  else if (v.IsNumber())
    s = json::stringify(v);
  else
    return "'" + id + "' must be text.";
  if (s.size() > max_text_field_bytes) return "'" + id + "' is longer than 64 KiB.";
  json::set(data, id, json::str(s, a), a);
  return {};
}

// Checks the uploaded files the workflow needs and lists them in the request (not yet stored).
std::string check_files(const workflow& wf, const std::vector<uploaded_part>& parts, request_kind kind,
                        generation_request& req) {
  auto find = [&](const std::string& field) -> const uploaded_part* {
    for (auto& p : parts)
      if (p.field == field) return &p;
    return nullptr;
  };
  auto take = [&](const std::string& field, bool image, std::string& error) {
    auto* part = find(field);
    if (!part) {
      error = "The file '" + field + "' is required for this workflow.";
      return;
    }
    std::string kind_of = sniff_file_kind(*part->bytes);
    if (part->bytes->empty()) {
      error = "The file '" + field + "' is empty.";
      return;
    }
    if (image ? !is_image_kind(kind_of) : !is_audio_kind(kind_of)) {
      error = "The file '" + field + "' is not a " +
              (image ? "PNG, JPEG or WebP image" : "MP3, OGG, WAV or FLAC file") + " (or it is cut short).";
      return;
    }
    req.files.push_back(input_file{field, kind_of, ""});
  };
  std::string error;
  if (kind == request_kind::inpaint) {
    for (const char* field : {"image", "mask"})
      if (error.empty()) take(field, true, error);
    return error;
  }
  for (int i = 0; i < wf.input_images && error.empty(); ++i) take("image_" + std::to_string(i), true, error);
  for (int i = 0; i < wf.input_audios && error.empty(); ++i) take("audio_" + std::to_string(i), false, error);
  return error;
}

// inpaintArea: JSON text of an object with numeric x1, y1, x2, y2.
std::string check_inpaint_area(const json::value& body, std::string& out) {
  auto* v = json::member(body, "inpaintArea");
  if (!v || v->IsNull() || (v->IsString() && v->GetStringLength() == 0)) return {};
  json::document area;
  if (v->IsString()) {
    if (!json::parse(std::string(v->GetString(), v->GetStringLength()), area).empty())
      return "inpaintArea must be JSON text of {x1, y1, x2, y2}.";
  } else {
    area.CopyFrom(*v, area.GetAllocator());
  }
  if (!area.IsObject()) return "inpaintArea must be JSON text of {x1, y1, x2, y2}.";
  json::document clean(rapidjson::kObjectType);
  for (const char* k : {"x1", "y1", "x2", "y2"}) {
    auto n = json::get_number(area, k);
    if (!n || !std::isfinite(*n)) return std::string("inpaintArea.") + k + " must be a number.";
    clean.AddMember(rapidjson::StringRef(k), json::value(*n), clean.GetAllocator());
  }
  out = json::stringify(clean);
  return {};
}

// tags: a JSON array of strings, or text: JSON text of such an array (what a multipart form
// gets from JSON.stringify) or comma-separated tags. Blank tags are dropped.
std::string read_tags(const json::value& v, std::vector<std::string>& out) {
  constexpr std::size_t max_tags = 1000;
  const char* bad = "'tags' must be a list of strings or comma-separated text.";
  auto keep = [&](std::string tag) {
    tag.erase(0, tag.find_first_not_of(" \t\r\n"));
    tag.erase(tag.find_last_not_of(" \t\r\n") + 1);
    if (!tag.empty()) out.push_back(std::move(tag));
  };
  if (v.IsArray()) {
    if (v.Size() > max_tags) return "'tags' holds more than 1000 tags.";
    for (auto& t : v.GetArray()) {
      if (!t.IsString()) return bad;
      keep(std::string(t.GetString(), t.GetStringLength()));
    }
    return {};
  }
  if (!v.IsString()) return bad;
  std::string text(v.GetString(), v.GetStringLength());
  if (text.size() > max_text_field_bytes) return "'tags' is longer than 64 KiB.";
  auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '[') {
    json::document list;
    if (!json::parse(text, list).empty() || !list.IsArray()) return bad;
    return read_tags(list, out);
  }
  std::size_t at = 0;
  while (at <= text.size()) {
    auto comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    keep(text.substr(at, comma - at));
    at = comma + 1;
  }
  if (out.size() > max_tags) return "'tags' holds more than 1000 tags.";
  return {};
}

} // namespace

std::string parse_tags(const json::value& v, std::vector<std::string>& out) { return read_tags(v, out); }

void name_stored_files(const generation_request& request, json::document& data) {
  if (!data.IsObject()) return;
  auto& a = data.GetAllocator();
  for (auto& f : request.files) {
    json::set(data, filename_field(f.field), json::str(f.stored_name, a), a);
    if (f.field == "image") json::set(data, "image_0_filename", json::str(f.stored_name, a), a);
  }
}

namespace {

validation_result validate(const workflow_catalog& catalog, const json::value& body,
                           const std::vector<uploaded_part>& parts, request_kind kind,
                           const validation_settings& settings) {
  bool sync = kind == request_kind::sync;
  if (!body.IsObject()) return refused(400, "The request body must be a JSON object.");
  auto* wf_field = json::member(body, "workflow");
  if (!wf_field || (wf_field->IsString() && wf_field->GetStringLength() == 0))
    return refused(400, "Workflow parameter is required");
  if (!wf_field->IsString()) return refused(400, "Workflow must be a string.");
  // Whole strings everywhere: an embedded NUL must not cut "Builtin Tiny\u0000junk" short.
  std::string wf_name(wf_field->GetString(), wf_field->GetStringLength());
  workflow_ref wf = catalog.find_ref(wf_name);
  if (!wf)
    return refused(400,
                   "Workflow '" + (wf_name.size() > 200 ? wf_name.substr(0, 200) + "..." : wf_name) + "' not found");
  if (wf->backend == "comfyui" && !settings.comfyui_available)
    return refused(503, "Workflow '" + wf_name + "' needs ComfyUI, and no ComfyUI instance is configured.");

  validation_result r;
  generation_request& req = r.request;
  req.workflow = wf_name;
  req.wf = wf;
  json::document& data = r.data;
  data.SetObject();
  auto& a = data.GetAllocator();

  auto text_field = [&](const char* field, std::string& out) -> std::string {
    auto* v = json::member(body, field);
    if (!v || v->IsNull()) return {};
    if (!v->IsString()) return std::string("'") + field + "' must be a string.";
    if (v->GetStringLength() > max_text_field_bytes) return std::string("'") + field + "' is longer than 64 KiB.";
    out.assign(v->GetString(), v->GetStringLength());
    return {};
  };
  if (auto e = text_field("prompt", req.prompt); !e.empty()) return refused(400, e);
  if (auto e = text_field("name", req.name); !e.empty()) return refused(400, e);
  if (auto e = text_field("description", req.description); !e.empty()) return refused(400, e);
  if (auto e = text_field("summary", req.summary); !e.empty()) return refused(400, e);
  if (auto e = text_field("requestOrigin", req.request_origin); !e.empty()) return refused(400, e);
  if (req.request_origin.size() > 200) return refused(400, "'requestOrigin' is longer than 200 bytes.");
  if (auto* t = json::member(body, "tags"); t && !t->IsNull())
    if (auto e = read_tags(*t, req.tags); !e.empty()) return refused(400, e);
  auto blank = [](const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; };
  if (!wf->optional_prompt && blank(req.prompt)) return refused(400, "Prompt is required for this workflow.");
  if (wf->name_required && blank(req.name)) return refused(400, "Name is required for this workflow.");

  if (auto* s = json::member(body, "seed"); s && !s->IsNull() && !(s->IsString() && s->GetStringLength() == 0)) {
    if (!read_integer(*s, req.seed)) return refused(400, "Seed must be an integer.");
    if (req.seed < 0 || req.seed > max_seed) return refused(400, "Seed must be between 0 and 2^53.");
  } else {
    req.seed = settings.draw_seed ? settings.draw_seed() % (max_seed + 1) : 0;
  }

  req.orientation = wf->orientation;
  if (auto* o = json::member(body, "orientation"); o && !o->IsNull()) {
    if (!o->IsString()) return refused(400, "Orientation must be portrait, landscape or square.");
    std::string s(o->GetString(), o->GetStringLength());
    if (!s.empty()) {
      if (s != "portrait" && s != "landscape" && s != "square")
        return refused(400, "Orientation must be portrait, landscape or square.");
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
    if (auto e = check_extra_input(in, *v, data); !e.empty()) return refused(400, e);
  }
  {
    // The declared inputs as checked, for the entry (the data also holds prompt, seed, ...).
    json::document extra(rapidjson::kObjectType);
    for (auto& in : wf->extra_inputs)
      if (auto* v = json::member(data, in.id.c_str()))
        json::set(extra, in.id, json::value(*v, extra.GetAllocator()), extra.GetAllocator());
    if (extra.MemberCount() > 0) req.extra_inputs_json = json::stringify(extra);
  }

  if (auto* p = json::member(body, "previews"); p && !p->IsNull()) {
    if (!read_bool(*p, req.previews)) return refused(400, "previews must be true or false.");
  }
  if (sync) {
    req.silent = true;
    req.timeout_ms = settings.sync_timeout_cap_ms;
    if (auto* t = json::member(body, "timeoutMs"); t && !t->IsNull()) {
      std::int64_t ms;
      if (!read_integer(*t, ms) || ms <= 0) return refused(400, "timeoutMs must be a positive integer.");
      req.timeout_ms = std::min(ms, settings.sync_timeout_cap_ms);
    }
    if (auto* c = json::member(body, "cancelOnDisconnect"); c && !c->IsNull()) {
      if (!read_bool(*c, req.cancel_on_disconnect)) return refused(400, "cancelOnDisconnect must be true or false.");
    }
  }
  req.priority = sync ? task_priority::high : task_priority::normal;
  if (auto* p = json::member(body, "priority"); p && !p->IsNull()) {
    auto named = p->IsString() ? parse_priority(std::string(p->GetString(), p->GetStringLength())) : std::nullopt;
    if (!named) return refused(400, "Priority must be high, normal or low.");
    req.priority = *named;
  }
  if (kind == request_kind::inpaint) {
    if (wf->type != "inpaint") return refused(400, "Workflow '" + wf_name + "' is not an inpainting workflow.");
    if (blank(req.name)) return refused(400, "Name is required for inpainting.");
    if (blank(req.prompt)) return refused(400, "Prompt is required for inpainting.");
    req.inpaint = true;
    if (auto e = check_inpaint_area(body, req.inpaint_area_json); !e.empty()) return refused(400, e);
  } else if (wf->type == "inpaint") {
    return refused(400, "Workflow '" + wf_name + "' is an inpainting workflow; use /generate/inpaint.");
  }
  if (auto e = check_files(*wf, parts, kind, req); !e.empty()) return refused(400, e);
  r.ok = true;
  r.status = 200;
  return r;
}

} // namespace

validation_result validate_generation(const workflow_catalog& catalog, const json::value& body,
                                      const std::vector<uploaded_part>& parts, request_kind kind,
                                      const validation_settings& settings) {
  return validate(catalog, body, parts, kind, settings);
}

} // namespace mediagen
