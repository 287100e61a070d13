#include "http/media_routes.hpp"

#include <fstream>
#include <memory>
#include <sys/stat.h>

#include "http/file_answer.hpp"
#include "http/request_body.hpp"
#include "http/responses.hpp"
#include "http/status_codes.hpp"
#include "http/timed_route.hpp"

namespace mediagen {

std::string media_content_type(const std::string& name) {
  auto dot = name.rfind('.');
  std::string ext = dot == std::string::npos ? "" : name.substr(dot + 1);
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "webp") return "image/webp";
  if (ext == "gif") return "image/gif";
  if (ext == "mp4") return "video/mp4";
  if (ext == "webm") return "video/webm";
  if (ext == "mp3") return "audio/mpeg";
  if (ext == "wav") return "audio/wav";
  if (ext == "ogg") return "audio/ogg";
  if (ext == "flac") return "audio/flac";
  return "application/octet-stream";
}

namespace {

// Whether every range of a "bytes=a-b, c-, -n" header can be served from `size` bytes.
bool ranges_satisfiable(const std::string& header, std::uint64_t size) {
  if (header.rfind("bytes=", 0) != 0) return false;
  std::size_t pos = 6;
  while (pos <= header.size()) {
    auto comma = header.find(',', pos);
    std::string spec = header.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    spec.erase(0, spec.find_first_not_of(' '));
    spec.erase(spec.find_last_not_of(' ') + 1);
    auto dash = spec.find('-');
    if (dash == std::string::npos || spec.size() > 41) return false;
    std::string first = spec.substr(0, dash), last = spec.substr(dash + 1);
    auto digits = [](const std::string& t) {
      return !t.empty() && t.find_first_not_of("0123456789") == std::string::npos;
    };
    if (first.empty()) {
      if (!digits(last) || std::stoull(last) == 0 || size == 0) return false; // suffix "-n"
    } else {
      if (!digits(first) || std::stoull(first) >= size) return false;
      if (!last.empty() && (!digits(last) || std::stoull(last) < std::stoull(first))) return false;
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return true;
}

void serve_file(http_context& ctx, const httplib::Request& req, httplib::Response& res) {
  // (The error handler drops the ranges of error answers, so they reach the client whole.)
  auto refuse = [&](int status, const std::string& message) { send_error(res, status, message); };
  std::string name = req.matches[1];
  auto path = ctx.outputs->resolve(name);
  if (!path) return refuse(storage::plain_name(name) ? 404 : 400, "No such media file.");
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0) return refuse(404, "No such media file.");
  if (req.has_header("Range") &&
      !ranges_satisfiable(req.get_header_value("Range"), static_cast<std::uint64_t>(st.st_size))) {
    res.set_header("Content-Range", "bytes */" + std::to_string(st.st_size));
    return refuse(416, "The requested range is not satisfiable.");
  }
  res.set_header("Cache-Control", "public, max-age=31536000, immutable");
  if (answered_not_modified(req, res, file_etag(st))) return;
  auto file = std::make_shared<std::ifstream>(*path, std::ios::binary);
  if (!*file) return refuse(404, "No such media file.");
  stream_file(res, std::move(file), static_cast<std::size_t>(st.st_size), media_content_type(name));
}

constexpr std::int64_t default_page_size = 10;

void gallery(http_context& ctx, const httplib::Request& req, httplib::Response& res) {
  gallery_query q;
  q.text = req.get_param_value("query");
  q.tags = req.get_param_value("tags");
  q.limit = default_page_size; // the Node server's page, which its clients expect without `limit`
  // The Node server's folder rule: `folder=` ("" is Unsorted) or else the current folder.
  q.by_folder = true;
  q.folder = req.has_param("folder") ? req.get_param_value("folder") : ctx.gallery->folders()->current;
  if (req.has_param("limit")) {
    std::int64_t limit;
    if (!parse_count(req.get_param_value("limit"), limit))
      return send_error(res, 400, "limit must be a non-negative integer.");
    q.limit = limit;
  }
  if (req.has_param("offset")) {
    std::int64_t offset;
    if (!parse_count(req.get_param_value("offset"), offset))
      return send_error(res, 400, "offset must be a non-negative integer.");
    q.offset = offset;
  }
  if (req.has_param("sort")) {
    auto sort = req.get_param_value("sort");
    if (sort != "ascending" && sort != "descending")
      return send_error(res, 400, "sort must be ascending or descending.");
    q.ascending = sort == "ascending";
  }
  // Read from the last published snapshot: a commit under way never delays a query.
  send_json(res, 200, ctx.gallery->current()->query(q));
}

void one_entry(http_context& ctx, const httplib::Request& req, httplib::Response& res) {
  std::int64_t uid;
  if (!parse_count(req.matches[1], uid)) return send_error(res, 400, "uid must be a non-negative integer.");
  auto entry = ctx.gallery->current()->find(uid);
  if (!entry) return send_error(res, 404, "No entry with uid " + std::to_string(uid) + ".");
  send_json(res, 200, *entry);
}

void workflows(http_context& ctx, httplib::Response& res) {
  json::document out(rapidjson::kArrayType);
  auto& a = out.GetAllocator();
  bool comfyui = ctx.comfyui_configured;
  for (auto& wf : ctx.catalog->all()) {
    if (wf.hidden) continue;
    json::value item(rapidjson::kObjectType);
    item.AddMember("name", json::str(wf.name, a), a);
    item.AddMember("type", json::str(wf.type, a), a);
    if (auto* opts = wf.options())
      for (auto& m : opts->GetObject())
        if (!item.HasMember(m.name)) item.AddMember(json::value(m.name, a), json::value(m.value, a), a);
    item.AddMember("backend", json::str(wf.backend, a), a);
    item.AddMember("available", wf.backend == "builtin" || comfyui, a);
    out.PushBack(item, a);
  }
  send_json(res, 200, json::stringify(out));
}

} // namespace

void add_media_routes(route_table& svr, http_context& ctx) {
  svr.Get(R"(/media/(.+))", timed(ctx, "media", [&ctx](const httplib::Request& req, httplib::Response& res) {
            serve_file(ctx, req, res);
          }));
  svr.Get("/media-data", timed(ctx, "gallery", [&ctx](const httplib::Request& req, httplib::Response& res) {
            gallery(ctx, req, res);
          }));
  svr.Get(R"(/media-data/([^/]+))",
          timed(ctx, "gallery_entry",
                [&ctx](const httplib::Request& req, httplib::Response& res) { one_entry(ctx, req, res); }));
  svr.Get("/workflows",
          timed(ctx, "workflows", [&ctx](const httplib::Request&, httplib::Response& res) { workflows(ctx, res); }));
}

} // namespace mediagen
