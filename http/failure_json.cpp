#include "http/failure_json.hpp"

#include "actors/errors.hpp"
#include "common/json.hpp"

namespace mediagen {

namespace {

void write_report(json::writer& w, const backend_error_report& r) {
  w.begin_object().field("type", r.type).field("message", r.message).field("details", r.details).end_object();
}

void write_prompt_refusal(json::writer& w, const backend_failure& f) {
  w.begin_object().key("error");
  write_report(w, f.error);
  w.key("node_errors").begin_object();
  for (auto& n : f.node_errors) {
    w.key(n.node).begin_object().field("class_type", n.type).key("errors").begin_array();
    for (auto& e : n.errors) write_report(w, e);
    w.end_array().end_object();
  }
  w.end_object().end_object();
}

void write_execution_error(json::writer& w, const backend_failure& f) {
  w.begin_object()
      .field("node_id", f.node_id)
      .field("node_type", f.node_type)
      .field("exception_type", f.exception_type)
      .field("exception_message", f.exception_message)
      .end_object();
}

} // namespace

std::string backend_failure_json(const backend_failure& f) {
  json::writer w;
  switch (f.kind) {
    case backend_failure_kind::none: return {};
    case backend_failure_kind::prompt_refused: write_prompt_refusal(w, f); break;
    case backend_failure_kind::execution_error: write_execution_error(w, f); break;
  }
  return w.str();
}

std::string failure_details_json(const caf::error& e) {
  auto* details = error_details(e);
  return details ? backend_failure_json(*details) : std::string();
}

} // namespace mediagen
