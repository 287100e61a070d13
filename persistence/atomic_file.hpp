#pragma once
// Whole-file replacement that a crash cannot tear: write a temporary file, fsync it,
// rename it over the target, fsync the folder.

#include <string>

namespace mediagen {

/// Returns "" on success, else one sentence naming the failed step and errno's text.
std::string write_file_atomically(const std::string& path, const std::string& bytes);

/// fsyncs the folder holding `path`, so a file just created or renamed there survives a crash.
/// Returns "" or one sentence.
std::string sync_folder_of(const std::string& path);

/// Reads a whole file. Returns false when it cannot be opened.
bool read_whole_file(const std::string& path, std::string& out);

} // namespace mediagen
