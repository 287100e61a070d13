#include "actors/upload_job.hpp"

#include <algorithm>
#include <fstream>

#include <caf/all.hpp>

namespace mediagen {

namespace {

backend_outcome store_upload(const storage& inputs, storage& outputs, const input_file& file, const std::string& kind) {
  backend_outcome out;
  auto path = inputs.resolve(file.stored_name);
  std::ifstream in;
  if (path) in.open(*path, std::ios::binary);
  if (!in) {
    out.error = "The uploaded file is no longer available.";
    return out;
  }
  // One read into one buffer: an upload may be as large as maxUploadBytes.
  in.seekg(0, std::ios::end);
  std::string bytes(static_cast<std::size_t>(std::max<std::streamoff>(0, in.tellg())), '\0');
  in.seekg(0, std::ios::beg);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    out.error = "The uploaded file could not be read.";
    return out;
  }
  try {
    auto name = outputs.save_new(kind, file.kind == "jpeg" ? "jpg" : file.kind, bytes);
    out.ok = true;
    out.outputs.push_back(output_file{name, kind, static_cast<std::uint64_t>(bytes.size())});
  } catch (const std::exception& e) {
    out.error = std::string("The upload could not be stored (") + e.what() + ").";
  }
  return out;
}

} // namespace

void post_upload_job(worker_pool& workers, std::shared_ptr<storage> inputs, std::shared_ptr<storage> outputs,
                     input_file file, std::string kind, task_actor task) {
  workers.post([inputs = std::move(inputs), outputs = std::move(outputs), file = std::move(file),
                kind = std::move(kind), task = std::move(task)] {
    caf::anon_send(task, atom::done::value, store_upload(*inputs, *outputs, file, kind));
  });
}

} // namespace mediagen
