// UUID v4 generation and ComfyUI base URL parsing.

#include <doctest/doctest.h>

#include <set>
#include <thread>
#include <vector>

#include "backends/comfyui/base_url.hpp"
#include "backends/comfyui/prompt_id.hpp"

using namespace mediagen::comfyui;

TEST_SUITE("comfyui ids and urls") {

  TEST_CASE("uuid v4 strings have the canonical form and do not repeat") {
    std::set<std::string> seen;
    for (int i = 0; i < 2000; ++i) {
      const auto id = new_uuid_v4();
      CHECK(is_uuid_v4(id));
      seen.insert(id);
    }
    CHECK(seen.size() == 2000);
    CHECK_FALSE(is_uuid_v4(""));
    CHECK_FALSE(is_uuid_v4("5b0c8a3e-2f41-3c57-9d0e-7a1f3c2b9e64")); // version 3
    CHECK_FALSE(is_uuid_v4("5b0c8a3e-2f41-4c57-7d0e-7a1f3c2b9e64")); // bad variant
    CHECK_FALSE(is_uuid_v4("5b0c8a3e2f414c579d0e7a1f3c2b9e64"));
    CHECK(is_uuid_v4("5b0c8a3e-2f41-4c57-9d0e-7a1f3c2b9e64"));
  }

  TEST_CASE("a seeded generator is deterministic, and thread-safe") {
    uuid_generator a(42), b(42), c(43);
    const auto a1 = a.next();
    CHECK(a1 == b.next());
    CHECK(a1 != c.next());
    CHECK(a.next() != a1);

    uuid_generator shared;
    std::vector<std::string> ids[4];
    std::vector<std::thread> threads;
    for (auto& v : ids)
      threads.emplace_back([&shared, &v] {
        for (int i = 0; i < 500; ++i) v.push_back(shared.next());
      });
    for (auto& t : threads) t.join();
    std::set<std::string> all;
    for (auto& v : ids) all.insert(v.begin(), v.end());
    CHECK(all.size() == 2000);
  }

  TEST_CASE("base URLs") {
    auto u = parse_base_url("http://127.0.0.1:8188");
    REQUIRE(u);
    CHECK(u->host == "127.0.0.1");
    CHECK(u->port == 8188);
    CHECK(u->prefix.empty());
    CHECK(u->to_string() == "http://127.0.0.1:8188");
    CHECK(u->path("/prompt") == "/prompt");
    CHECK(u->ws_url("abc-1") == "ws://127.0.0.1:8188/ws?clientId=abc-1");

    auto p = parse_base_url(" http://gpu1:9000/comfy/api/ ");
    REQUIRE(p);
    CHECK(p->prefix == "/comfy/api");
    CHECK(p->path("/history/x") == "/comfy/api/history/x");
    CHECK(p->ws_url("id") == "ws://gpu1:9000/comfy/api/ws?clientId=id");

    auto bare = parse_base_url("localhost");
    REQUIRE(bare);
    CHECK(bare->port == 8188);
    CHECK(bare->origin() == "http://localhost:8188");

    auto noport = parse_base_url("http://example.org");
    REQUIRE(noport);
    CHECK(noport->port == 80);

    auto v6 = parse_base_url("http://[::1]:8188");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->origin() == "http://[::1]:8188");

    auto tls = parse_base_url("https://comfy.example.org");
    REQUIRE(tls);
    CHECK(tls->port == 443);
    CHECK(tls->ws_url("x").rfind("wss://", 0) == 0);

    std::string err;
    CHECK_FALSE(parse_base_url("ftp://x:1", &err));
    CHECK(err.find("http://") != std::string::npos);
    CHECK_FALSE(parse_base_url("http://:8188", &err));
    CHECK_FALSE(parse_base_url("http://host:99999", &err));
    CHECK(err.find("port") != std::string::npos);
    CHECK_FALSE(parse_base_url("http://host:80x", &err));
    CHECK_FALSE(parse_base_url("http://host:8188/x?y=1", &err));
    CHECK_FALSE(parse_base_url("", &err));
    CHECK(percent_encode("a b/c?d") == "a%20b%2Fc%3Fd");
  }

} // TEST_SUITE
