// Many connections at once over loopback: idle keep-alive clients and SSE streams hold no
// thread, every stream gets every event, a client that never reads holds nobody up, a taken
// port is refused, and /metrics reports the process and its connections. No timing asserts:
// counts and contents only (speed is scripts/bench --connections).

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <map>
#include <netinet/in.h>
#include <poll.h>
#include <regex>
#include <set>
#include <sstream>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "robustness_support.hpp"
#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;
using namespace mediagen::testing::robust;
using namespace std::chrono_literals;

namespace {

// The test and the server it starts (which inherits the limit) need a descriptor per connection.
void raise_open_files(rlim_t wanted) {
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = std::min(wanted, limit.rlim_max);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
  REQUIRE(limit.rlim_cur >= wanted);
}

int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// One figure of the Prometheus text (the first sample of that name), or -1.
double metric(const std::string& text, const std::string& name) {
  std::size_t at = 0;
  while ((at = text.find(name, at)) != std::string::npos) {
    bool line_start = at == 0 || text[at - 1] == '\n';
    auto after = at + name.size();
    if (line_start && after < text.size() && (text[after] == ' ' || text[after] == '{')) {
      auto space = text.find(' ', text[after] == '{' ? text.find('}', after) : after);
      return std::stod(text.substr(space + 1));
    }
    at = after;
  }
  return -1;
}

/// What one SSE stream received: its events' ids and names, in order.
struct stream_record {
  int fd = -1;
  std::string task;
  std::string bytes;
  bool done = false;
};

/// Reads every stream until each has ended (its end chunk arrived or the server closed it),
/// or `timeout`; one thread, one poll over all of them.
void read_all(std::vector<stream_record>& streams, std::chrono::seconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  std::vector<pollfd> fds;
  std::vector<std::size_t> index;
  char buffer[65536];
  while (std::chrono::steady_clock::now() < until) {
    fds.clear();
    index.clear();
    for (std::size_t i = 0; i < streams.size(); ++i)
      if (!streams[i].done) {
        fds.push_back(pollfd{streams[i].fd, POLLIN, 0});
        index.push_back(i);
      }
    if (fds.empty()) return;
    if (::poll(fds.data(), fds.size(), 200) <= 0) continue;
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      auto& s = streams[index[k]];
      ssize_t n = ::recv(s.fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0) s.bytes.append(buffer, static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EAGAIN) || s.bytes.find("\r\n0\r\n\r\n") != std::string::npos) s.done = true;
    }
  }
}

struct parsed_stream {
  std::vector<std::int64_t> ids;
  std::vector<std::string> events;
};

parsed_stream parse_stream(const std::string& bytes) {
  // Each frame is one chunk, so chunk-size lines never fall inside a frame.
  static const std::regex frame("id: (\\d+)\nevent: (\\w+)\n");
  parsed_stream out;
  for (std::sregex_iterator it(bytes.begin(), bytes.end(), frame), end; it != end; ++it) {
    out.ids.push_back(std::stoll((*it)[1]));
    out.events.push_back((*it)[2]);
  }
  return out;
}

bool terminal(const std::string& event) {
  return event == "complete" || event == "error-event" || event == "cancelled";
}

const std::string medium_task =
    R"({"workflow":"Builtin Text to Image","prompt":"many streams","orientation":"square","steps":4})";

} // namespace

TEST_CASE("connections: 2,000 idle connections hold no thread while another client's 1,000 requests are answered") {
  raise_open_files(8192);
  temp_folder data("idle-many");
  server_process server(data.path());
  std::vector<int> idle;
  for (int i = 0; i < 2000; ++i) {
    int fd = connect_loopback(server.port());
    REQUIRE(fd >= 0);
    idle.push_back(fd);
  }
  auto c = server.client(30);
  int ok = 0;
  for (int i = 0; i < 1000; ++i) {
    auto res = c.Get("/healthz");
    ok += res && res->status == 200;
  }
  CHECK(ok == 1000);
  auto metrics = fetch(c, "/metrics");
  // Threads are for work: a thread per connection would make these 2,000 or more.
  INFO(metrics);
  CHECK(metric(metrics, "mediagen_http_connections_open") >= 2000);
  CHECK(metric(metrics, "process_threads") < 200);
  CHECK(metric(metrics, "mediagen_http_workers") < 100);
  for (int fd : idle) ::close(fd);
}

