#pragma once
// POST /upload/image and /upload/audio: a client's own file, stored as a new gallery entry.
// Validation only (pure, writes nothing); the HTTP layer stores the file and starts the task.

#include <map>
#include <string>
#include <vector>

#include "generation/generation_request.hpp"

namespace mediagen {

/// The workflow name an uploaded entry carries (the Node server's): "Uploaded Image" / "Uploaded Audio".
std::string upload_workflow_name(const std::string& what);

/// A file part as the multipart body brought it.
struct upload_part {
  std::string field;
  std::string filename; ///< the client's name (only used for a default entry name)
  const std::string* bytes = nullptr;
};

/// Checks an upload of `what` ("image" or "audio"): exactly one file part named `what`, non-empty,
/// whose bytes are an image (PNG, JPEG, WebP) or an audio file (WAV, MP3, OGG, FLAC) whatever its
/// name says; the optional text fields name, prompt, description, summary, tags (a JSON list or
/// comma-separated), and for audio origin (a uid) and clips (a JSON array). On success the request
/// has `upload` set, one entry in `files` (not yet stored) and the entry's fields; otherwise a
/// 4xx status and one sentence.
validation_result validate_upload(const std::string& what, const std::map<std::string, std::string>& fields,
                                  const std::vector<upload_part>& parts);

/// "landscape", "portrait" or "square" from a PNG's or JPEG's header; "" when it cannot tell.
std::string image_orientation(const std::string& bytes);

} // namespace mediagen
