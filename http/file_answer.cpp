#include "http/file_answer.hpp"

#include <algorithm>
#include <cstdio>

namespace mediagen {

std::string file_etag(const struct stat& st) {
  char etag[64];
  std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(st.st_mtime));
  return etag;
}

bool answered_not_modified(const httplib::Request& req, httplib::Response& res, const std::string& etag) {
  res.set_header("ETag", etag);
  if (req.get_header_value("If-None-Match") != etag) return false;
  // httplib would otherwise answer the Range of a 304 with 206.
  const_cast<httplib::Request&>(req).ranges.clear();
  res.status = 304;
  return true;
}

void stream_file(httplib::Response& res, std::shared_ptr<std::ifstream> file, std::size_t size,
                 const std::string& content_type) {
  res.set_content_provider(size, content_type.c_str(),
                           [file](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             char chunk[64 * 1024];
                             file->seekg(static_cast<std::streamoff>(offset));
                             std::size_t n = std::min(length, sizeof chunk);
                             file->read(chunk, static_cast<std::streamsize>(n));
                             auto got = static_cast<std::size_t>(file->gcount());
                             return got > 0 && sink.write(chunk, got);
                           });
}

} // namespace mediagen