TEST_CASE("sse: 1,500 streams across 10 tasks each get every event and one terminal event") {
  raise_open_files(8192);
  temp_folder data("streams-many");
  server_process server(data.path(), {"--builtin-workers=1"});
  auto c = server.client(30);
  std::vector<std::string> tasks;
  for (int t = 0; t < 10; ++t) tasks.push_back(start_async(c, medium_task));
  std::vector<stream_record> streams(1500);
  for (std::size_t i = 0; i < streams.size(); ++i) {
    auto& s = streams[i];
    s.task = tasks[i % tasks.size()];
    s.fd = connect_loopback(server.port());
    REQUIRE(s.fd >= 0);
    auto request = http_request("GET", "/progress/" + s.task);
    REQUIRE(::send(s.fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  }
  read_all(streams, 120s);
  // The whole log of each task, replayed once it ended, is what every stream must have seen.
  std::map<std::string, std::vector<sse_event>> logs;
  for (auto& t : tasks) logs[t] = read_events(server.port(), t);
  int whole = 0;
  for (auto& s : streams) {
    auto got = parse_stream(s.bytes);
    auto& log = logs[s.task];
    bool same = got.ids.size() == log.size();
    for (std::size_t k = 0; same && k < log.size(); ++k)
      same = got.ids[k] == log[k].id && got.events[k] == log[k].event;
    int terminals = 0;
    for (auto& e : got.events) terminals += terminal(e);
    bool ok = s.done && same && terminals == 1 && !got.events.empty() && terminal(got.events.back());
    if (!ok) INFO("stream of " << s.task << " got " << got.ids.size() << " events of " << log.size());
    whole += ok;
    ::close(s.fd);
  }
  CHECK(whole == 1500);
  for (auto& [id, log] : logs) {
    CHECK(log.size() > 2); // progress events, not just the end
    CHECK(terminal(log.back().event));
  }
}

TEST_CASE("sse: a subscriber that never reads does not hold up the others") {
  temp_folder data("never-reads");
  server_process server(data.path(), {"--builtin-workers=1"});
  auto c = server.client(30);
  auto task = start_async(
      c, R"({"workflow":"Builtin Text to Image","prompt":"stalled reader","orientation":"square","steps":20})");
  // A tiny receive buffer, and it never reads: the server's writes to it soon block.
  int stalled = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 1024;
  ::setsockopt(stalled, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(stalled, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  auto request = http_request("GET", "/progress/" + task);
  REQUIRE(::send(stalled, request.data(), request.size(), MSG_NOSIGNAL) > 0);
  int status = 0;
  auto events = read_events(server.port(), task, -1, 60s, &status);
  CHECK(status == 200);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().event == "complete");
  auto health = c.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  ::close(stalled);
}

TEST_CASE("sse: HEAD on a progress stream answers its headers only, and the connection serves the next request") {
  temp_folder data("sse-head");
  server_process server(data.path());
  auto c = server.client(10);
  auto task = start_async(c, R"({"workflow":"Builtin Tiny","prompt":"head"})");
  raw_socket s(server.port());
  // Two requests in one write; the first keeps the connection open.
  REQUIRE(
      s.send_all("HEAD /progress/" + task + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + http_request("GET", "/healthz")));
  auto got = s.read_for(1500ms);
  CHECK(got.find("HTTP/1.1 200") == 0);
  CHECK(got.find("text/event-stream") != std::string::npos);
  CHECK(got.find("event:") == std::string::npos);
  CHECK(got.find("{\"status\":\"ok\"}") != std::string::npos);
  // The subscription the HEAD made was released.
  CHECK(eventually([&] { return metric(fetch(c, "/metrics"), "mediagen_sse_subscribers") == 0; }, 5s));
}

TEST_CASE("startup: a port another mediagen listens on is refused with a clear message") {
  temp_folder data("port-taken"), other("port-taken-2");
  server_process server(data.path());
  auto log_path = other.path() / "second.log";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    std::string config = std::string("--config=") + MEDIAGEN_SOURCE_DIR + "/config/server.json";
    std::string dir = "--data-dir=" + other.path().string();
    std::string port = "--port=" + std::to_string(server.port());
    ::execl(MEDIAGEN_BINARY, MEDIAGEN_BINARY, config.c_str(), dir.c_str(), port.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  bool exited = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 20s);
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  REQUIRE(exited);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) != 0);
  auto log = read_file(log_path);
  INFO(log);
  CHECK(log.find("already in use") != std::string::npos);
  // The first server keeps every connection.
  auto c = server.client(5);
  for (int i = 0; i < 20; ++i) {
    httplib::Client fresh("127.0.0.1", server.port());
    auto res = fresh.Get("/healthz");
    REQUIRE(res);
    CHECK(res->status == 200);
  }
}

TEST_CASE("metrics: process and connection figures, in Prometheus text format") {
  temp_folder data("process-metrics");
  server_process server(data.path());
  auto c = server.client(10);
  auto text = fetch(c, "/metrics");
  INFO(text);
  CHECK(metric(text, "process_resident_memory_bytes") > 1e6);
  CHECK(metric(text, "process_open_fds") > 3);
  CHECK(metric(text, "process_max_fds") >= metric(text, "process_open_fds"));
  CHECK(metric(text, "process_cpu_seconds_total") >= 0);
  CHECK(metric(text, "process_threads") >= 2);
  auto now = static_cast<double>(std::time(nullptr));
  CHECK(metric(text, "process_start_time_seconds") > now - 600);
  CHECK(metric(text, "process_start_time_seconds") <= now + 1);
  CHECK(metric(text, "mediagen_build_info") == 1);
  CHECK(text.find("mediagen_build_info{version=\"") != std::string::npos);
  CHECK(metric(text, "mediagen_http_connections_open") >= 1);
  CHECK(metric(text, "mediagen_http_workers_busy") >= 1); // this very request
  CHECK(metric(text, "mediagen_http_workers") >= 1);
  CHECK(metric(text, "mediagen_http_sse_streams_dropped_total") == 0);
  // Every sample line is `name{labels} value`, and every name was declared by # TYPE.
  static const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? -?[0-9.e+-]+(\.[0-9]+)?$)");
  std::set<std::string> typed;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      typed.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    std::smatch m;
    REQUIRE_MESSAGE(std::regex_match(line, m, sample), line);
    auto name = m[1].str();
    for (auto* suffix : {"_bucket", "_sum", "_count"})
      if (!typed.count(name) && name.size() > std::strlen(suffix) &&
          name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
        name.resize(name.size() - std::strlen(suffix));
    CHECK_MESSAGE(typed.count(name), line);
  }
}
