#pragma once
// What a backend reported about a failure beyond its one sentence: ComfyUI's refusal of a
// prompt (/prompt answered 400 with `error` and `node_errors`) or the exception a node raised
// (an `execution_error` frame, or the same message in /history). Typed values, so actors never
// carry JSON text; http/backend_failure_json.cpp renders them as a task's `error.details`.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace mediagen {

/// Which report a failure carries.
enum class backend_failure_kind : std::uint8_t {
  none,            ///< only the sentence
  prompt_refused,  ///< ComfyUI refused the prompt: `error` and `node_errors`
  execution_error, ///< a node raised: `node_id`, `node_type`, `exception_type`, `exception_message`
};

/// One of ComfyUI's error reports: the prompt's `error`, or one entry of a node's `errors`.
struct backend_error_report {
  std::string type;
  std::string message;
  std::string details;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backend_error_report& x) {
  return f(caf::meta::type_name("backend_error_report"), x.type, x.message, x.details);
}

/// One node a prompt was refused for, in the order ComfyUI listed them.
struct backend_node_error {
  std::string node;                         ///< the graph's node id
  std::string type;                         ///< its class_type
  std::vector<backend_error_report> errors; ///< why, as ComfyUI said it
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backend_node_error& x) {
  return f(caf::meta::type_name("backend_node_error"), x.node, x.type, x.errors);
}

/// The backend's own report of a failure (the fields of its kind are set, the others empty).
struct backend_failure {
  backend_failure_kind kind = backend_failure_kind::none;
  backend_error_report error;                  ///< prompt_refused
  std::vector<backend_node_error> node_errors; ///< prompt_refused
  std::string node_id;                         ///< execution_error: the node that raised
  std::string node_type;                       ///< execution_error
  std::string exception_type;                  ///< execution_error
  std::string exception_message;               ///< execution_error

  bool empty() const { return kind == backend_failure_kind::none; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backend_failure& x) {
  return f(caf::meta::type_name("backend_failure"), x.kind, x.error, x.node_errors, x.node_id, x.node_type,
           x.exception_type, x.exception_message);
}

} // namespace mediagen
