#include "http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sys/stat.h>

#include "http/file_answer.hpp"
#include "http/responses.hpp"
#include "http/timed_route.hpp"

namespace fs = std::filesystem;

namespace mediagen {

std::string static_content_type(const std::string& path) {
  auto dot = path.rfind('.');
  std::string ext = dot == std::string::npos ? "" : path.substr(dot + 1);
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Module scripts (.mjs) are refused by browsers under any type but a JavaScript one.
  if (ext == "html" || ext == "htm") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "woff2") return "font/woff2";
  if (ext == "woff") return "font/woff";
  if (ext == "ttf") return "font/ttf";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "webp") return "image/webp";
  if (ext == "gif") return "image/gif";
  if (ext == "ico") return "image/x-icon";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "wasm") return "application/wasm";
  if (ext == "mp3") return "audio/mpeg";
  if (ext == "wav") return "audio/wav";
  return "application/octet-stream";
}

std::optional<std::string> static_file_for(const std::string& root, const std::string& request_path) {
  // httplib has already percent-decoded the path: check each segment as the file system sees it.
  if (request_path.empty() || request_path[0] != '/' || request_path.find('\0') != std::string::npos ||
      request_path.find('\\') != std::string::npos)
    return std::nullopt;
  fs::path relative;
  std::size_t at = 1;
  while (at <= request_path.size()) {
    auto end = request_path.find('/', at);
    if (end == std::string::npos) end = request_path.size();
    std::string segment = request_path.substr(at, end - at);
    at = end + 1;
    if (segment.empty()) continue;
    if (segment[0] == '.') return std::nullopt; // "..", ".", ".git", ".env"
    relative /= segment;
  }
  std::error_code ec;
  fs::path candidate = fs::path(root) / relative;
  if (fs::is_directory(candidate, ec)) candidate /= "index.html";
  // A link may point anywhere: what counts is where it resolves.
  fs::path real = fs::canonical(candidate, ec);
  if (ec || !fs::is_regular_file(real, ec)) return std::nullopt;
  auto real_text = real.string();
  if (real_text.compare(0, root.size(), root) != 0 || (real_text.size() > root.size() && real_text[root.size()] != '/'))
    return std::nullopt;
  return real_text;
}

void add_static_routes(route_table& svr, http_context& ctx) {
  if (ctx.config.static_dir.empty()) return;
  std::error_code ec;
  auto root = fs::canonical(ctx.config.static_dir, ec).string();
  if (ec) root = ctx.config.static_dir; // checked at start-up; gone since: every file is 404
  svr.Get(R"(/.*)", timed(ctx, "static", [root](const httplib::Request& req, httplib::Response& res) {
            auto file = static_file_for(root, req.path);
            if (!file) return send_error(res, 404, "No such file or route: " + req.path + ".");
            struct stat st {};
            if (::stat(file->c_str(), &st) != 0)
              return send_error(res, 404, "No such file or route: " + req.path + ".");
            // A front end changes with each deployment under the same names: revalidate every time
            // (a 304 costs one round trip, no body).
            res.set_header("Cache-Control", "no-cache");
            if (answered_not_modified(req, res, file_etag(st))) return;
            auto in = std::make_shared<std::ifstream>(*file, std::ios::binary);
            if (!*in) return send_error(res, 404, "No such file or route: " + req.path + ".");
            stream_file(res, std::move(in), static_cast<std::size_t>(st.st_size), static_content_type(*file));
          }));
}

} // namespace mediagen
