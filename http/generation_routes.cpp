#include "http/generation_routes.hpp"

#include <fstream>
#include <iterator>
#include <random>

#include "actors/supervisor_actor.hpp"
#include "common/base64.hpp"
#include "generation/plan.hpp"
#include "http/actor_calls.hpp"
#include "http/failure_json.hpp"
#include "http/guarded_stream.hpp"
#include "http/idempotency.hpp"
#include "http/media_routes.hpp"
#include "http/request_body.hpp"
#include "http/responses.hpp"
#include "http/status_codes.hpp"
#include "http/task_json.hpp"
#include "http/task_routes.hpp"
#include "http/timed_route.hpp"

namespace mediagen {

namespace {

std::int64_t draw_seed() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return static_cast<std::int64_t>(rng() % (static_cast<std::uint64_t>(max_seed) + 1));
}

void remove_stored_inputs(http_context& ctx, const generation_request& request) {
  for (auto& f : request.files)
    if (!f.stored_name.empty()) ctx.inputs->remove(f.stored_name);
}

// Keeps each validated upload in inputs/ under a name the server chooses. "" or the reason it
// could not (then nothing is kept).
std::string store_uploads(http_context& ctx, const std::vector<uploaded_part>& parts, generation_request& request) {
  for (auto& f : request.files)
    for (auto& p : parts)
      if (p.field == f.field) {
        try {
          f.stored_name = ctx.inputs->save_new("input", f.kind == "jpeg" ? "jpg" : f.kind, *p.bytes);
        } catch (const std::exception& e) {
          remove_stored_inputs(ctx, request);
          return e.what();
        }
      }
  return {};
}

bool validated_fields(http_context& ctx, const json::value& fields, const std::vector<uploaded_part>& parts,
                      request_kind kind, httplib::Response& res, generation_request& out);

// outputFormat: "url" (the default) or, on /generate/sync only, "base64" (true).
std::string read_output_format(const json::value& fields, request_kind kind, bool& base64_outputs) {
  base64_outputs = false;
  auto* v = json::member(fields, "outputFormat");
  if (!v || v->IsNull()) return {};
  std::string format = v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
  if (format == "url") return {};
  if (format != "base64") return "outputFormat must be \"url\" or \"base64\".";
  if (kind != request_kind::sync) return "outputFormat \"base64\" is only for /generate/sync.";
  base64_outputs = true;
  return {};
}

// Reads and validates the body (its idempotency key and outputFormat too), then stores its
// files; on refusal writes the answer and returns false, having written nothing.
bool validated_request(http_context& ctx, const httplib::Request& req, httplib::Response& res, request_kind kind,
                       generation_request& out, bool* base64_outputs = nullptr) {
  if (!ctx.accepting) {
    send_error(res, 503, "The server is shutting down.");
    return false;
  }
  generation_body body;
  if (auto e = read_generation_fields(req, body); e.status) {
    send_error(res, e.status, e.message);
    return false;
  }
  std::string key;
  if (auto e = read_idempotency_key(req, body.fields, key); !e.empty()) {
    send_error(res, 400, e);
    return false;
  }
  bool base64 = false;
  if (auto e = read_output_format(body.fields, kind, base64); !e.empty()) {
    send_error(res, 400, e);
    return false;
  }
  if (base64_outputs) *base64_outputs = base64;
  if (!validated_fields(ctx, body.fields, body.parts, kind, res, out)) return false;
  if (!key.empty()) {
    out.idempotency_key = scoped_idempotency_key(req, !ctx.config.api_keys.empty(), key);
    out.fingerprint = request_fingerprint(kind, body);
  }
  return true;
}

// Validates fields already read (and stores their files), as validated_request.
bool validated_fields(http_context& ctx, const json::value& fields, const std::vector<uploaded_part>& parts,
                      request_kind kind, httplib::Response& res, generation_request& out) {
  validation_settings settings;
  settings.comfyui_available = ctx.comfyui_configured;
  settings.sync_timeout_cap_ms = ctx.config.sync_timeout_ms;
  settings.draw_seed = draw_seed;
  auto v = validate_generation(*ctx.catalog, fields, parts, kind, settings);
  if (!v.ok) {
    send_error(res, v.status, v.error);
    return false;
  }
  out = std::move(v.request);
  // Checked before anything is stored or started: a refused webhook leaves no trace.
  if (auto e = parse_webhook_field(fields, ctx.config.webhook_hosts, out.webhook); !e.empty()) {
    send_error(res, 400, e);
    return false;
  }
  if (auto e = store_uploads(ctx, parts, out); !e.empty()) {
    send_error(res, 500, "The upload could not be stored (" + e + ").");
    return false;
  }
  name_stored_files(out, v.data);
  // The id is chosen here, once, so the graph (which may name it and the uploads) is filled in on
  // this thread, in parallel with other requests; the supervisor only starts the task, under
  // this id or not at all.
  out.task_id = random_task_id();
  if (auto e = plan_request(out, v.data); !e.empty()) {
    remove_stored_inputs(ctx, out);
    send_error(res, 500, e);
    return false;
  }
  return true;
}

// Hands a validated request to the supervisor and answers 202 (or its refusal).
void submit_async(http_context& ctx, generation_request& request, httplib::Response& res) {
  auto id = ask<std::string>(ctx.sys, ctx.supervisor, std::chrono::seconds(10), atom::start::value, request);
  if (!id) {
    remove_stored_inputs(ctx, request);
    return send_actor_error(res, ctx.sys, id.error(), "The task could not be started");
  }
  // A repeat of an idempotency key is answered with the task the key names: this request's
  // copies of its files serve no task.
  if (*id != request.task_id) remove_stored_inputs(ctx, request);
  send_json(res, 202, task_created_json(*id, "Generation task created"));
}

// Async start shared by /generate and /generate/inpaint.
void start_async(http_context& ctx, const httplib::Request& req, httplib::Response& res, request_kind kind) {
  generation_request request;
  if (!validated_request(ctx, req, res, kind, request)) return;
  submit_async(ctx, request, res);
}

// POST /regenerate {uid, seed?}: a new task from what the entry's request said (workflow, prompt,
// name, seed, orientation, description, summary, tags, requestOrigin and the workflow's extra
// inputs), validated like a new request; `seed` replaces the stored one. Input files are not kept,
// so a workflow that needs them is refused as a request without them would be.
void regenerate(http_context& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!ctx.accepting) return send_error(res, 503, "The server is shutting down.");
  json::document body;
  if (!json::parse(req.body, body).empty() || !body.IsObject())
    return send_error(res, 400, "The request body must be a JSON object with a uid.");
  auto* uid = json::member(body, "uid");
  if (!uid || !uid->IsInt64() || uid->GetInt64() < 0)
    return send_error(res, 400, "uid must be a non-negative integer.");
  auto text = ctx.gallery->current()->find(uid->GetInt64());
  if (!text) return send_error(res, 404, "No entry with uid " + std::to_string(uid->GetInt64()) + ".");
  json::document entry;
  json::parse(*text, entry);
  json::document fields(rapidjson::kObjectType);
  auto& a = fields.GetAllocator();
  auto copy = [&](const std::string& key) {
    if (auto* v = json::member(entry, key.c_str()); v && !v->IsNull()) json::set(fields, key, json::value(*v, a), a);
  };
  for (const char* key :
       {"workflow", "prompt", "name", "seed", "orientation", "description", "summary", "tags", "requestOrigin"})
    copy(key);
  if (auto wf_name = json::get_string(entry, "workflow"))
    if (const workflow* wf = ctx.catalog->find(*wf_name))
      for (auto& in : wf->extra_inputs) copy(in.id);
  if (auto* seed = json::member(body, "seed"); seed && !seed->IsNull())
    json::set(fields, "seed", json::value(*seed, a), a);
  generation_request request;
  if (!validated_fields(ctx, fields, {},
                        json::get_bool(entry, "inpaint").value_or(false) ? request_kind::inpaint : request_kind::async,
                        res, request))
    return;
  submit_async(ctx, request, res);
}

