#include "http/task_routes.hpp"

#include "http/actor_calls.hpp"
#include "http/request_body.hpp"
#include "http/responses.hpp"
#include "http/sse_stream.hpp"
#include "http/timed_route.hpp"

namespace mediagen {

void cancel_task(http_context& ctx, const std::string& task_id, httplib::Response& res) {
  std::string error;
  auto status = ask<int>(ctx.sys, ctx.supervisor, std::chrono::seconds(10), error, atom::cancel::value, task_id);
  if (!status) return send_error(res, 500, "The cancellation could not be requested (" + error + ").");
  if (*status == 202) return send_json(res, 202, "{\"success\":true,\"message\":\"Cancellation requested\"}");
  if (*status == 409) return send_error(res, 409, "Task '" + task_id + "' has already ended.");
  send_error(res, 404, "Task '" + task_id + "' not found.");
}

void add_task_routes(route_table& svr, http_context& ctx) {
  svr.Get(R"(/tasks/([^/]+))", timed(ctx, "task_status", [&ctx](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.matches[1];
    if (!plausible_task_id(id)) return send_error(res, 404, "Task not found.");
    std::string error;
    auto status = ask<std::string>(ctx.sys, ctx.supervisor, std::chrono::seconds(10), error, atom::get::value, id);
    if (!status) return send_error(res, 500, "The task's status could not be read (" + error + ").");
    if (status->empty()) return send_error(res, 404, "Task '" + id + "' not found.");
    send_json(res, 200, *status);
  }));

  svr.Delete(R"(/tasks/([^/]+))", timed(ctx, "task_cancel", [&ctx](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.matches[1];
    if (!plausible_task_id(id)) return send_error(res, 404, "Task not found.");
    cancel_task(ctx, id, res);
  }));

  svr.Get("/generation/tasks/active", timed(ctx, "tasks_active", [&ctx](const httplib::Request&, httplib::Response& res) {
    std::string error;
    auto list = ask<std::string>(ctx.sys, ctx.supervisor, std::chrono::seconds(10), error, atom::list::value);
    if (!list) return send_error(res, 500, "The task list could not be read (" + error + ").");
    send_json(res, 200, *list);
  }));

  svr.Get(R"(/progress/([^/]+))", timed(ctx, "progress", [&ctx](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.matches[1];
    if (!plausible_task_id(id)) return send_error(res, 404, "Task not found.");
    stream_task_events(ctx, id, req, res);
  }));
}

} // namespace mediagen
