// How the server treats client connections: sync clients that hang up, quiet SSE
// streams, streams that would once have taken every HTTP thread, and pipelining.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "robustness_support.hpp"
#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;
using namespace mediagen::testing::robust;
using namespace std::chrono_literals;

namespace {

// Sends a slow sync request on a raw socket and hangs up while the task runs.
void hang_up_during(int port, const std::string& body) {
  raw_socket s(port);
  REQUIRE(s.connected());
  REQUIRE(s.send_all(http_request("POST", "/generate/sync", body, "application/json")));
  std::this_thread::sleep_for(400ms); // the task is running now
}

const char* slow = R"({"workflow":"Builtin Text to Image","prompt":"slow","orientation":"square","steps":120)";

} // namespace

TEST_CASE("sync: a client that hangs up does not cancel its task by default") {
  temp_folder data("hangup-keep");
  server_process server(data.path(), {"--builtin-workers=1"});
  auto c = server.client(10);
  hang_up_during(server.port(), std::string(slow) + "}");
  CHECK(eventually([&] { return supervisor_figure(c, "completed") == 1; }, 30s));
  CHECK(supervisor_figure(c, "cancelled") == 0);
}

TEST_CASE("sync: with cancelOnDisconnect a client that hangs up cancels its task") {
  temp_folder data("hangup-cancel");
  server_process server(data.path(), {"--builtin-workers=1"});
  auto c = server.client(10);
  hang_up_during(server.port(), std::string(slow) + R"(,"cancelOnDisconnect":true})");
  CHECK(eventually([&] { return supervisor_figure(c, "cancelled") == 1; }, 10s));
  CHECK(supervisor_figure(c, "completed") == 0);
  // A client that stays gets its answer as usual.
  auto res = post_json(c, "/generate/sync",
                       R"({"workflow":"Builtin Tiny","prompt":"stays","cancelOnDisconnect":true})");
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("sse: a silent stream gets a heartbeat comment, then its events") {
  temp_folder data("heartbeat");
  server_process server(data.path(), {"--builtin-workers=1", "--sse-heartbeat-seconds=1"});
  auto c = server.client(10);
  // The first task keeps the only worker busy; the second waits, and its stream goes quiet.
  start_async(c, std::string(slow) + "}");
  auto waiting = start_async(c, R"({"workflow":"Builtin Tiny","prompt":"waits"})");
  raw_socket s(server.port());
  REQUIRE(s.connected());
  REQUIRE(s.send_all(http_request("GET", "/progress/" + waiting)));
  std::string got = s.read_for(1800ms);
  CHECK(got.find("event: progress") != std::string::npos);
  CHECK(got.find(": heartbeat\n\n") != std::string::npos);
  bool closed = false;
  got += s.read_for(30s, &closed);
  CHECK(got.find("event: complete") != std::string::npos);
  CHECK(closed);
}

TEST_CASE("sse: open streams hold no worker: many more streams than workers, and the server keeps answering") {
  temp_folder data("stream-workers");
  server_process server(data.path(), {"--builtin-workers=1", "--http-workers=2", "--http-workers-max=2"});
  auto c = server.client(10);
  // Two long tasks ahead keep the third waiting, and its streams open, for seconds.
  const std::string long_task =
      R"({"workflow":"Builtin Text to Image","prompt":"long","orientation":"square","steps":200})";
  auto first = start_async(c, long_task);
  auto second = start_async(c, long_task);
  auto waiting = start_async(c, R"({"workflow":"Builtin Tiny","prompt":"waits"})");
  // With a thread per stream, two workers would serve two streams and nothing else.
  std::vector<std::unique_ptr<raw_socket>> streams;
  std::vector<std::string> heads;
  int accepted = 0;
  for (int i = 0; i < 40; ++i) {
    streams.push_back(std::make_unique<raw_socket>(server.port()));
    REQUIRE(streams.back()->send_all(http_request("GET", "/progress/" + waiting)));
    // Each answer's head, however slow a loaded machine makes it.
    std::string head;
    for (int tries = 0; tries < 100 && head.find("\r\n\r\n") == std::string::npos; ++tries)
      head += streams.back()->read_for(100ms);
    accepted += head.find(" 200 ") != std::string::npos;
    heads.push_back(head);
  }
  CHECK(accepted == 40);
  auto health = c.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  c.Delete(("/tasks/" + first).c_str());
  c.Delete(("/tasks/" + second).c_str());
  // Every stream then gets the waiting task's events and its end.
  int completed = 0;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    bool closed = false;
    auto got = heads[i] + streams[i]->read_for(30s, &closed);
    completed += got.find("event: complete") != std::string::npos;
  }
  CHECK(completed == 40);
}

TEST_CASE("http: pipelined requests on one connection are all answered, in order") {
  temp_folder data("pipeline");
  server_process server(data.path());
  raw_socket s(server.port());
  REQUIRE(s.connected());
  const std::string one = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const std::string last = "GET /tasks/nothere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  REQUIRE(s.send_all(one + one + last)); // three requests in one write
  bool closed = false;
  std::string got = s.read_for(5s, &closed);
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = got.find(needle); at != std::string::npos; at = got.find(needle, at + 1)) ++n;
    return n;
  };
  CHECK(count("HTTP/1.1 200 OK") == 2);
  CHECK(count("HTTP/1.1 404 Not Found") == 1);
  CHECK(got.rfind("HTTP/1.1 404") > got.rfind("HTTP/1.1 200"));
  CHECK(closed);
}

TEST_CASE("http: a read waiting for a worker goes ahead of the writes queued before it") {
  temp_folder data("reads-first");
  // One HTTP worker and one render thread: every request below waits for the one worker.
  server_process server(data.path(), {"--http-workers=1", "--http-workers-max=1", "--builtin-workers=1"});
  std::mutex m;
  std::vector<std::string> finished;
  auto send = [&](std::string name, std::function<int(httplib::Client&)> call) {
    return std::thread([&, name, call] {
      auto c = server.client(120);
      int status = call(c);
      std::lock_guard<std::mutex> lock(m);
      finished.push_back(name + " " + std::to_string(status));
    });
  };
  auto sync = [](int steps) {
    return [steps](httplib::Client& c) {
      auto r = post_json(c, "/generate/sync",
                         std::string(slow).substr(0, std::strlen(slow) - 3) + std::to_string(steps) + "}");
      return r ? r->status : 0;
    };
  };
  std::vector<std::thread> clients;
  // The first sync request holds the worker for its whole render ...
  clients.push_back(send("hold", sync(200)));
  std::this_thread::sleep_for(300ms);
  // ... while three more writes and then a read queue for it, in this order.
  for (auto name : {"write1", "write2", "write3"}) {
    clients.push_back(send(name, sync(40)));
    std::this_thread::sleep_for(50ms);
  }
  clients.push_back(send("read", [](httplib::Client& c) {
    auto r = c.Get("/healthz");
    return r ? r->status : 0;
  }));
  for (auto& t : clients) t.join();
  std::string order;
  for (auto& f : finished) order += f + "; ";
  CAPTURE(order);
  REQUIRE(finished.size() == 5);
  for (auto& f : finished) CHECK(f.substr(f.size() - 3) == "200");
  // The read was answered as soon as the worker was free: before the writes queued ahead of it
  // (should the worker have been free when write1 came, before write2 and write3 at least).
  auto at = [&](const std::string& name) {
    return std::find_if(finished.begin(), finished.end(), [&](auto& f) { return f.rfind(name + " ", 0) == 0; }) -
           finished.begin();
  };
  CHECK(at("read") < at("write2"));
  CHECK(at("read") < at("write3"));
}
