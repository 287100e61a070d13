#pragma once
// What every route handler needs: the actor handles it talks to, the read-only configuration,
// and the metrics it records into. Handlers only translate HTTP into messages and back.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/protocol.hpp"
#include "config/server_config.hpp"
#include "generation/workflow.hpp"
#include "http/connection_figures.hpp"
#include "http/disconnect_watcher.hpp"
#include "http/metrics.hpp"
#include "persistence/gallery_snapshot.hpp"
#include "persistence/storage.hpp"

namespace mediagen {

struct named_backend {
  std::string name; ///< "builtin", "comfyui-0", ...
  std::string url;  ///< "" for builtin
  backend_actor handle;
};

struct http_context {
  caf::actor_system& sys;
  server_config config;
  std::shared_ptr<const workflow_catalog> catalog;
  std::shared_ptr<storage> outputs;
  std::shared_ptr<storage> inputs; ///< uploaded files, under names the server chooses
  supervisor_actor supervisor;
  sse_hub_actor hub;
  media_store_actor store;
  webhook_actor webhooks; ///< invalid when no webhook host is allowed
  /// The gallery as the store last published it: queries read it without asking the store.
  std::shared_ptr<const gallery_view> gallery;
  std::vector<named_backend> backends;
  bool comfyui_configured = false; ///< comfyui workflows are refused with 503 without it
  metrics stats;
  connection_figures connections; ///< kept by the connection loop and the worker pool
  disconnect_watcher hangups;     ///< for sync requests with cancelOnDisconnect
  /// false once shutdown began: new generations get 503.
  std::atomic<bool> accepting{true};

  http_context(caf::actor_system& s) : sys(s) {}
};

} // namespace mediagen
