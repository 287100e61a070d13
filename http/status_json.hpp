#pragma once
// How actor statuses (actors/protocol.hpp `actor_status`) look in GET /debug/actors: one flat
// object per actor, its figures under docs/API.md's camelCase names.

#include <string>

#include "actors/protocol.hpp"

namespace mediagen {

/// One actor's status object. A pool's instances are not included: they are entries of their own.
std::string actor_status_json(const actor_status& s);

/// For an actor that did not answer: {kind, state: "unreachable", error}.
std::string unreachable_status_json(const std::string& kind, const std::string& error);

} // namespace mediagen
