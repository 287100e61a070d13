#pragma once
// ComfyUI's live preview images, as they arrive in binary WebSocket frames (server.py
// `send_image`, `send_image_with_metadata`, `encode_bytes`). Every binary frame starts with a
// 4-byte big-endian event type; the preview events then carry:
//   1 PREVIEW_IMAGE               4-byte big-endian image format (1 JPEG, 2 PNG), then the file
//   2 UNENCODED_PREVIEW_IMAGE     never on the wire (the server encodes it and sends 1); read as 1
//   4 PREVIEW_IMAGE_WITH_METADATA 4-byte big-endian metadata length, that much JSON
//                                 ({"node_id", "prompt_id", "display_node_id", ..., "image_type":
//                                 "image/jpeg"|"image/png"}), then the file
// Type 3 (progress text) and unknown types are not previews. Frames 1/2 name no prompt: they
// belong to the prompt the instance runs now, as ComfyUI's own front end assumes.
// Pure parsing, no I/O, no exceptions.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mediagen::comfyui {

struct preview_frame {
  std::string mime;                     ///< "image/jpeg" or "image/png"
  std::string image;                    ///< the image file's bytes (checked to start with its magic)
  std::optional<std::string> prompt_id; ///< from type 4's metadata; absent for types 1 and 2
};

enum class preview_status {
  ok,
  not_preview, ///< a binary event that is no preview (text, unknown, shorter than 4 bytes)
  oversized,   ///< more than the caller's limit: dropped before anything is copied
  malformed,   ///< a preview event whose header, metadata or image does not hold together
};

struct preview_result {
  preview_status status = preview_status::not_preview;
  preview_frame frame; ///< ok only
};

/// Reads one binary frame. Frames longer than `max_bytes` are refused as `oversized` unread.
preview_result parse_preview_frame(std::string_view bytes, std::size_t max_bytes);

} // namespace mediagen::comfyui
