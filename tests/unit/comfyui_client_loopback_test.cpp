// http_api over real HTTP against a tiny in-process fake of ComfyUI's routes (server.py):
// /prompt, /history/{id}, /view, /upload/image, /free, /interrupt, /queue, /system_stats.

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <rapidjson/document.h>

#include "backends/comfyui/http_api.hpp"
#include "backends/comfyui/instance_client.hpp"
#include "backends/comfyui/prompt_id.hpp"

using namespace mediagen::comfyui;

namespace {

/// Answers like ComfyUI's PromptServer, under "" and under "/api" (as newer servers do).
class fake_comfy {
public:
  std::mutex mutex;
  std::vector<std::string> prompt_bodies;
  std::map<std::string, std::string> history; // prompt_id -> entry JSON
  std::map<std::string, std::string> files;   // "type/subfolder/filename" -> bytes
  std::string last_free, last_interrupt, last_queue;
  std::map<std::string, std::string> last_upload_fields;
  bool ignore_client_prompt_id = false; // behave like servers older than mid-2025
  std::atomic<int> history_calls{0};

  fake_comfy() {
    for (const std::string p : {"", "/api"}) add_routes(p);
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
  }
  ~fake_comfy() {
    svr_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string url(const std::string& prefix = "") const { return "http://127.0.0.1:" + std::to_string(port_) + prefix; }

private:
  httplib::Server svr_;
  int port_ = 0;
  std::thread thread_;
  int number_ = 0;

  void add_routes(const std::string& p) {
    svr_.Post(p + "/prompt", [this](const httplib::Request& req, httplib::Response& res) {
      rapidjson::Document doc;
      doc.Parse(req.body.c_str(), req.body.size());
      if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("prompt")) {
        res.status = 400;
        res.set_content(R"({"error": "no prompt", "node_errors": []})", "application/json");
        return;
      }
      std::lock_guard<std::mutex> lock(mutex);
      prompt_bodies.push_back(req.body);
      const auto& prompt = doc["prompt"];
      for (auto m = prompt.MemberBegin(); m != prompt.MemberEnd(); ++m) {
        const std::string cls = m->value["class_type"].GetString();
        if (cls == "NoSuchNode") {
          res.status = 400;
          res.set_content(
              std::string(
                  R"({"error": {"type": "invalid_prompt", "message": "Cannot execute because node NoSuchNode does not exist.", "details": "Node ID '#)") +
                  m->name.GetString() + R"('", "extra_info": {}}, "node_errors": {}})",
              "application/json");
          return;
        }
        if (cls == "OldServerRefusal") {
          res.status = 400;
          res.set_content(R"({"error": "no prompt", "node_errors": []})", "application/json");
          return;
        }
      }
      std::string id = "11111111-2222-4333-8444-555555555555";
      if (!ignore_client_prompt_id && doc.HasMember("prompt_id")) id = doc["prompt_id"].GetString();
      res.set_content(R"({"prompt_id": ")" + id + R"(", "number": )" + std::to_string(number_++) +
                          R"(, "node_errors": {}})",
                      "application/json");
    });
    svr_.Get(p + R"(/history/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      ++history_calls;
      const std::string id = req.matches[1];
      if (id == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      if (id == "boom") {
        res.status = 500;
        res.set_content("500 Internal Server Error\n\nServer got itself in trouble", "text/plain");
        return;
      }
      std::lock_guard<std::mutex> lock(mutex);
      auto it = history.find(id);
      res.set_content(it == history.end() ? "{}" : "{\"" + id + "\": " + it->second + "}", "application/json");
    });
    svr_.Get(p + "/view", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string type = req.has_param("type") ? req.get_param_value("type") : "output";
      const std::string sub = req.has_param("subfolder") ? req.get_param_value("subfolder") : "";
      const std::string key = type + "/" + sub + "/" + req.get_param_value("filename");
      std::lock_guard<std::mutex> lock(mutex);
      auto it = files.find(key);
      if (it == files.end()) {
        res.status = 404;
        return;
      }
      res.set_content(it->second, "image/png");
    });
    svr_.Post(p + "/upload/image", [this](const httplib::Request& req, httplib::Response& res) {
      if (!req.has_file("image")) {
        res.status = 400;
        return;
      }
      std::lock_guard<std::mutex> lock(mutex);
      last_upload_fields.clear();
      for (const auto& kv : req.files) last_upload_fields[kv.first] = kv.second.content;
      const auto image = req.get_file_value("image");
      const std::string type = req.has_file("type") ? req.get_file_value("type").content : "input";
      const std::string sub = req.has_file("subfolder") ? req.get_file_value("subfolder").content : "";
      const std::string overwrite = req.has_file("overwrite") ? req.get_file_value("overwrite").content : "";
      std::string name = image.filename;
      if (overwrite != "true" && overwrite != "1") {
        // server.py: "name (1).ext", "name (2).ext", ... unless the bytes are identical
        const auto dot = name.rfind('.');
        const std::string stem = name.substr(0, dot), ext = dot == std::string::npos ? "" : name.substr(dot);
        for (int i = 1;
             files.count(type + "/" + sub + "/" + name) && files[type + "/" + sub + "/" + name] != image.content; ++i)
          name = stem + " (" + std::to_string(i) + ")" + ext;
      }
      files[type + "/" + sub + "/" + name] = image.content;
      res.set_content(R"({"name": ")" + name + R"(", "subfolder": ")" + sub + R"(", "type": ")" + type + R"("})",
                      "application/json");
    });
    svr_.Post(p + "/free", [this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard<std::mutex> lock(mutex);
      last_free = req.body;
    });
    svr_.Post(p + "/interrupt", [this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard<std::mutex> lock(mutex);
      last_interrupt = req.body;
    });
    svr_.Post(p + "/queue", [this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard<std::mutex> lock(mutex);
      last_queue = req.body;
    });
    svr_.Get(p + "/system_stats", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"system": {"os": "posix", "comfyui_version": "0.3.40"}, "devices": []})", "application/json");
    });
  }
};

