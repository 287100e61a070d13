#pragma once
// How urgent a generation is. Backends run higher priorities first and each priority in arrival
// order (docs/API.md "Priority").

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace mediagen {

/// A sync request (a client holds its connection) defaults to high, anything else to normal.
enum class task_priority : std::uint8_t { high, normal, low };

/// How many priorities there are; `rank` numbers them 0 (high) .. priority_levels - 1 (low).
constexpr std::size_t priority_levels = 3;
constexpr std::size_t rank(task_priority p) { return static_cast<std::size_t>(p); }

/// "high", "normal", "low".
const char* to_string(task_priority p);

/// The priority a client named, or none when `text` is not one of the three names.
std::optional<task_priority> parse_priority(const std::string& text);

} // namespace mediagen
