#include "config/config_location.hpp"

#include <filesystem>
#include <system_error>

#include "config/build_info.hpp"

namespace fs = std::filesystem;

namespace mediagen {

std::vector<std::string> config_candidates() {
  std::vector<std::string> out = {"config/server.json"};
  std::error_code ec;
  // The binary's own path, not argv[0]: it holds even when started through PATH or a symlink.
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path prefix = exe.parent_path().parent_path();
    out.push_back((prefix / build_info::datadir_relative / "server.json").string());
    out.push_back((prefix / "config" / "server.json").string());
  }
  out.push_back(build_info::installed_config);
  return out;
}

std::string find_default_config() {
  std::error_code ec;
  for (auto& c : config_candidates())
    if (fs::is_regular_file(c, ec)) return c;
  return {};
}

} // namespace mediagen