/// A loopback port nobody listens on: bound for a moment to pick it, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

const std::string graph =
    R"({"9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "mg"}, "_meta": {"title": "Save"}}})";

} // namespace

TEST_SUITE("comfyui http_api loopback") {

  TEST_CASE("submit_prompt sends prompt, client_id and our prompt_id - ComfyUI's answer is parsed") {
    fake_comfy fake;
    http_api api(fake.url());
    REQUIRE(api.valid());
    const std::string client = new_uuid_v4(), pid = new_uuid_v4();
    auto r = api.submit_prompt(graph, client, pid);
    CHECK(r.ok);
    CHECK(r.http_status == 200);
    CHECK(r.error.empty());
    CHECK(r.answer.accepted);
    CHECK(r.answer.prompt_id == pid);

    std::lock_guard<std::mutex> lock(fake.mutex);
    REQUIRE(fake.prompt_bodies.size() == 1);
    rapidjson::Document sent;
    sent.Parse(fake.prompt_bodies[0].c_str());
    REQUIRE(sent.IsObject());
    CHECK(std::string(sent["client_id"].GetString()) == client);
    CHECK(std::string(sent["prompt_id"].GetString()) == pid);
    CHECK(std::string(sent["prompt"]["9"]["class_type"].GetString()) == "SaveImage");
    CHECK(std::string(sent["prompt"]["9"]["_meta"]["title"].GetString()) == "Save");
  }

  TEST_CASE("an older server that picks its own prompt_id: the answer's id wins") {
    fake_comfy fake;
    fake.ignore_client_prompt_id = true;
    http_api api(fake.url());
    auto r = api.submit_prompt(graph, "c", new_uuid_v4());
    CHECK(r.ok);
    CHECK(r.answer.prompt_id == "11111111-2222-4333-8444-555555555555");
  }

  TEST_CASE("submit_prompt refused: 400 with an error object, 400 with a plain string, bad graph") {
    fake_comfy fake;
    http_api api(fake.url());
    auto r = api.submit_prompt(R"({"3": {"class_type": "NoSuchNode", "inputs": {}}})", "c", "p");
    CHECK_FALSE(r.ok);
    CHECK(r.http_status == 400);
    CHECK_FALSE(r.unreachable());
    CHECK(r.answer.error.type == "invalid_prompt");
    CHECK(r.error == "ComfyUI at " + fake.url() +
                         " refused the prompt: Cannot execute because node NoSuchNode does not exist (Node ID '#3').");

    auto s = api.submit_prompt(R"({"3": {"class_type": "OldServerRefusal", "inputs": {}}})", "c", "p");
    CHECK_FALSE(s.ok);
    CHECK(s.error == "ComfyUI at " + fake.url() + " refused the prompt: no prompt.");

    auto bad = api.submit_prompt("[not json", "c", "p");
    CHECK_FALSE(bad.ok);
    CHECK(bad.http_status == 0);
    CHECK(bad.error.find("not a JSON object") != std::string::npos);
    std::lock_guard<std::mutex> lock(fake.mutex);
    CHECK(fake.prompt_bodies.size() == 2); // the bad graph never left
  }

  TEST_CASE("get_history: {} while pending, then the written entry with its files") {
    fake_comfy fake;
    http_api api(fake.url());
    const std::string pid = new_uuid_v4();
    auto pending = api.get_history(pid);
    CHECK(pending.ok);
    CHECK_FALSE(pending.entry.found);

    {
      std::lock_guard<std::mutex> lock(fake.mutex);
      fake.history[pid] =
          R"({"prompt": [], "outputs": {"9": {"images": [{"filename": "mg_00001_.png", "subfolder": "", "type": "output"}]},
      "15": {"audio": [{"filename": "mg_00001_.flac", "subfolder": "audio", "type": "output"}]}},
      "status": {"status_str": "success", "completed": true, "messages": []}})";
    }
    auto done = api.get_history(pid);
    CHECK(done.ok);
    REQUIRE(done.entry.found);
    CHECK(done.entry.succeeded());
    REQUIRE(done.entry.files.size() == 2);
    CHECK(done.entry.files[1].kind == "audio");

    auto boom = api.get_history("boom");
    CHECK_FALSE(boom.ok);
    CHECK(boom.http_status == 500);
    CHECK(boom.error.find("ComfyUI at " + fake.url() + " answered GET /history/boom with HTTP 500") == 0);
  }

  TEST_CASE("view returns the bytes (binary safe, encoded names) - 404 and size limits are sentences") {
    fake_comfy fake;
    std::string bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    for (int i = 0; i < 200000; ++i) bytes.push_back(static_cast<char>(i * 7));
    {
      std::lock_guard<std::mutex> lock(fake.mutex);
      fake.files["output/sub dir/my file #1&x=2.png"] = bytes;
    }
    http_api api(fake.url());
    auto r = api.view("my file #1&x=2.png", "sub dir", "output");
    CHECK(r.ok);
    CHECK(r.bytes == bytes);
    CHECK(r.content_type == "image/png");

    auto missing = api.view("nope.png", "", "output");
    CHECK_FALSE(missing.ok);
    CHECK(missing.http_status == 404);
    CHECK(missing.error == "ComfyUI at " + fake.url() + " has no file 'nope.png' (type output).");

    http_options small;
    small.max_view_bytes = 1000;
    http_api limited(fake.url(), small);
    auto big = limited.view("my file #1&x=2.png", "sub dir", "output");
    CHECK_FALSE(big.ok);
    CHECK(big.error.find("larger than the allowed 1000 bytes") != std::string::npos);
  }

  TEST_CASE("upload_image answers the stored name, renaming on clash unless overwrite") {
    fake_comfy fake;
    http_api api(fake.url());
    auto a = api.upload_image("AAAA", "input.png");
    CHECK(a.ok);
    CHECK(a.name == "input.png");
    CHECK(a.type == "input");
    {
      std::lock_guard<std::mutex> lock(fake.mutex);
      CHECK(fake.last_upload_fields["type"] == "input");
      CHECK(fake.last_upload_fields["overwrite"] == "false");
      CHECK(fake.last_upload_fields["image"] == "AAAA");
    }
    auto b = api.upload_image("BBBB", "input.png");
    CHECK(b.ok);
    CHECK(b.name == "input (1).png");
    auto same = api.upload_image("AAAA", "input.png");
    CHECK(same.name == "input.png"); // identical bytes: ComfyUI reuses the file
    auto c = api.upload_image("CCCC", "input.png", "input", true);
    CHECK(c.name == "input.png");
    auto d = api.upload_image("DDDD", "mask.png", "temp", false, "masks");
    CHECK(d.ok);
    CHECK(d.type == "temp");
    CHECK(d.subfolder == "masks");
    std::lock_guard<std::mutex> lock(fake.mutex);
    CHECK(fake.files["input//input.png"] == "CCCC");
    CHECK(fake.files["temp/masks/mask.png"] == "DDDD");
  }

  TEST_CASE("free, interrupt, queue delete, system_stats") {
    fake_comfy fake;
    http_api api(fake.url());
    CHECK(api.free(true, false).ok);
    CHECK(api.interrupt("abc").ok);
    CHECK(api.queue_delete({"p1", "p2"}).ok);
    {
      std::lock_guard<std::mutex> lock(fake.mutex);
      CHECK(fake.last_free == R"({"unload_models":true,"free_memory":false})");
      CHECK(fake.last_interrupt == R"({"prompt_id":"abc"})");
      CHECK(fake.last_queue == R"({"delete":["p1","p2"]})");
    }
    CHECK(api.interrupt().ok);
    {
      std::lock_guard<std::mutex> lock(fake.mutex);
      CHECK(fake.last_interrupt == "{}");
    }
    auto stats = api.system_stats();
    CHECK(stats.ok);
    CHECK(stats.json.find("comfyui_version") != std::string::npos);
  }

  TEST_CASE("a path prefix is put in front of every route") {
    fake_comfy fake;
    http_api api(fake.url("/api"));
    CHECK(api.describe() == fake.url("/api"));
    CHECK(api.submit_prompt(graph, "c", "pp").ok);
    CHECK(api.get_history("pp").ok);
    CHECK(api.system_stats().ok);
    http_api wrong(fake.url("/nothing-here"));
    auto r = wrong.get_history("x");
    CHECK_FALSE(r.ok);
    CHECK(r.http_status == 404);
  }

  TEST_CASE("unreachable and slow servers give one sentence naming the URL") {
    const int port = closed_port();
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    http_api api(base);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = api.submit_prompt(graph, "c", "p");
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
    CHECK_FALSE(r.ok);
    CHECK(r.unreachable());
    CHECK(r.error == "ComfyUI at " + base + " is unreachable: connection refused.");
    CHECK(api.get_history("x").error == r.error);
    CHECK(api.view("a.png", "", "output").unreachable());
    CHECK(api.upload_image("x", "x.png").unreachable());
    CHECK(api.free(true, true).unreachable());
    CHECK(api.interrupt().unreachable());
    CHECK(api.queue_delete({"x"}).unreachable());
    CHECK(api.system_stats().unreachable());

    fake_comfy fake;
    http_options quick;
    quick.read_timeout = std::chrono::milliseconds(300);
    http_api impatient(fake.url(), quick);
    auto slow = impatient.get_history("slow");
    CHECK_FALSE(slow.ok);
    CHECK(slow.unreachable());
    CHECK(slow.error.find("ComfyUI at " + fake.url() + " did not answer GET /history/slow") == 0);

    http_api bad("ftp://nowhere");
    CHECK_FALSE(bad.valid());
    auto b = bad.system_stats();
    CHECK_FALSE(b.ok);
    CHECK(b.error.find("http://") != std::string::npos);
  }

  TEST_CASE("concurrent calls from several threads on one http_api") {
    fake_comfy fake;
    http_api api(fake.url());
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 10; ++i)
          if (api.get_history("p" + std::to_string(i)).ok) ++ok;
      });
    }
    for (auto& t : threads) t.join();
    CHECK(ok == 60);
    CHECK(fake.history_calls == 60);
  }

  TEST_CASE("instance_client: one clientId for /prompt and the socket - a non-WebSocket server is reported") {
    fake_comfy fake; // answers HTTP only: the WebSocket handshake gets a 404
    std::mutex m;
    std::vector<std::pair<bool, std::string>> states;
    instance_options opts;
    opts.ws.initial_backoff = std::chrono::milliseconds(50);
    opts.ws.max_backoff = std::chrono::milliseconds(100);
    instance_client inst(
        fake.url(), nullptr,
        [&](bool up, const std::string& why) {
          std::lock_guard<std::mutex> lock(m);
          states.emplace_back(up, why);
        },
        opts);
    REQUIRE(inst.valid());
    CHECK(is_uuid_v4(inst.client_id()));
    CHECK(inst.start());
    CHECK_FALSE(inst.wait_connected(std::chrono::milliseconds(400)));
    {
      std::lock_guard<std::mutex> lock(m);
      REQUIRE(states.size() == 1);
      CHECK_FALSE(states[0].first);
      CHECK(states[0].second.find("HTTP 404") != std::string::npos);
      CHECK(states[0].second.find("/ws?clientId=" + inst.client_id()) != std::string::npos);
    }
    auto r = inst.submit(graph, "pid-1");
    CHECK(r.ok);
    {
      std::lock_guard<std::mutex> lock(fake.mutex);
      CHECK(fake.prompt_bodies.back().find("\"client_id\":\"" + inst.client_id() + "\"") != std::string::npos);
    }
    CHECK(inst.api().get_history("pid-1").ok);
    const ws_stats stats = inst.socket_stats();
    CHECK(stats.connected == false);
    CHECK(stats.failures >= 1);
    inst.stop();

    instance_options fixed;
    fixed.client_id = "my-client";
    instance_client bad("gopher://x", nullptr, nullptr, fixed);
    CHECK_FALSE(bad.valid());
    CHECK(bad.client_id() == "my-client");
    CHECK_FALSE(bad.start());
    CHECK_FALSE(bad.submit(graph, "p").ok);
    CHECK_FALSE(bad.invalid_reason().empty());
    CHECK(bad.socket_stats().attempts == 0);
  }

} // TEST_SUITE
