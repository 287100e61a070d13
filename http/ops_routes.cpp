#include "http/ops_routes.hpp"

#include <sstream>

#include "http/actor_calls.hpp"
#include "http/responses.hpp"
#include "http/timed_route.hpp"

namespace mediagen {

namespace {

constexpr auto status_timeout = std::chrono::seconds(5);

template <class Handle>
std::string status_of(http_context& ctx, const Handle& h, const std::string& kind) {
  std::string error;
  auto s = ask<std::string>(ctx.sys, h, status_timeout, error, atom::status::value);
  if (s) return *s;
  return "{\"kind\":" + json::quote(kind) + ",\"state\":\"unreachable\",\"error\":" + json::quote(error) + "}";
}

json::document parsed(const std::string& text) {
  json::document d;
  json::parse(text, d);
  return d;
}

// A backend's status, and for a pool each of its instances' (as their own entries).
std::vector<std::string> backend_statuses(http_context& ctx, const named_backend& b) {
  std::string s = status_of(ctx, b.handle, "backend");
  auto d = parsed(s);
  std::vector<std::string> out;
  auto* instances = json::member(d, "instances");
  if (!instances || !instances->IsArray()) return {s};
  for (auto& i : instances->GetArray()) out.push_back(json::stringify(i));
  d.RemoveMember("instances");
  out.insert(out.begin(), json::stringify(d));
  return out;
}

/// A unit that runs jobs: the builtin backend, or one ComfyUI instance of a pool.
struct backend_unit {
  std::string name;
  json::document status;
};

// Each backend unit with its status: a pool is reported by its instances, named by their ids.
std::vector<backend_unit> backend_units(http_context& ctx) {
  std::vector<backend_unit> out;
  for (auto& b : ctx.backends) {
    auto statuses = backend_statuses(ctx, b);
    bool pool = statuses.size() > 1;
    for (std::size_t i = pool ? 1 : 0; i < statuses.size(); ++i) {
      backend_unit unit;
      json::parse(statuses[i], unit.status);
      unit.name = pool ? json::get_string(unit.status, "id").value_or(b.name) : b.name;
      out.push_back(std::move(unit));
    }
  }
  return out;
}

// Every actor's status as one JSON object: {"actors": [...]} (GET /debug/actors).
std::string all_actors(http_context& ctx) {
  std::string out = "{\"actors\":[" + status_of(ctx, ctx.supervisor, "supervisor");
  out += "," + status_of(ctx, ctx.hub, "sse_hub");
  out += "," + status_of(ctx, ctx.store, "media_store");
  for (auto& b : ctx.backends)
    for (auto& s : backend_statuses(ctx, b)) out += "," + s;
  std::string error;
  auto tasks = ask<std::vector<std::string>>(ctx.sys, ctx.supervisor, status_timeout, error, atom::list::value,
                                             atom::status::value);
  if (tasks)
    for (auto& t : *tasks) out += "," + t;
  return out + "]}";
}

double number(const json::value& v, const char* key) { return json::get_number(v, key).value_or(0); }

std::string status_document(http_context& ctx) {
  std::string out = "{\"backends\":{";
  bool first = true;
  // The Node server's readiness fields, which its loading page polls: ComfyUI is ready when an
  // instance is healthy; Ollama never is, since no LLM task runs here.
  bool comfyui_ready = false;
  for (auto& unit : backend_units(ctx)) {
    auto& s = unit.status;
    if (unit.name != "builtin" && json::get_bool(s, "healthy").value_or(false)) comfyui_ready = true;
    out += (first ? "" : ",") + json::quote(unit.name) + ":{\"healthy\":" +
           (json::get_bool(s, "healthy").value_or(false) ? "true" : "false") +
           ",\"queue\":" + std::to_string(static_cast<long long>(number(s, "queue")));
    if (auto url = json::get_string(s, "url")) out += ",\"url\":" + json::quote(*url);
    out += "}";
    first = false;
  }
  auto sup = parsed(status_of(ctx, ctx.supervisor, "supervisor"));
  out += "},\"tasks\":{\"queued\":" + std::to_string(static_cast<long long>(number(sup, "queued"))) +
         ",\"running\":" + std::to_string(static_cast<long long>(number(sup, "running"))) + "}" +
         ",\"comfyui\":" + (comfyui_ready ? "true" : "false") + ",\"ollama\":false}";
  return out;
}

void gauge(std::ostringstream& out, const char* name, const char* help, double value, const char* type = "gauge") {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n" << name << " " << value << "\n";
}

std::string metrics_text(http_context& ctx) {
  std::ostringstream out;
  out << ctx.stats.http_text();
  auto sup = parsed(status_of(ctx, ctx.supervisor, "supervisor"));
  out << "# HELP mediagen_tasks Tasks by state (live: queued, running; ended: totals since start).\n"
      << "# TYPE mediagen_tasks gauge\n";
  for (auto* state : {"queued", "running", "completed", "failed", "cancelled", "refused"})
    out << "mediagen_tasks{state=\"" << state << "\"} " << number(sup, state) << "\n";
  gauge(out, "mediagen_queue_depth", "Tasks waiting to run.", number(sup, "queued"));
  auto hub = parsed(status_of(ctx, ctx.hub, "sse_hub"));
  gauge(out, "mediagen_sse_subscribers", "Open SSE streams.", number(hub, "subscribers"));
  auto store = parsed(status_of(ctx, ctx.store, "media_store"));
  gauge(out, "mediagen_media_store_commits_total", "Commits: durable appends to the gallery journal.", number(store, "commits"), "counter");
  gauge(out, "mediagen_media_store_entries_committed_total", "Entries made durable.", number(store, "entriesCommitted"), "counter");
  gauge(out, "mediagen_media_store_commit_seconds_total", "Time spent committing.", number(store, "totalCommitMs") / 1000, "counter");
  gauge(out, "mediagen_media_store_last_commit_seconds", "Duration of the last commit.", number(store, "lastCommitMs") / 1000);
  // Per unit: its queue, and its round trips (one job, from reaching the backend to its end).
  std::ostringstream queue, trips, seconds;
  for (auto& unit : backend_units(ctx)) {
    std::string label = "{backend=\"" + unit.name + "\"} ";
    queue << "mediagen_backend_queue" << label << number(unit.status, "queue") << "\n";
    trips << "mediagen_backend_round_trips_total" << label << number(unit.status, "finished") << "\n";
    seconds << "mediagen_backend_round_trip_seconds_total" << label << number(unit.status, "roundTripSeconds") << "\n";
  }
  out << "# HELP mediagen_backend_queue Jobs queued or running per backend.\n# TYPE mediagen_backend_queue gauge\n"
      << queue.str() << "# HELP mediagen_backend_round_trips_total Jobs a backend finished.\n"
      << "# TYPE mediagen_backend_round_trips_total counter\n" << trips.str()
      << "# HELP mediagen_backend_round_trip_seconds_total Time from a job reaching its backend to its end.\n"
      << "# TYPE mediagen_backend_round_trip_seconds_total counter\n" << seconds.str();
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
