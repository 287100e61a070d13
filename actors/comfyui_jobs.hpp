#pragma once
// The blocking steps of a ComfyUI job, run on an instance's worker threads (never on CAF's
// scheduler): upload inputs, free VRAM, submit the prompt; read /history and fetch the outputs.

#include <functional>
#include <string>

#include "actors/protocol.hpp"
#include "backends/comfyui/http_api.hpp"

namespace mediagen {

struct submit_request {
  backend_job job;
  std::string client_id;
  std::string prompt_id;
  bool free_first = false;   ///< the workflow differs from the last one run on this instance
  std::string inputs_folder; ///< where the job's uploaded inputs are stored
};

/// Uploads the inputs (renaming them in the graph to what ComfyUI answers), frees VRAM when
/// asked, and POSTs /prompt.
submit_outcome submit_job(const comfyui::http_api& api, const submit_request& request);

/// Stores a fetched file; returns its storage name (throws when it cannot).
using save_function =
    std::function<std::string(const std::string& prefix, const std::string& ext, const std::string& bytes)>;

/// Reads /history/{prompt_id} (retrying while it answers {}: ComfyUI writes it just after it says
/// the prompt succeeded) and fetches every output file through /view into storage.
backend_outcome fetch_job_outputs(const comfyui::http_api& api, const std::string& prompt_id,
                                  const save_function& save);

/// One /history look-up: true when the prompt's entry exists (it has finished).
bool history_written(const comfyui::http_api& api, const std::string& prompt_id);

/// Reads /queue, then /history: a prompt leaves the queue only once its history is written
/// (ComfyUI's PromptQueue.task_done does both under one lock), so asking in this order
/// never takes a prompt that just finished for a vanished one.
prompt_whereabouts locate_prompt(const comfyui::http_api& api, const std::string& prompt_id);

/// The failure of an execution_error frame as one sentence and a details object.
backend_outcome execution_failure(const comfyui::execution_error_frame& e);

} // namespace mediagen
