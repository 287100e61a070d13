#include "http/task_routes.hpp"

#include "http/actor_calls.hpp"
#include "http/request_body.hpp"
#include "http/responses.hpp"
#include "http/sse_stream.hpp"
#include "http/status_codes.hpp"
#include "http/task_json.hpp"
#include "http/timed_route.hpp"
#include "http/webhook_json.hpp"

namespace mediagen {

namespace {

// The task's JSON, with its webhook deliveries when it has any (the webhook actor keeps them).
std::string with_webhook(http_context& ctx, const task_snapshot& task) {
  auto text = task_json(task);
  if (!ctx.webhooks || ctx.config.webhook_hosts.empty()) return text;
  auto deliveries = ask<std::vector<webhook_delivery>>(ctx.sys, ctx.webhooks, std::chrono::seconds(5), atom::get::value,
                                                       task.task_id);
  if (!deliveries || deliveries->empty()) return text;
  return with_member(std::move(text), "webhook", webhook_deliveries_json(*deliveries));
}

} // namespace

void cancel_task(http_context& ctx, const std::string& task_id, httplib::Response& res) {
  auto ok = ask<atom::ok>(ctx.sys, ctx.supervisor, std::chrono::seconds(10), atom::cancel::value, task_id);
  if (!ok) return send_actor_error(res, ctx.sys, ok.error(), "The cancellation could not be requested");
  send_json(res, 202, "{\"success\":true,\"message\":\"Cancellation requested\"}");
}

void add_task_routes(route_table& svr, http_context& ctx) {
  svr.Get(R"(/tasks/([^/]+))", timed(ctx, "task_status", [&ctx](const httplib::Request& req, httplib::Response& res) {
            std::string id = req.matches[1];
            if (!plausible_task_id(id)) return send_error(res, 404, "Task not found.");
            auto task = ask<task_snapshot>(ctx.sys, ctx.supervisor, std::chrono::seconds(10), atom::get::value, id);
            if (!task) return send_actor_error(res, ctx.sys, task.error(), "The task's status could not be read");
            send_json(res, 200, with_webhook(ctx, *task));
          }));

  svr.Delete(R"(/tasks/([^/]+))",
             timed(ctx, "task_cancel", [&ctx](const httplib::Request& req, httplib::Response& res) {
               std::string id = req.matches[1];
               if (!plausible_task_id(id)) return send_error(res, 404, "Task not found.");
               cancel_task(ctx, id, res);
             }));

  svr.Get("/generation/tasks/active",
          timed(ctx, "tasks_active", [&ctx](const httplib::Request&, httplib::Response& res) {
            auto tasks = ask<std::vector<task_snapshot>>(ctx.sys, ctx.supervisor, std::chrono::seconds(10),
                                                         atom::list::value);
            if (!tasks) return send_actor_error(res, ctx.sys, tasks.error(), "The task list could not be read");
            send_json(res, 200, active_tasks_json(*tasks));
          }));

  svr.Get(R"(/progress/([^/]+))", timed(ctx, "progress", [&ctx](const httplib::Request& req, httplib::Response& res) {
            std::string id = req.matches[1];
            if (!plausible_task_id(id)) return send_error(res, 404, "Task not found.");
            stream_task_events(ctx, id, req, res);
          }));
}

} // namespace mediagen
