#pragma once
// The job of an upload task (POST /upload/*): no backend runs; the uploaded file is copied from
// the inputs folder into storage under a fresh unique name, on a worker thread (file I/O never
// runs on CAF's scheduler threads), and the task hears `done` as it would from a backend.

#include <memory>

#include "actors/protocol.hpp"
#include "backends/worker_pool.hpp"
#include "persistence/storage.hpp"

namespace mediagen {

/// Stores `file` (in `inputs`) as a new file in `outputs` and tells `task` (atom::done) how it went:
/// ok with one output of `kind` ("image" or "audio"), or a sentence. The file in `outputs` is made
/// durable by the media store with its entry; the one in `inputs` goes when the task ends.
void post_upload_job(worker_pool& workers, std::shared_ptr<storage> inputs, std::shared_ptr<storage> outputs,
                     input_file file, std::string kind, task_actor task);

} // namespace mediagen
