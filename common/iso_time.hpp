#pragma once
// Wall-clock formatting used in events, results and the gallery.

#include <chrono>
#include <string>

namespace mediagen {

/// "2026-11-23T12:00:00.000Z" (UTC, milliseconds), as JavaScript's toISOString.
std::string iso_timestamp(std::chrono::system_clock::time_point t);

inline std::string iso_now() { return iso_timestamp(std::chrono::system_clock::now()); }

} // namespace mediagen
