#pragma once
// Uploaded files: what their bytes are (whatever their name or declared type says), and how
// they are named for replace rules.

#include <cstdint>
#include <string>
#include <vector>

namespace mediagen {

/// "png", "jpeg", "webp", "mp3", "ogg", "wav", "flac", or "" when the bytes are none of these
/// (or are cut short: a PNG without its IEND chunk, a JPEG without its end marker).
std::string sniff_file_kind(const std::string& bytes);

bool is_image_kind(const std::string& kind);
bool is_audio_kind(const std::string& kind);

/// A file a request brought, once stored in the inputs folder.
struct input_file {
  std::string field;       ///< image_0, audio_0, image, mask
  std::string kind;        ///< as sniffed
  std::string stored_name; ///< the server's name in <data-dir>/inputs (never the client's)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, input_file& x) {
  return f(x.field, x.kind, x.stored_name);
}

/// The replace field a file's name is known by: image_0 → image_0_filename, mask → mask_filename.
std::string filename_field(const std::string& field);

} // namespace mediagen
