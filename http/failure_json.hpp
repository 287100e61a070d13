#pragma once
// A failure's `details` on the wire (docs/API.md "Errors"): the backend's typed report
// (actors/backend_failure.hpp) as ComfyUI worded it — a refused prompt as
// {"error": {type, message, details}, "node_errors": {"<node>": {class_type, errors: [...]}}}, an
// execution error as {node_id, node_type, exception_type, exception_message}.

#include <string>

#include <caf/error.hpp>

#include "actors/backend_failure.hpp"

namespace mediagen {

/// The report as its JSON object ("" for a report of kind none).
std::string backend_failure_json(const backend_failure& f);

/// The details of a failure as JSON ("" when the error carries none).
std::string failure_details_json(const caf::error& e);

} // namespace mediagen
