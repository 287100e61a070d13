// mediagen: reads the config, starts the actor system and the HTTP server, and shuts both down
// in the order docs/TOOLCHAIN.md measured (16 ms instead of 27 s) on SIGTERM or SIGINT.

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <malloc.h>
#include <thread>

#include <caf/all.hpp>

#include "actors/builtin_backend_actor.hpp"
#include "actors/comfyui_backend_actor.hpp"
#include "actors/media_store_actor.hpp"
#include "actors/sse_hub_actor.hpp"
#include "actors/supervisor_actor.hpp"
#include "actors/webhook_actor.hpp"
#include "backends/builtin/graph_executor.hpp"
#include "backends/webhook/webhook_signature.hpp"
#include "config/build_info.hpp"
#include "config/server_config.hpp"
#include "config/workflow_files.hpp"
#include "http/http_server.hpp"
#include "http/task_json.hpp"
#include "http/webhook_json.hpp"
#include "persistence/gallery_files.hpp"

using namespace mediagen;

namespace {

// Builtin workflows must only use nodes the builtin engine runs: found at start, not per request.
std::string check_builtin_workflows(const workflow_catalog& catalog) {
  for (auto& wf : catalog.all())
    if (wf.backend == "builtin")
      if (auto e = builtin::check_graph(wf.graph_json); !e.empty()) return "workflow '" + wf.name + "': " + e;
  return {};
}

// Only this machine can reach a loopback address; anything else (0.0.0.0, a LAN address) is open wider.
bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "fatal mediagen %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  // Signals are taken by sigwait in main only: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(server_config_help().c_str(), stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("mediagen %s\n", build_info::version);
      return 0;
    }
  }

  server_config config;
  if (auto e = load_server_config(argc, argv, config); !e.empty()) return fail(e);

  std::string error;
  auto catalog = load_workflow_catalog(config.workflows, error);
  if (!catalog) return fail(error);
  if (auto e = check_builtin_workflows(*catalog); !e.empty()) return fail(e);
  for (auto& wf : catalog->all())
    for (auto& w : wf.warnings) std::fprintf(stderr, "warn workflows %s\n", w.c_str());

  std::filesystem::create_directories(config.data_dir + "/database");
  std::filesystem::create_directories(config.data_dir + "/inputs");
  std::string db_path = config.data_dir + "/database/media-data.json";
  auto gallery = open_gallery(db_path, error);
  if (!gallery.db) return fail(error + "; fix or move the file, the server will not overwrite it");
  auto& db = gallery.db;
  malloc_trim(0); // the parsed file's DOM is gone: give its pages back (~100 MB at 100k entries)
  auto outputs = std::make_shared<storage>(config.data_dir + "/storage");
  auto inputs = std::make_shared<storage>(config.data_dir + "/inputs");
  webhook_journal::replay_result webhook_replay;
  std::vector<lost_task> lost;
  std::shared_ptr<task_journal> journal = task_journal::open(
      config.data_dir + "/database/task-journal", std::chrono::seconds(config.task_retention_seconds), lost, error);
  // A full or read-only disk still serves the gallery: only lost-task reporting is given up.
  if (!journal) std::fprintf(stderr, "error mediagen running without a task journal reason=\"%s\"\n", error.c_str());
  // A kill after the entry was stored but before the journal heard the task end: not lost.
  auto stored = db->index().current();
  lost.erase(std::remove_if(lost.begin(), lost.end(), [&](const lost_task& t) { return stored->has_task(t.id); }),
             lost.end());
  if (!lost.empty()) std::fprintf(stderr, "warn mediagen tasks lost by an earlier run count=%zu\n", lost.size());

  std::string webhook_key;
  if (!config.webhook_secret.empty())
    if (auto e = decode_webhook_secret(config.webhook_secret, webhook_key); !e.empty())
      return fail("webhookSecret " + e + ".");

  caf::actor_system_config cfg;
  // Work stealing walks a list per steal and turned task bursts quadratic (docs/TOOLCHAIN.md).
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  register_error_category(cfg);
  caf::actor_system sys{cfg};

  http_context ctx{sys};
  ctx.config = config;
  ctx.catalog = catalog;
  ctx.outputs = outputs;
  ctx.inputs = inputs;
  media_store_settings store_settings;
  store_settings.db = std::move(gallery.db);
  store_settings.journal = std::move(gallery.journal);
  store_settings.path = db_path;
  store_settings.outputs = outputs;
  store_settings.view = std::make_shared<gallery_view>();
  store_settings.compact_every = static_cast<std::size_t>(config.compact_every);
  store_settings.compact_age = std::chrono::seconds(config.compact_seconds);
  store_settings.compact_nice = config.render_nice;
  ctx.gallery = store_settings.view;
  ctx.store = spawn_media_store(sys, std::move(store_settings));
  sse_hub_settings hub_settings;
  hub_settings.retention = std::chrono::seconds(config.task_retention_seconds);
  hub_settings.max_subscribers_per_task = static_cast<std::size_t>(config.sse_subscribers_per_task);
  hub_settings.max_subscribers_total = static_cast<std::size_t>(config.sse_subscribers_total);
  hub_settings.render = render_sse_frame;
  hub_settings.render_preview = render_preview_frame;
  ctx.hub = spawn_sse_hub(sys, hub_settings);
  builtin_backend_settings builtin_settings;
  builtin_settings.workers = static_cast<std::size_t>(config.builtin_workers);
  builtin_settings.outputs = outputs;
  builtin_settings.inputs_dir = inputs->folder();
  builtin_settings.render_nice = config.render_nice;
  auto builtin = spawn_builtin_backend(sys, builtin_settings);
  ctx.backends.push_back(named_backend{"builtin", "", builtin});
  comfyui_pool_actor comfyui;
  if (!config.comfyui_urls.empty()) {
    comfyui_settings comfy;
    comfy.urls = config.comfyui_urls;
    comfy.outputs = outputs;
    comfy.inputs = inputs;
    comfy.retries = static_cast<std::size_t>(config.comfyui_retries);
    comfyui = spawn_comfyui_backend(sys, comfy);
    ctx.backends.push_back(named_backend{"comfyui", "", comfyui});
    ctx.comfyui_configured = true;
  }

  // Webhooks only when a host is allowed; a journal left by an earlier run waits until then.
  // The pool is declared after the actor system, so it is joined (its last attempts done) first.
  std::shared_ptr<worker_pool> webhook_workers;
  if (!config.webhook_hosts.empty()) {
    webhook_settings hooks;
    hooks.journal = webhook_journal::open(config.data_dir + "/database/webhook-journal", hooks.resumed, webhook_replay,
                                          error);
    if (!hooks.journal)
      std::fprintf(stderr, "error mediagen webhooks run without a journal reason=\"%s\"\n", error.c_str());
    if (webhook_replay.dropped_bytes > 0)
      std::fprintf(stderr, "warn mediagen webhook journal tail dropped bytes=%llu reason=\"%s\"\n",
                   static_cast<unsigned long long>(webhook_replay.dropped_bytes),
                   webhook_replay.dropped_reason.c_str());
    hooks.key = webhook_key;
    hooks.max_attempts = static_cast<std::uint32_t>(config.webhook_attempts);
    hooks.base_delay = std::chrono::milliseconds(config.webhook_retry_base_ms);
    hooks.per_host = static_cast<std::size_t>(config.webhook_per_host);
    hooks.timeout = std::chrono::milliseconds(config.webhook_timeout_ms);
    // Enough threads for every allowed host's bound at once (a host entry without a port may
    // stand for several receivers; the bound stays per host:port).
    webhook_workers = std::make_shared<worker_pool>(
        std::clamp<std::size_t>(hooks.per_host * config.webhook_hosts.size(), 1, 64));
    hooks.workers = webhook_workers;
    hooks.render = webhook_body_json;
    ctx.webhooks = spawn_webhook_actor(sys, std::move(hooks));
  }

  supervisor_settings sup;
  sup.builtin = builtin;
  sup.comfyui = comfyui;
  sup.hub = ctx.hub;
  sup.store = ctx.store;
  sup.webhooks = ctx.webhooks;
  sup.max_queued_tasks = static_cast<std::size_t>(config.max_queued_tasks);
  sup.cancel_grace = std::chrono::seconds(config.cancel_grace_seconds);
  sup.preview_interval_ms = config.preview_interval_ms;
  sup.retention = std::chrono::seconds(config.task_retention_seconds);
  sup.journal = journal;
  sup.inputs = inputs;
  sup.outputs = outputs;
  // Uploads are file copies: two at a time is plenty, and bulk work, below the request path.
  sup.upload_workers = std::make_shared<worker_pool>(2, config.render_nice, "mg-upload");
  sup.lost = lost;
  ctx.supervisor = spawn_supervisor(sys, sup);

  // ~actor_system waits for every actor: each must be told to exit, whichever way main ends.
  auto stop_actors = [&] {
    for (auto& b : ctx.backends) caf::anon_send_exit(b.handle, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(ctx.supervisor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(ctx.hub, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(ctx.store, caf::exit_reason::user_shutdown);
    if (ctx.webhooks) caf::anon_send_exit(ctx.webhooks, caf::exit_reason::user_shutdown);
    sys.await_all_actors_done();
  };

  http_server server(ctx);
  int port = server.bind(config.host, config.port);
  if (port < 0) {
    server.shut_down();
    stop_actors();
    return fail("cannot listen on " + config.host + ":" + std::to_string(config.port) + ": " + server.bind_error() +
                " (is another server running on this port?)");
  }
  std::thread http_thread([&server] { server.listen_after_bind(); });
  std::fprintf(stderr, "info mediagen listening host=%s port=%d data=%s workers=%d\n", config.host.c_str(), port,
               config.data_dir.c_str(), config.builtin_workers);
  if (config.api_keys.empty() && !is_loopback_host(config.host))
    std::fprintf(stderr,
                 "warn mediagen listening beyond loopback without API keys: anyone who reaches host=%s can "
                 "generate and read the gallery (set apiKeys or --api-key)\n",
                 config.host.c_str());
  std::fflush(stderr);

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "info mediagen shutting down signal=%d\n", sig);
  // A second signal exits at once; media-data.json and its journal are whole at every moment anyway.
  std::thread second_signal([&signals] {
    int again = 0;
    sigwait(&signals, &again);
    std::fprintf(stderr, "info mediagen second signal, exiting now\n");
    std::_Exit(0);
  });
  second_signal.detach();

  ctx.accepting = false;
  {
    // Let running tasks finish within the grace period; the rest get cancelled (and each
    // cancelled task may take the cancel grace period to end).
    caf::scoped_actor self{sys};
    self->request(ctx.supervisor,
                  std::chrono::seconds(config.shutdown_grace_seconds + config.cancel_grace_seconds + 10),
                  atom::shutdown::value, static_cast<std::int64_t>(config.shutdown_grace_seconds))
        .receive([](bool) {}, [](caf::error&) {});
  }
  caf::anon_send(ctx.hub, atom::close_all::value);
  std::this_thread::sleep_for(std::chrono::milliseconds(200)); // open streams write their last frames
  server.shut_down();
  http_thread.join();
  stop_actors();
  std::fprintf(stderr, "info mediagen stopped\n");
  return 0;
}
