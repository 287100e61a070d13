#include "http/ops_routes.hpp"

#include <sstream>

#include "common/json.hpp"
#include "http/actor_calls.hpp"
#include "http/process_metrics.hpp"
#include "http/responses.hpp"
#include "http/status_json.hpp"
#include "http/timed_route.hpp"

namespace mediagen {

namespace {

constexpr auto status_timeout = std::chrono::seconds(5);

template <class Handle>
caf::expected<actor_status> status_of(http_context& ctx, const Handle& h) {
  return ask<actor_status>(ctx.sys, h, status_timeout, atom::status::value);
}

/// A unit that runs jobs: the builtin backend, or one ComfyUI instance of a pool.
struct backend_unit {
  std::string name;
  backend_figures figures;
};

// Each backend unit with its figures: a pool is reported by its instances, named by their ids.
// A backend that does not answer counts as unhealthy with an empty queue.
std::vector<backend_unit> backend_units(http_context& ctx) {
  std::vector<backend_unit> out;
  for (auto& b : ctx.backends) {
    auto status = status_of(ctx, b.handle);
    if (!status) {
      backend_unit unit{b.name, {}};
      unit.figures.healthy = false;
      out.push_back(std::move(unit));
      continue;
    }
    auto add = [&](const actor_status& s, const std::string& name) {
      auto* f = caf::get_if<backend_figures>(&s.figures);
      out.push_back(backend_unit{name, f ? *f : backend_figures{}});
    };
    if (status->parts.empty()) add(*status, b.name);
    for (auto& part : status->parts) add(part, part.id.empty() ? b.name : part.id);
  }
  return out;
}

template <class Figures, class Handle>
Figures figures_of(http_context& ctx, const Handle& h) {
  auto status = status_of(ctx, h);
  if (!status) return Figures{};
  auto* f = caf::get_if<Figures>(&status->figures);
  return f ? *f : Figures{};
}

// Every actor's status as one JSON object: {"actors": [...]} (GET /debug/actors).
std::string all_actors(http_context& ctx) {
  std::vector<std::string> entries;
  auto add = [&](const caf::expected<actor_status>& s, const char* kind) {
    if (!s) return entries.push_back(unreachable_status_json(kind, ctx.sys.render(s.error())));
    entries.push_back(actor_status_json(*s));
    for (auto& part : s->parts) entries.push_back(actor_status_json(part));
  };
  add(status_of(ctx, ctx.supervisor), "supervisor");
  add(status_of(ctx, ctx.hub), "sse_hub");
  add(status_of(ctx, ctx.store), "media_store");
  if (ctx.webhooks) add(status_of(ctx, ctx.webhooks), "webhooks");
  for (auto& b : ctx.backends) add(status_of(ctx, b.handle), "backend");
  auto tasks = ask<std::vector<actor_status>>(ctx.sys, ctx.supervisor, status_timeout, atom::list::value,
                                              atom::status::value);
  if (tasks)
    for (auto& t : *tasks) entries.push_back(actor_status_json(t));
  json::writer w;
  w.begin_object().key("actors").begin_array();
  for (auto& e : entries) w.raw(e);
  return w.end_array().end_object().str();
}

std::string status_document(http_context& ctx) {
  json::writer w;
  w.begin_object().key("backends").begin_object();
  // The Node server's readiness fields, which its loading page polls: ComfyUI is ready when an
  // instance is healthy; Ollama never is, since no LLM task runs here.
  bool comfyui_ready = false;
  for (auto& unit : backend_units(ctx)) {
    if (unit.name != "builtin" && unit.figures.healthy) comfyui_ready = true;
    w.key(unit.name).begin_object().field("healthy", unit.figures.healthy).field("queue", unit.figures.queue());
    if (!unit.figures.url.empty()) w.field("url", unit.figures.url);
    w.end_object();
  }
  auto sup = figures_of<supervisor_figures>(ctx, ctx.supervisor);
  w.end_object().key("tasks").begin_object().field("queued", sup.queued).field("running", sup.running).end_object();
  w.field("comfyui", comfyui_ready).field("ollama", false);
  return w.end_object().str();
}

std::string metrics_text(http_context& ctx) {
  std::ostringstream out;
  out << ctx.stats.http_text();
  auto sup = figures_of<supervisor_figures>(ctx, ctx.supervisor);
  out << "# HELP mediagen_tasks Tasks by state (live: queued, running; ended: totals since start).\n"
      << "# TYPE mediagen_tasks gauge\n";
  std::pair<const char*, std::uint64_t> by_state[] = {{"queued", sup.queued},       {"running", sup.running},
                                                      {"completed", sup.completed}, {"failed", sup.failed},
                                                      {"cancelled", sup.cancelled}, {"refused", sup.refused}};
  for (auto& [state, n] : by_state) out << "mediagen_tasks{state=\"" << state << "\"} " << n << "\n";
  write_metric(out, "mediagen_queue_depth", "Tasks waiting to run.", static_cast<double>(sup.queued));
  write_metric(out, "mediagen_idempotent_repeats_total",
               "Generation requests answered with the task their idempotency key already named.",
               static_cast<double>(sup.repeats), "counter");
  auto hub = figures_of<sse_hub_figures>(ctx, ctx.hub);
  write_metric(out, "mediagen_sse_subscribers", "Open SSE streams.", static_cast<double>(hub.subscribers));
  write_metric(out, "mediagen_sse_dropped_slow_total", "SSE subscribers the hub cut off because their queue was full.",
               static_cast<double>(hub.dropped_slow), "counter");
  write_metric(out, "mediagen_sse_previews_total", "Live previews the SSE hub fanned out (not kept in event logs).",
               static_cast<double>(hub.previews_published), "counter");
  auto& conns = ctx.connections;
  write_metric(out, "mediagen_http_connections_open", "Client connections open, in any phase.",
               static_cast<double>(conns.open.load()));
  write_metric(out, "mediagen_http_connections_idle", "Keep-alive connections waiting in the event loop.",
               static_cast<double>(conns.idle.load()));
  write_metric(out, "mediagen_http_sse_streams", "SSE streams the event loop is writing.",
               static_cast<double>(conns.streams.load()));
  write_metric(out, "mediagen_http_connections_accepted_total", "Client connections accepted.",
               static_cast<double>(conns.accepted.load()), "counter");
  write_metric(out, "mediagen_http_sse_streams_dropped_total",
               "SSE streams closed because their client stopped reading (queue full or write timeout).",
               static_cast<double>(conns.streams_dropped.load()), "counter");
  write_metric(out, "mediagen_http_workers", "HTTP worker threads alive.", static_cast<double>(conns.workers.load()));
  write_metric(out, "mediagen_http_workers_busy", "HTTP worker threads serving a request.",
               static_cast<double>(conns.workers_busy.load()));
  auto store = figures_of<media_store_figures>(ctx, ctx.store);
  write_metric(out, "mediagen_media_store_commits_total", "Commits: durable appends to the gallery journal.",
               static_cast<double>(store.commits), "counter");
  write_metric(out, "mediagen_media_store_entries_committed_total", "Entries made durable.",
               static_cast<double>(store.entries_committed), "counter");
  write_metric(out, "mediagen_media_store_commit_seconds_total", "Time spent committing.", store.total_commit_ms / 1000,
               "counter");
  write_metric(out, "mediagen_media_store_last_commit_seconds", "Duration of the last commit.",
               store.last_commit_ms / 1000);
  // Zero when webhooks are off (no webhookHosts): the families exist either way.
  auto hooks = ctx.webhooks ? figures_of<webhook_figures>(ctx, ctx.webhooks) : webhook_figures{};
  write_metric(out, "mediagen_webhooks_pending", "Webhook messages not yet delivered nor failed for good.",
               static_cast<double>(hooks.pending));
  write_metric(out, "mediagen_webhooks_delivered_total", "Webhook messages a receiver took (2xx).",
               static_cast<double>(hooks.delivered), "counter");
  write_metric(out, "mediagen_webhooks_failed_total", "Webhook messages given up: refused (4xx) or out of attempts.",
               static_cast<double>(hooks.failed), "counter");
  write_metric(out, "mediagen_webhooks_retried_total", "Webhook attempts that failed and were scheduled again.",
               static_cast<double>(hooks.retried), "counter");
  // Per unit: its queue, and its round trips (one job, from reaching the backend to its end).
  std::ostringstream queue, trips, seconds;
  for (auto& unit : backend_units(ctx)) {
    std::string label = "{backend=\"" + unit.name + "\"} ";
    queue << "mediagen_backend_queue" << label << unit.figures.queue() << "\n";
    trips << "mediagen_backend_round_trips_total" << label << unit.figures.finished() << "\n";
    seconds << "mediagen_backend_round_trip_seconds_total" << label << unit.figures.round_trip_seconds << "\n";
  }
  out << "# HELP mediagen_backend_queue Jobs queued or running per backend.\n# TYPE mediagen_backend_queue gauge\n"
      << queue.str() << "# HELP mediagen_backend_round_trips_total Jobs a backend finished.\n"
      << "# TYPE mediagen_backend_round_trips_total counter\n"
      << trips.str()
      << "# HELP mediagen_backend_round_trip_seconds_total Time from a job reaching its backend to its end.\n"
      << "# TYPE mediagen_backend_round_trip_seconds_total counter\n"
      << seconds.str();
  out << process_metrics_text();
  return out.str();
}

} // namespace

void add_ops_routes(route_table& svr, http_context& ctx) {
  svr.Get("/healthz", timed(ctx, "healthz", [](const httplib::Request&, httplib::Response& res) {
            send_json(res, 200, "{\"status\":\"ok\"}");
          }));
  svr.Get("/status", timed(ctx, "status", [&ctx](const httplib::Request&, httplib::Response& res) {
            send_json(res, 200, status_document(ctx));
          }));
  svr.Get("/metrics", timed(ctx, "metrics", [&ctx](const httplib::Request&, httplib::Response& res) {
            res.set_content(metrics_text(ctx), "text/plain; version=0.0.4");
          }));
  svr.Get("/debug/actors", timed(ctx, "debug_actors", [&ctx](const httplib::Request&, httplib::Response& res) {
            send_json(res, 200, all_actors(ctx));
          }));
}

} // namespace mediagen
