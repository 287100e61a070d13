#pragma once
// Conditions of replace rules and pre/post tasks (docs/WORKFLOWS.md "Conditions").

#include "common/json.hpp"

namespace mediagen {

/// Evaluates `condition` against the request data (a JSON object of fields).
/// A missing condition (nullptr) holds. An unknown condition shape does not hold.
bool condition_holds(const json::value* condition, const json::value& data);

/// JSON-value equality where a number equals its decimal text ("640" == 640).
bool loosely_equal(const json::value& a, const json::value& b);

/// Truthiness of a field value: absent, false, "", "false", 0 are false.
bool truthy(const json::value* v);

} // namespace mediagen
