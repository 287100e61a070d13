#include "backends/comfyui/messages.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "common/json.hpp"

namespace mediagen::comfyui {

namespace {

using rapidjson::Value;

// ComfyUI serializes with Python's json.dumps, which writes NaN/Infinity for such floats.
// Iterative parsing: a hostile frame cannot exhaust the stack while parsing.
constexpr unsigned parse_flags = rapidjson::kParseNanAndInfFlag | rapidjson::kParseIterativeFlag;

// RapidJSON frees and serializes values recursively, so deeply nested input is refused before
// it is parsed. ComfyUI's own messages nest a handful of levels.
constexpr int max_nesting = 256;

bool too_deep(const std::string& text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_nesting) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

using json::member;

/// A node or prompt id: a string, or a number some forks send; nullopt for null/absent/other.
std::optional<std::string> id_of(const Value* v) {
  if (!v) return std::nullopt;
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsUint64()) return std::to_string(v->GetUint64());
  if (v->IsDouble()) {
    const double d = v->GetDouble();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  }
  return std::nullopt;
}

std::string str_of(const Value* v) { return id_of(v).value_or(std::string()); }

double number_of(const Value* v, double fallback) {
  if (v && v->IsNumber()) return v->GetDouble();
  if (v && v->IsString()) {
    char* end = nullptr;
    const std::string s = v->GetString();
    const double d = std::strtod(s.c_str(), &end);
    if (end && end != s.c_str() && *end == '\0') return d;
  }
  return fallback;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Collapses whitespace runs (newlines included) into single spaces and trims; strips a final
/// period so the caller can end its sentence with one.
std::string one_line(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::string shorten(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  return s.substr(0, max) + "...";
}

void collect_files(const std::string& node_id, const Value& output, std::vector<output_file>& out) {
  if (!output.IsObject()) return;
  for (auto m = output.MemberBegin(); m != output.MemberEnd(); ++m) {
    if (!m->name.IsString() || !m->value.IsArray()) continue;
    const std::string key(m->name.GetString(), m->name.GetStringLength());
    for (const auto& entry : m->value.GetArray()) {
      const Value* filename = member(entry, "filename");
      if (!filename || !filename->IsString() || filename->GetStringLength() == 0) continue;
      output_file f;
      f.node_id = node_id;
      f.key = key;
      f.filename = filename->GetString();
      f.subfolder = str_of(member(entry, "subfolder"));
      f.type = str_of(member(entry, "type"));
      if (f.type.empty()) f.type = "output";
      f.format = str_of(member(entry, "format"));
      f.kind = guess_kind(key, f.filename);
      out.push_back(std::move(f));
    }
  }
}

execution_error_frame error_from(const Value& data) {
  execution_error_frame f;
  f.prompt_id = id_of(member(data, "prompt_id"));
  f.node_id = str_of(member(data, "node_id"));
  f.node_type = str_of(member(data, "node_type"));
  f.exception_type = str_of(member(data, "exception_type"));
  f.exception_message = str_of(member(data, "exception_message"));
  if (f.exception_message.empty()) f.exception_message = str_of(member(data, "message"));
  return f;
}

execution_interrupted_frame interrupted_from(const Value& data) {
  execution_interrupted_frame f;
  f.prompt_id = id_of(member(data, "prompt_id"));
  f.node_id = str_of(member(data, "node_id"));
  f.node_type = str_of(member(data, "node_type"));
  return f;
}

prompt_error_detail detail_from(const Value& v) {
  prompt_error_detail d;
  if (v.IsString()) {
    d.message = v.GetString();
    return d;
  }
  d.type = str_of(member(v, "type"));
  d.message = str_of(member(v, "message"));
  d.details = str_of(member(v, "details"));
  return d;
}

std::string node_label(const std::string& node_id, const std::string& node_type) {
  std::string s = "node " + (node_id.empty() ? std::string("?") : node_id);
  if (!node_type.empty()) s += " (" + node_type + ")";
  return s;
}

struct type_visitor {
  std::string operator()(const status_frame&) const { return "status"; }
  std::string operator()(const execution_start_frame&) const { return "execution_start"; }
  std::string operator()(const execution_cached_frame&) const { return "execution_cached"; }
  std::string operator()(const executing_frame&) const { return "executing"; }
  std::string operator()(const progress_frame&) const { return "progress"; }
  std::string operator()(const executed_frame&) const { return "executed"; }
  std::string operator()(const execution_success_frame&) const { return "execution_success"; }
  std::string operator()(const execution_error_frame&) const { return "execution_error"; }
  std::string operator()(const execution_interrupted_frame&) const { return "execution_interrupted"; }
  std::string operator()(const unknown_frame& f) const { return f.type; }
};

struct prompt_id_visitor {
  std::optional<std::string> operator()(const status_frame&) const { return std::nullopt; }
  std::optional<std::string> operator()(const unknown_frame&) const { return std::nullopt; }
  template <class Frame>
  std::optional<std::string> operator()(const Frame& f) const {
    return f.prompt_id;
  }
};

} // namespace

// ---------------------------------------------------------------------------------------------

std::string guess_kind(const std::string& key, const std::string& filename) {
  static const char* const image_ext[] = {"png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff", "avif"};
  static const char* const video_ext[] = {"mp4", "webm", "mkv", "mov", "avi", "m4v", "mpg", "mpeg"};
  static const char* const audio_ext[] = {"wav", "mp3", "flac", "ogg", "opus", "m4a", "aac"};
  const auto dot = filename.rfind('.');
  if (dot != std::string::npos) {
    const std::string ext = lower(filename.substr(dot + 1));
    for (auto e : video_ext)
      if (ext == e) return "video";
    for (auto e : audio_ext)
      if (ext == e) return "audio";
    for (auto e : image_ext)
      if (ext == e) return "image";
  }
  const std::string k = lower(key);
  if (k.find("video") != std::string::npos || k.find("gif") != std::string::npos) return "video";
  if (k.find("audio") != std::string::npos) return "audio";
  if (k.find("image") != std::string::npos) return "image";
  return "file";
}

void collect_output_files(const std::string& node_id, const std::string& output_json, std::vector<output_file>& out) {
  if (too_deep(output_json)) return;
  rapidjson::Document doc;
  doc.Parse<parse_flags>(output_json.c_str(), output_json.size());
  if (doc.HasParseError()) return;
  collect_files(node_id, doc, out);
}

ws_frame parse_ws_text(const std::string& text) {
  if (too_deep(text)) return unknown_frame{"", "The frame nests JSON too deeply."};
  rapidjson::Document doc;
  doc.Parse<parse_flags>(text.c_str(), text.size());
  if (doc.HasParseError()) {
    return unknown_frame{"", std::string("The frame is not JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
                                 "."};
  }
  if (!doc.IsObject()) return unknown_frame{"", "The frame is not a JSON object."};
  const Value* type_v = member(doc, "type");
  if (!type_v || !type_v->IsString()) return unknown_frame{"", "The frame has no string \"type\"."};
  const std::string type = type_v->GetString();
  const Value* data_p = member(doc, "data");
  if (!data_p || !data_p->IsObject()) {
    return unknown_frame{type, "The \"" + type + "\" frame has no \"data\" object."};
  }
  const Value& data = *data_p;

  if (type == "status") {
    status_frame f;
    const Value* status = member(data, "status");
    const Value* exec_info = status ? member(*status, "exec_info") : nullptr;
    const Value* remaining = exec_info ? member(*exec_info, "queue_remaining") : nullptr;
    if (remaining && remaining->IsNumber()) f.queue_remaining = static_cast<int>(remaining->GetDouble());
    f.sid = str_of(member(data, "sid"));
    return f;
  }
  if (type == "execution_start") {
    return execution_start_frame{id_of(member(data, "prompt_id"))};
  }
  if (type == "execution_cached") {
    execution_cached_frame f;
    f.prompt_id = id_of(member(data, "prompt_id"));
    const Value* nodes = member(data, "nodes");
    if (nodes && nodes->IsArray()) {
      for (const auto& n : nodes->GetArray()) {
        if (auto id = id_of(&n)) f.nodes.push_back(*id);
      }
    }
    return f;
  }
  if (type == "executing") {
    executing_frame f;
    f.prompt_id = id_of(member(data, "prompt_id"));
    const Value* node = member(data, "node");
    if (node && !node->IsNull()) {
      f.node = id_of(node);
      if (!f.node) return unknown_frame{type, "The \"executing\" frame has a malformed \"node\"."};
    } else if (!node) {
      return unknown_frame{type, "The \"executing\" frame has no \"node\"."};
    }
    f.display_node = str_of(member(data, "display_node"));
    return f;
  }
  if (type == "progress") {
    progress_frame f;
    f.prompt_id = id_of(member(data, "prompt_id"));
    f.node = id_of(member(data, "node"));
    const Value* value = member(data, "value");
    const Value* max = member(data, "max");
    if (!value || !max || !value->IsNumber() || !max->IsNumber()) {
      return unknown_frame{type, "The \"progress\" frame lacks numeric \"value\" and \"max\"."};
    }
    f.value = value->GetDouble();
    f.max = max->GetDouble();
    return f;
  }
  if (type == "executed") {
    executed_frame f;
    f.prompt_id = id_of(member(data, "prompt_id"));
    auto node = id_of(member(data, "node"));
    if (!node) return unknown_frame{type, "The \"executed\" frame has no \"node\"."};
    f.node = *node;
    f.display_node = str_of(member(data, "display_node"));
    const Value* output = member(data, "output");
    if (output) {
      f.output_json = json::stringify(*output, /*nan_and_inf=*/true);
      collect_files(f.node, *output, f.files);
    } else {
      f.output_json = "null";
    }
    return f;
  }
  if (type == "execution_success") {
    return execution_success_frame{id_of(member(data, "prompt_id"))};
  }
  if (type == "execution_error") {
    return error_from(data);
  }
  if (type == "execution_interrupted") {
    return interrupted_from(data);
  }
  return unknown_frame{type, ""};
}

std::string frame_type(const ws_frame& frame) { return std::visit(type_visitor{}, frame); }

std::optional<std::string> frame_prompt_id(const ws_frame& frame) { return std::visit(prompt_id_visitor{}, frame); }

std::optional<prompt_end> ends_prompt(const ws_frame& frame, const std::string& prompt_id) {
  const auto id = frame_prompt_id(frame);
  const bool same = id && *id == prompt_id;
  if (std::holds_alternative<execution_success_frame>(frame) && same) return prompt_end::success;
  if (std::holds_alternative<execution_error_frame>(frame) && same) return prompt_end::error;
  if (std::holds_alternative<execution_interrupted_frame>(frame) && same) return prompt_end::interrupted;
  if (auto e = std::get_if<executing_frame>(&frame)) {
    if (!e->node && (same || !id)) return prompt_end::finished;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------

binary_kind classify_binary(std::string_view bytes) {
  if (bytes.size() < 4) return binary_kind::too_short;
  const auto b = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::uint32_t event = (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) |
                              std::uint32_t(b[3]);
  switch (event) {
    case 1: // PREVIEW_IMAGE
    case 2: // UNENCODED_PREVIEW_IMAGE (the server encodes it and sends 1; kept for safety)
      return binary_kind::preview_image;
    case 3: return binary_kind::text;
    case 4: return binary_kind::preview_image_with_metadata;
    default: return binary_kind::unknown;
  }
}

bool is_binary_preview(std::string_view bytes) {
  const auto k = classify_binary(bytes);
  return k == binary_kind::preview_image || k == binary_kind::preview_image_with_metadata;
}

// ---------------------------------------------------------------------------------------------

std::string prompt_answer::describe() const {
  if (accepted) return "";
  if (!parse_error.empty()) return parse_error;
  std::string s = "ComfyUI refused the prompt";
  std::string reason = one_line(error.message);
  // With node errors, the top-level details only repeat them (joined by newlines).
  if (node_errors.empty() && !error.details.empty()) {
    reason += reason.empty() ? one_line(error.details) : " (" + one_line(error.details) + ")";
  }
  if (!reason.empty()) s += ": " + reason;
  size_t shown = 0;
  for (const auto& ne : node_errors) {
    if (shown == 3) {
      s += "; and " + std::to_string(node_errors.size() - shown) + " more node(s)";
      break;
    }
    s += "; " + node_label(ne.node_id, ne.class_type);
    if (!ne.errors.empty()) {
      const auto& e = ne.errors.front();
      std::string what = one_line(e.message);
      if (!e.details.empty()) what += what.empty() ? one_line(e.details) : ": " + one_line(e.details);
      if (!what.empty()) s += ": " + shorten(what, 300);
    }
    ++shown;
  }
  return s + ".";
}

prompt_answer parse_prompt_answer(int http_status, const std::string& body) {
  prompt_answer a;
  rapidjson::Document doc;
  if (!too_deep(body)) doc.Parse<parse_flags>(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    a.parse_error = "ComfyUI answered /prompt with HTTP " + std::to_string(http_status) +
                    " and a body that is not a JSON object: '" + shorten(one_line(body), 120) + "'.";
    return a;
  }
  const Value* node_errors = member(doc, "node_errors");
  if (node_errors && node_errors->IsObject()) {
    for (auto m = node_errors->MemberBegin(); m != node_errors->MemberEnd(); ++m) {
      node_error ne;
      ne.node_id = m->name.GetString();
      ne.class_type = str_of(member(m->value, "class_type"));
      const Value* errors = member(m->value, "errors");
      if (errors && errors->IsArray()) {
        for (const auto& e : errors->GetArray()) ne.errors.push_back(detail_from(e));
      }
      a.node_errors.push_back(std::move(ne));
    }
  }
  const Value* error = member(doc, "error");
  auto prompt_id = id_of(member(doc, "prompt_id"));
  if (http_status >= 200 && http_status < 300 && prompt_id && !error) {
    a.accepted = true;
    a.prompt_id = *prompt_id;
    a.number = number_of(member(doc, "number"), 0);
    return a;
  }
  if (error) {
    a.error = detail_from(*error);
  } else if (http_status >= 200 && http_status < 300) {
    a.parse_error = "ComfyUI answered /prompt without a prompt_id.";
  } else {
    a.error.message = "HTTP " + std::to_string(http_status);
  }
  return a;
}

// ---------------------------------------------------------------------------------------------

bool history_entry::succeeded() const {
  if (!found || !parse_error.empty()) return false;
  if (!has_status) return true; // older servers write no status: written means finished
  return status_str == "success" && !error && !interrupted;
}

std::string history_entry::describe_failure() const {
  if (!parse_error.empty()) return parse_error;
  if (!found) return "ComfyUI has no history for prompt " + prompt_id + ".";
  if (succeeded()) return "";
  if (interrupted) {
    return "ComfyUI interrupted the prompt at " + node_label(interrupted->node_id, interrupted->node_type) + ".";
  }
  if (error) {
    std::string s = "ComfyUI failed the prompt at " + node_label(error->node_id, error->node_type);
    std::string what = one_line(error->exception_message);
    if (!error->exception_type.empty()) what = error->exception_type + (what.empty() ? "" : ": " + what);
    if (!what.empty()) s += ": " + shorten(what, 400);
    return s + ".";
  }
  return "ComfyUI reports status '" + status_str + "' for the prompt without an error message.";
}

history_entry parse_history(const std::string& body, const std::string& prompt_id) {
  history_entry h;
  h.prompt_id = prompt_id;
  rapidjson::Document doc;
  if (!too_deep(body)) doc.Parse<parse_flags>(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    h.parse_error = "ComfyUI answered /history with a body that is not a JSON object: '" +
                    shorten(one_line(body), 120) + "'.";
    return h;
  }
  const Value* entry = nullptr;
  if (!prompt_id.empty()) {
    entry = member(doc, prompt_id.c_str());
  } else if (doc.MemberCount() > 0) {
    entry = &doc.MemberBegin()->value;
    h.prompt_id = doc.MemberBegin()->name.GetString();
  }
  if (!entry) return h; // {} : not written yet
  if (!entry->IsObject()) {
    h.parse_error = "ComfyUI's history entry for prompt " + h.prompt_id + " is not an object.";
    return h;
  }
  h.found = true;

  const Value* outputs = member(*entry, "outputs");
  const Value* status = member(*entry, "status");
  if ((outputs && !outputs->IsObject() && !outputs->IsNull()) || (status && !status->IsObject() && !status->IsNull())) {
    h.parse_error = "ComfyUI's history entry for prompt " + h.prompt_id + " has malformed \"outputs\" or \"status\".";
    return h;
  }
  if (outputs && outputs->IsObject()) {
    for (auto m = outputs->MemberBegin(); m != outputs->MemberEnd(); ++m) {
      collect_files(m->name.GetString(), m->value, h.files);
    }
  }

  if (status && status->IsObject()) {
    h.has_status = true;
    h.status_str = str_of(member(*status, "status_str"));
    const Value* completed = member(*status, "completed");
    h.completed = completed && completed->IsBool() && completed->GetBool();
    const Value* messages = member(*status, "messages");
    if (messages && messages->IsArray()) {
      for (const auto& msg : messages->GetArray()) {
        // Each message is [event, data] (a Python tuple).
        if (!msg.IsArray() || msg.Size() < 1 || !msg[0].IsString()) continue;
        const std::string event = msg[0].GetString();
        h.message_types.push_back(event);
        if (msg.Size() < 2 || !msg[1].IsObject()) continue;
        if (event == "execution_error" && !h.error) h.error = error_from(msg[1]);
        if (event == "execution_interrupted" && !h.interrupted) h.interrupted = interrupted_from(msg[1]);
      }
    }
  } else {
    h.completed = true;
  }
  return h;
}

} // namespace mediagen::comfyui
