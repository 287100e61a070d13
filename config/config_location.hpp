#pragma once
// Where the server.json comes from when no --config is given, so the binary finds its shipped
// config when started from any folder (docs/OPERATIONS.md "Installing").

#include <string>
#include <vector>

namespace mediagen {

/// The places looked at, in order: config/server.json in the current folder (a source tree),
/// share/mediagen/server.json beside the binary's bin/ (an install, wherever it was moved),
/// config/server.json beside the binary's folder (a build folder inside the source tree), and the
/// share/mediagen of the prefix the build was configured for.
std::vector<std::string> config_candidates();

/// The first candidate that exists, or "" when none does (then the built-in defaults apply).
std::string find_default_config();

} // namespace mediagen
