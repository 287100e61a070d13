#pragma once
// How gallery changes are answered on the wire (docs/API.md "Gallery"), as the Node server did:
// the media store hands over typed values (persistence/gallery_changes.hpp); the JSON and the
// sentences of refusals are written here.

#include <string>

#include "persistence/gallery_changes.hpp"

namespace mediagen {

/// The answer to an applied change: {success, data} with the entry (or the list) for an edit,
/// {success, deletedCount, message} for a delete, {list, current} for a folder change.
std::string change_answer_json(const gallery_change& change, const change_done& done);

/// Why a change was refused, in one sentence ("No entries with uids 4, 7.").
std::string change_refusal_sentence(const change_refusal& r);

} // namespace mediagen
