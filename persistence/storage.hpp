#pragma once
// The storage folder of output files: unique names under any concurrency, and safe resolution
// of the names clients ask for under /media/. Thread-safe.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mediagen {

class storage {
public:
  /// Creates `folder` when absent. Next names continue after the highest number already there.
  explicit storage(std::string folder);

  /// Writes `bytes` to a new file `<prefix>_<n>.<ext>` that did not exist before (O_EXCL) and
  /// returns its name. Throws std::runtime_error when it cannot. It does not fsync: a sync result
  /// needs no durability, and the media store makes an async result's files durable (`make_durable`)
  /// in the same batch as the entries that point at them.

  std::string save_new(const std::string& prefix, const std::string& ext, const std::string& bytes);

  /// fsyncs the named files and the folder, so that no gallery entry written after this can point
  /// at a file a crash lost. Returns "" or a sentence naming the file that failed.
  std::string make_durable(const std::vector<std::string>& names) const;

  /// Deletes a file made by save_new (a plain name only). Missing files are fine.
  void remove(const std::string& name) const;

  /// The absolute path of `name` when it is a plain file name of a regular file inside the
  /// folder (no separators, no "..", no hidden names, no symlinks); nullopt otherwise.
  std::optional<std::string> resolve(const std::string& name) const;

  /// True when `name` is shaped like a file name we could have made.
  static bool plain_name(const std::string& name);

  const std::string& folder() const { return folder_; }

private:
  std::string folder_;
  std::atomic<std::uint64_t> next_number_{1};
};

} // namespace mediagen
