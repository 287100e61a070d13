#pragma once
// Answering GET with a file from disk, as /media and the static front end both do: a validator
// from its size and mtime, 304 when the client has it, else the file streamed in chunks.

#include <cstddef>
#include <fstream>
#include <memory>
#include <string>
#include <sys/stat.h>

#include <httplib.h>

namespace mediagen {

/// The file's ETag: its size and mtime in hex, quoted.
std::string file_etag(const struct stat& st);

/// Sets the ETag; when the client's If-None-Match holds it, answers 304 (no body, no ranges) and
/// returns true. Set Cache-Control before: a 304 carries it too.
bool answered_not_modified(const httplib::Request& req, httplib::Response& res, const std::string& etag);

/// Streams the open file from disk in 64 KiB chunks (a video need not fit in memory); httplib
/// asks for the requested ranges and answers 200, or 206 with Content-Range.
void stream_file(httplib::Response& res, std::shared_ptr<std::ifstream> file, std::size_t size,
                 const std::string& content_type);

} // namespace mediagen