// The result with each output's bytes inline (outputFormat "base64"): outputs[].base64 and
// outputs[].mimeType beside its url. "" or the sentence saying which file could not be read.
std::string result_with_base64(http_context& ctx, const generation_result& result, std::string& out) {
  json::document d;
  result_to_json(result, d, d.GetAllocator());
  auto& a = d.GetAllocator();
  auto& outputs = d["outputs"];
  for (std::size_t i = 0; i < result.outputs.size() && i < outputs.Size(); ++i) {
    const std::string& name = result.outputs[i].name;
    auto path = ctx.outputs->resolve(name);
    std::ifstream file(path ? *path : std::string(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (!path || !file.is_open() || file.bad()) return "The output file " + name + " could not be read.";
    outputs[i].AddMember("base64", json::str(base64_encode(bytes), a), a);
    outputs[i].AddMember("mimeType", json::str(media_content_type(name), a), a);
  }
  out = json::stringify(d);
  return {};
}

// The ended task as the sync answer: 200 with the result, 409 cancelled, else its failure's status.
void answer_sync(http_context& ctx, const task_snapshot& task, bool base64_outputs, httplib::Response& res) {
  if (task.state == task_state::completed) {
    if (!base64_outputs) return send_json(res, 200, result_to_json(task.result));
    std::string body;
    if (auto e = result_with_base64(ctx, task.result, body); !e.empty()) return send_error(res, 500, e);
    return send_json(res, 200, body);
  }
  if (task.state == task_state::cancelled)
    return send_json(res, 409, sync_failure_json("The generation was cancelled.", "", task.task_id));
  send_json(res, http_status_of(task.failure),
            sync_failure_json(error_sentence(task.failure), failure_details_json(task.failure), task.task_id));
}

// A sync wait that ended without the task: refused (nothing started), timed out (it goes on),
// or the call itself failed.
void answer_sync_error(http_context& ctx, const caf::error& e, httplib::Response& res) {
  if (has_code(e, error_code::wait_timed_out)) {
    auto id = error_extra(e);
    json::writer w;
    w.begin_object()
        .field("error", error_sentence(e))
        .field("taskId", id)
        .field("statusUrl", "/tasks/" + id)
        .end_object();
    return send_json(res, 504, w.str());
  }
  send_actor_error(res, ctx.sys, e, "The task did not answer");
}

// POST /generate/sync: the task's outcome is received on this thread and mapped to the answer.
void run_sync(http_context& ctx, const httplib::Request& req, httplib::Response& res) {
  generation_request request;
  bool base64_outputs = false;
  if (!validated_request(ctx, req, res, request_kind::sync, request, &base64_outputs)) return;
  // The task answers wait_timed_out itself after timeout_ms; the extra margin only guards
  // against a reply that never comes.
  auto deadline = std::chrono::milliseconds(request.timeout_ms) + std::chrono::seconds(10);
  // A client that asked for it has its task cancelled when it hangs up while waiting.
  std::uint64_t watch = 0;
  auto* stream = guarded_stream::current();
  if (request.cancel_on_disconnect && stream) {
    watch = ctx.hangups.watch(stream->socket(), [sup = ctx.supervisor, id = request.task_id] {
      caf::anon_send(sup, atom::cancel::value, id);
    });
  }
  auto task = ask<task_snapshot>(ctx.sys, ctx.supervisor, deadline, atom::start::value, atom::await::value, request);
  if (watch) ctx.hangups.unwatch(watch);
  if (task) {
    // A repeat of an idempotency key was answered by the task the key names, not by ours.
    if (task->task_id != request.task_id) remove_stored_inputs(ctx, request);
    return answer_sync(ctx, *task, base64_outputs, res);
  }
  // Refused, or lost on the way: the task never ran, its uploads are ours to remove (a timed-out
  // task goes on and removes them itself, unless it is another request's).
  if (!has_code(task.error(), error_code::wait_timed_out) || error_extra(task.error()) != request.task_id)
    remove_stored_inputs(ctx, request);
  answer_sync_error(ctx, task.error(), res);
}

} // namespace

void add_generation_routes(route_table& svr, http_context& ctx) {
  svr.Post("/generate", timed(ctx, "generate", [&ctx](const httplib::Request& req, httplib::Response& res) {
             start_async(ctx, req, res, request_kind::async);
           }));

  svr.Post("/generate/inpaint",
           timed(ctx, "generate_inpaint", [&ctx](const httplib::Request& req, httplib::Response& res) {
             start_async(ctx, req, res, request_kind::inpaint);
           }));

  svr.Post("/generate/sync", timed(ctx, "generate_sync", [&ctx](const httplib::Request& req, httplib::Response& res) {
             run_sync(ctx, req, res);
           }));

  svr.Post("/regenerate", timed(ctx, "regenerate", [&ctx](const httplib::Request& req, httplib::Response& res) {
             regenerate(ctx, req, res);
           }));

  // The newer Node client's name for the same thing.
  svr.Post("/generate/silent/sync",
           timed(ctx, "generate_sync",
                 [&ctx](const httplib::Request& req, httplib::Response& res) { run_sync(ctx, req, res); }));

  svr.Post("/generate/cancel",
           timed(ctx, "generate_cancel", [&ctx](const httplib::Request& req, httplib::Response& res) {
             json::document body;
             if (auto e = json::parse(req.body, body); !e.empty() || !body.IsObject())
               return send_error(res, 400, "The request body must be a JSON object with a taskId.");
             auto id = json::get_string(body, "taskId");
             if (!id || !plausible_task_id(*id)) return send_error(res, 400, "taskId is required.");
             cancel_task(ctx, *id, res);
           }));
}

} // namespace mediagen
