#include "fake_comfyui_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <doctest/doctest.h>

namespace mediagen::testing {

namespace {

constexpr const char* python = "/usr/bin/python3";
constexpr const char* script = MEDIAGEN_SOURCE_DIR "/tests/fakes/fake_comfyui.py";

// Reaps `pid` if it has exited; true when it has.
bool reaped(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == pid;
}

} // namespace

fake_comfyui_process::fake_comfyui_process(std::vector<std::string> flags, std::chrono::milliseconds patience) {
  static int counter = 0;
  auto stem = fs::temp_directory_path() /
              ("mediagen-fake-comfyui-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  stderr_path_ = stem.string() + ".log";
  root_ = stem.string() + "-root";
  fs::remove_all(root_);
  fs::create_directories(root_);
  std::vector<std::string> args = {python, script, "--port", "0", "--root", root_};
  for (auto& f : flags) args.push_back(f);
  // Everything the child needs is built before fork: it only calls async-signal-safe functions.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const char* err_path = stderr_path_.c_str();

  int out[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    // Child: stdout to the pipe, stderr to a file; die with the test process.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(out[1], 1);
    int err = ::open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (err >= 0) ::dup2(err, 2);
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  stdout_fd_ = out[0];

  // Read stdout until "LISTENING <port>\n", the child exits, or the deadline passes.
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (true) {
    auto at = text.find("LISTENING ");
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
      port_ = std::atoi(text.c_str() + at + 10);
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      stop();
      std::error_code ec;
      fs::remove_all(root_, ec);
      FAIL("fake ComfyUI did not print LISTENING within " << patience.count() << " ms; stdout: " << text
                                                          << " stderr: " << stderr_text());
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 200)));
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      char buf[512];
      auto got = ::read(stdout_fd_, buf, sizeof buf);
      if (got > 0) {
        text.append(buf, static_cast<size_t>(got));
        continue;
      }
      if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
        // EOF: the child is gone (or closed its stdout): make sure of it and reap it.
        kill_hard();
        std::error_code ec;
        fs::remove_all(root_, ec);
        FAIL("fake ComfyUI exited at start; stdout: " << text << " stderr: " << stderr_text());
      }
    }
  }
  REQUIRE(port_ > 0);
}

fake_comfyui_process::~fake_comfyui_process() {
  stop();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  std::error_code ec;
  fs::remove(stderr_path_, ec);
  fs::remove_all(root_, ec);
}

std::string fake_comfyui_process::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string fake_comfyui_process::flag() const { return "--comfyui-url=" + url(); }

void fake_comfyui_process::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void fake_comfyui_process::stop(std::chrono::milliseconds patience) {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (reaped(pid_)) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill_hard();
}

httplib::Client fake_comfyui_process::client() const {
  httplib::Client c("127.0.0.1", port_);
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(5, 0);
  c.set_write_timeout(5, 0);
  return c;
}

json::document fake_comfyui_process::get_json(const std::string& path) const {
  auto c = client();
  auto res = c.Get(path.c_str());
  INFO("GET " << path << " on the fake ComfyUI");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  return parse_json(res->body);
}

json::document fake_comfyui_process::config(const std::string& knobs) const {
  auto c = client();
  auto res = c.Post("/_fake/config", knobs, "application/json");
  INFO("POST /_fake/config " << knobs);
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  return parse_json(res->body);
}

json::document fake_comfyui_process::log() const { return get_json("/_fake/log"); }

json::document fake_comfyui_process::state() const { return get_json("/_fake/state"); }

void fake_comfyui_process::reset(bool config) const {
  auto c = client();
  auto res = c.Post("/_fake/reset", config ? R"({"config":true})" : "{}", "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
}

std::string fake_comfyui_process::stderr_text() const { return read_file(stderr_path_); }

} // namespace mediagen::testing
