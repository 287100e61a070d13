#pragma once
// Random UUID v4 strings ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower-case hex) for the
// prompt_id we hand ComfyUI with each /prompt and for the clientId of each instance's socket.

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace mediagen::comfyui {

/// A source of UUID v4 strings. Thread-safe: next() may be called from any thread.
/// Tests pin the sequence with the seeded constructor (design rule: ids come in through
/// parameters where tests need to pin them).
class uuid_generator {
public:
  /// Seeded from std::random_device.
  uuid_generator();
  /// Deterministic sequence for tests.
  explicit uuid_generator(std::uint64_t seed);

  std::string next();

private:
  std::mutex mutex_;
  std::mt19937_64 engine_;
};

/// A fresh UUID v4 from a process-wide generator seeded by std::random_device. Thread-safe.
std::string new_uuid_v4();

/// True when `s` has the canonical 8-4-4-4-12 hex form, version nibble 4 and an RFC 4122
/// variant nibble (8, 9, a or b).
bool is_uuid_v4(const std::string& s);

} // namespace mediagen::comfyui
