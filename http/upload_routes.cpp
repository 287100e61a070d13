#include "http/upload_routes.hpp"

#include <cctype>
#include <map>

#include "actors/supervisor_actor.hpp"
#include "generation/upload_request.hpp"
#include "http/actor_calls.hpp"
#include "http/responses.hpp"
#include "http/status_codes.hpp"
#include "http/task_json.hpp"
#include "http/timed_route.hpp"

namespace mediagen {

namespace {

bool is_multipart(const httplib::Request& req) {
  std::string type = req.get_header_value("Content-Type");
  const std::string want = "multipart/form-data";
  if (type.size() < want.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(type[i])) != want[i]) return false;
  return true;
}

// Checks the upload, keeps its file in inputs/ and starts its task; every refusal answers before
// anything is written, and a file kept for a task that is not started is removed again.
void upload(http_context& ctx, const std::string& what, const httplib::Request& req, httplib::Response& res) {
  if (!ctx.accepting) return send_error(res, 503, "The server is shutting down.");
  if (!is_multipart(req))
    return send_error(res, 415, "The body must be multipart/form-data with the file part '" + what + "'.");
  std::map<std::string, std::string> fields;
  std::vector<upload_part> parts;
  for (auto& [name, part] : req.files) {
    if (!part.filename.empty()) {
      parts.push_back(upload_part{name, part.filename, &part.content});
      continue;
    }
    if (!json::valid_utf8(part.content)) return send_error(res, 400, "Field '" + name + "' is not valid UTF-8.");
    fields[name] = part.content;
  }
  auto v = validate_upload(what, fields, parts);
  if (!v.ok) return send_error(res, v.status, v.error);
  auto& request = v.request;
  auto& file = request.files.front();
  try {
    file.stored_name = ctx.inputs->save_new("input", file.kind == "jpeg" ? "jpg" : file.kind, *parts.front().bytes);
  } catch (const std::exception& e) {
    return send_error(res, 500, std::string("The upload could not be stored (") + e.what() + ").");
  }
  // The id is fixed here, as for a generation; the supervisor starts the task under it or not at all.
  request.task_id = random_task_id();
  auto id = ask<std::string>(ctx.sys, ctx.supervisor, std::chrono::seconds(10), atom::start::value, request);
  if (!id) {
    ctx.inputs->remove(file.stored_name);
    return send_actor_error(res, ctx.sys, id.error(), "The upload task could not be started");
  }
  // 200, as the Node server answered; the client follows the task on /progress/:taskId.
  send_json(res, 200, task_created_json(*id, "Upload task created"));
}

} // namespace

void add_upload_routes(route_table& svr, http_context& ctx) {
  svr.Post("/upload/image", timed(ctx, "upload_image", [&ctx](const httplib::Request& req, httplib::Response& res) {
             upload(ctx, "image", req, res);
           }));
  svr.Post("/upload/audio", timed(ctx, "upload_audio", [&ctx](const httplib::Request& req, httplib::Response& res) {
             upload(ctx, "audio", req, res);
           }));
}

} // namespace mediagen
