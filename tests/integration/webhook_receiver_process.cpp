#include "webhook_receiver_process.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

namespace mediagen::testing {

webhook_receiver_process::webhook_receiver_process(const std::string& secret, const std::string& tls_cert,
                                                   const std::string& tls_key)
    : tls_(!tls_cert.empty()) {
  std::vector<std::string> args = {
      "/usr/bin/python3", MEDIAGEN_SOURCE_DIR "/tests/fakes/webhook_receiver.py", "--port", "0", "--secret", secret};
  if (tls_) args.insert(args.end(), {"--tls-cert", tls_cert, "--tls-key", tls_key});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int out[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(out[1], 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (text.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buf[256];
    auto got = ::read(out[0], buf, sizeof buf);
    if (got <= 0) break;
    text.append(buf, static_cast<std::size_t>(got));
  }
  ::close(out[0]);
  auto at = text.find("LISTENING ");
  if (at != std::string::npos) port_ = std::atoi(text.c_str() + at + 10);
  REQUIRE_MESSAGE(port_ > 0, "the webhook receiver did not start: " << text);
}

webhook_receiver_process::~webhook_receiver_process() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

std::string webhook_receiver_process::url(const std::string& path) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

httplib::Client webhook_receiver_process::client() const {
  httplib::Client c(url(""));
  c.enable_server_certificate_verification(false); // the test's own self-signed receiver
  c.set_read_timeout(5, 0);
  return c;
}

void webhook_receiver_process::answer(const std::vector<int>& statuses, int fallback, int delay_ms) const {
  std::string body = "{\"statuses\":[";
  for (std::size_t i = 0; i < statuses.size(); ++i) body += (i ? "," : "") + std::to_string(statuses[i]);
  body += "],\"default\":" + std::to_string(fallback) + ",\"delayMs\":" + std::to_string(delay_ms) + "}";
  auto c = client();
  auto res = c.Post("/_control", body, "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
}

json::document webhook_receiver_process::received() const {
  auto c = client();
  auto res = c.Get("/_received");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  return parse_json(res->body);
}

} // namespace mediagen::testing
