#include "persistence/gallery_journal.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include "persistence/atomic_file.hpp"
#include "persistence/record_framing.hpp"

namespace mediagen {

namespace {

// Names the file, not its folder: these sentences reach clients, which never see server paths.
std::string sentence(const std::string& what, const std::string& path) {
  return what + " '" + std::filesystem::path(path).filename().string() + "' failed: " + std::strerror(errno) + ".";
}

bool write_all_at(int fd, const std::string& bytes, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

} // namespace

std::string gallery_journal::frame(const std::string& payload) { return frame_record(payload); }

std::unique_ptr<gallery_journal> gallery_journal::open(const std::string& path,
                                                       const std::function<std::string(const json::value&)>& apply,
                                                       replay_result& replayed, std::string& error) {
  std::unique_ptr<gallery_journal> j(new gallery_journal(path));
  std::string text;
  read_whole_file(path, text); // absent: nothing to replay
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::string_view payload;
    auto why = parse_record(text, pos, payload);
    if (!why.empty()) {
      replayed.dropped_bytes = text.size() - pos;
      replayed.dropped_reason = why;
      break;
    }
    json::document record;
    if (auto e = json::parse(std::string(payload), record); !e.empty() || !record.IsObject()) {
      // The checksum matched, so this was written as it is: not a torn write but a bug.
      error = "the gallery journal '" + path + "' holds a record that is not a JSON object";
      return nullptr;
    }
    if (auto e = apply(record); !e.empty()) {
      error = "the gallery journal '" + path + "': " + e;
      return nullptr;
    }
    ++replayed.records;
  }
  j->end_ = pos;
  j->records_ = replayed.records;
  if (j->ensure_open().empty() && replayed.dropped_bytes > 0 && ::ftruncate(j->fd_, static_cast<off_t>(pos)) == 0)
    ::fdatasync(j->fd_);
  return j;
}

gallery_journal::~gallery_journal() {
  if (fd_ >= 0) ::close(fd_);
}

std::string gallery_journal::ensure_open() {
  if (fd_ >= 0) return {};
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0 && errno == ENOENT) {
    // The folder vanished: make it again, the gallery in memory is whole.
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  }
  if (fd_ < 0) return sentence("opening the gallery journal", path_);
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && static_cast<std::uint64_t>(st.st_size) < end_) {
    // Someone removed or cut the journal: its records are gone from disk. Start it anew; the
    // store rewrites media-data.json from memory at once (`take_lost`).
    end_ = 0;
    records_ = 0;
    lost_ = true;
  }
  // The file may have just been created: its name must be durable before any record in it is.
  if (auto e = sync_folder_of(path_); !e.empty()) {
    ::close(fd_);
    fd_ = -1;
    return e;
  }
  return {};
}

std::string gallery_journal::append(const std::string& lines, std::size_t count) {
  // A journal unlinked under us (its folder removed) would take writes that no start-up reads.
  struct stat st {};
  if (fd_ >= 0 && ::fstat(fd_, &st) == 0 && st.st_nlink == 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (auto e = ensure_open(); !e.empty()) return e;
  // Written at our own end, not with O_APPEND: whatever a failed write left past it is
  // overwritten by the next group, and cut off here right away when the disk allows.
  if (write_all_at(fd_, lines, end_) && ::fdatasync(fd_) == 0) {
    end_ += lines.size();
    records_ += count;
    return {};
  }
  auto e = sentence("appending to the gallery journal", path_);
  if (::ftruncate(fd_, static_cast<off_t>(end_)) == 0) ::fdatasync(fd_);
  // After a failed fsync the kernel may have dropped the pages: start over with a fresh
  // descriptor next time.
  ::close(fd_);
  fd_ = -1;
  return e;
}

std::string gallery_journal::keep_from(std::uint64_t offset, std::size_t records_before) {
  if (auto e = ensure_open(); !e.empty()) return e;
  std::string rest(static_cast<std::size_t>(end_ - offset), '\0');
  std::size_t done = 0;
  while (done < rest.size()) {
    auto n = ::pread(fd_, rest.data() + done, rest.size() - done, static_cast<off_t>(offset + done));
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return sentence("reading the gallery journal", path_);
    }
    done += static_cast<std::size_t>(n);
  }
  if (auto e = write_file_atomically(path_, rest); !e.empty()) return e;
  ::close(fd_);
  fd_ = -1;
  end_ = rest.size();
  records_ -= records_before;
  return ensure_open();
}

} // namespace mediagen
