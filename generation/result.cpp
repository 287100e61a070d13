#include "generation/result.hpp"

#include <cmath>

namespace mediagen {

namespace {

// Where clients fetch an output (docs/API.md "/media").
json::value url_of(const output_file& o, json::allocator& a) { return json::str("/media/" + o.name, a); }

json::value first_url_of(const generation_result& r, const char* kind, json::allocator& a) {
  for (auto& o : r.outputs)
    if (o.kind == kind) return url_of(o, a);
  return json::value(rapidjson::kNullType);
}

} // namespace

void result_to_json(const generation_result& r, json::value& out, json::allocator& a) {
  out.SetObject();
  out.AddMember("taskId", json::str(r.task_id, a), a);
  out.AddMember("workflow", json::str(r.workflow, a), a);
  out.AddMember("type", json::str(r.type, a), a);
  out.AddMember("prompt", json::str(r.prompt, a), a);
  out.AddMember("name", json::str(r.name, a), a);
  out.AddMember("seed", json::value(static_cast<int64_t>(r.seed)), a);
  out.AddMember("imageUrl", first_url_of(r, "image", a), a);
  out.AddMember("audioUrl", first_url_of(r, "audio", a), a);
  if (r.type == "video") out.AddMember("videoUrl", first_url_of(r, "video", a), a);
  json::value outputs(rapidjson::kArrayType);
  for (auto& o : r.outputs) {
    json::value item(rapidjson::kObjectType);
    item.AddMember("url", url_of(o, a), a);
    item.AddMember("kind", json::str(o.kind, a), a);
    item.AddMember("bytes", json::value(static_cast<uint64_t>(o.bytes)), a);
    outputs.PushBack(item, a);
  }
  out.AddMember("outputs", outputs, a);
  out.AddMember("inpaint", json::value(r.inpaint), a);
  if (r.inpaint_area_json.empty()) {
    out.AddMember("inpaintArea", json::value(rapidjson::kNullType), a);
  } else {
    json::document area;
    json::parse(r.inpaint_area_json, area);
    out.AddMember("inpaintArea", json::value(area, a), a);
  }
  out.AddMember("timeTaken", json::value(std::round(r.time_taken * 1000) / 1000), a);
  out.AddMember("timestamp", json::str(r.timestamp, a), a);
  json::value warnings(rapidjson::kArrayType);
  for (auto& w : r.warnings) warnings.PushBack(json::str(w, a), a);
  out.AddMember("warnings", warnings, a);
  // Always present, as the Node server stored them ("" when nobody said): its clients read
  // them without checking.
  out.AddMember("description", json::str(r.description, a), a);
  out.AddMember("summary", json::str(r.summary, a), a);
  json::value tags(rapidjson::kArrayType);
  for (auto& t : r.tags) tags.PushBack(json::str(t, a), a);
  out.AddMember("tags", tags, a);
  out.AddMember("orientation", json::str(r.orientation, a), a);
  out.AddMember("requestOrigin",
                r.request_origin.empty() ? json::value(rapidjson::kNullType) : json::str(r.request_origin, a), a);
  if (!r.extra_inputs_json.empty()) {
    json::document extra;
    json::parse(r.extra_inputs_json, extra);
    if (extra.IsObject())
      for (auto& m : extra.GetObject())
        // A declared input never overwrites a field of the result itself.
        if (!out.HasMember(m.name) && std::string(m.name.GetString()) != "uid" &&
            std::string(m.name.GetString()) != "folder")
          out.AddMember(json::value(m.name, a), json::value(m.value, a), a);
  }
  if (r.uid >= 0) {
    out.AddMember("uid", json::value(static_cast<int64_t>(r.uid)), a);
    out.AddMember("folder", json::str(r.folder, a), a);
  }
}

std::string result_to_json(const generation_result& r) {
  json::document d;
  result_to_json(r, d, d.GetAllocator());
  return json::stringify(d);
}

void progress_to_json(const progress_info& p, json::value& out, json::allocator& a) {
  out.SetObject();
  out.AddMember("percentage", json::value(std::round(p.percentage * 10) / 10), a);
  out.AddMember("currentStep", json::str(p.current_step, a), a);
  out.AddMember("currentValue", json::value(static_cast<int64_t>(p.current_value)), a);
  out.AddMember("maxValue", json::value(static_cast<int64_t>(p.max_value)), a);
  if (!p.message.empty()) out.AddMember("message", json::str(p.message, a), a);
}

} // namespace mediagen
