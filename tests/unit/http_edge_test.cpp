#include <doctest/doctest.h>

#include "http/access_log.hpp"
#include "http/api_keys.hpp"
#include "http/cors.hpp"
#include "http/request_id.hpp"
#include "http/route_table.hpp"
#include "http/standard_headers.hpp"

using namespace mediagen;

TEST_CASE("route_table: what a path allows, from the routes as registered") {
  httplib::Server server;
  route_table routes(server);
  auto nothing = [](const httplib::Request&, httplib::Response&) {};
  routes.Get("/healthz", nothing).Post("/generate", nothing);
  routes.Get(R"(/tasks/([^/]+))", nothing).Delete(R"(/tasks/([^/]+))", nothing);
  routes.Get("/media-data", nothing).Get(R"(/media/(.+))", nothing);
  CHECK(routes.allowed_methods("/healthz") == "GET, HEAD, OPTIONS");
  CHECK(routes.allowed_methods("/generate") == "POST, OPTIONS");
  CHECK(routes.allowed_methods("/tasks/abc") == "GET, HEAD, DELETE, OPTIONS");
  CHECK(routes.allowed_methods("/tasks/abc/def") == "");
  CHECK(routes.allowed_methods("/tasks/") == "");
  CHECK(routes.allowed_methods("/media-data") == "GET, HEAD, OPTIONS");
  CHECK(routes.allowed_methods("/media/a.png") == "GET, HEAD, OPTIONS");
  CHECK(routes.allowed_methods("/healthzz") == "");
  CHECK(allows("GET, HEAD, OPTIONS", "HEAD"));
  CHECK_FALSE(allows("GET, HEAD, OPTIONS", "POST"));
  CHECK_FALSE(allows("GET, HEAD, OPTIONS", "GE"));
}

TEST_CASE("api keys: Bearer or access_token where allowed, every key tried") {
  api_key_check keys({"alpha-key", "beta-key-longer"});
  CHECK(keys.is_key("alpha-key"));
  CHECK(keys.is_key("beta-key-longer"));
  CHECK_FALSE(keys.is_key("alpha-ke"));
  CHECK_FALSE(keys.is_key("alpha-keyy"));
  CHECK_FALSE(keys.is_key(""));
  httplib::Request req;
  CHECK(keys.check(req, "/status") == api_key_check::verdict::missing);
  CHECK(keys.check(req, "/healthz") == api_key_check::verdict::allowed);
  req.headers.emplace("Authorization", "Bearer  beta-key-longer ");
  CHECK(keys.check(req, "/status") == api_key_check::verdict::allowed);
  httplib::Request token;
  token.params.emplace("access_token", "alpha-key");
  CHECK(keys.check(token, "/progress/abc") == api_key_check::verdict::allowed);
  CHECK(keys.check(token, "/media/a.png") == api_key_check::verdict::allowed);
  CHECK(keys.check(token, "/media-data") == api_key_check::verdict::missing);
  CHECK(keys.check(token, "/tasks/abc") == api_key_check::verdict::missing);
  httplib::Request wrong;
  wrong.headers.emplace("Authorization", "Bearer nope");
  CHECK(keys.check(wrong, "/status") == api_key_check::verdict::invalid);
  CHECK(api_key_check({}).check(wrong, "/status") == api_key_check::verdict::allowed);
}

TEST_CASE("cors: exact origins or *") {
  cors_policy cors({"https://a.example", "http://b.example:8000"});
  CHECK(cors.allow_origin("https://a.example") == "https://a.example");
  CHECK(cors.allow_origin("http://b.example:8000") == "http://b.example:8000");
  CHECK(cors.allow_origin("http://b.example") == "");
  CHECK(cors.allow_origin("") == "");
  CHECK(cors_policy({"*"}).allow_origin("http://any.example") == "*");
  CHECK_FALSE(cors_policy({}).enabled());
}

TEST_CASE("request ids: cleaned, bounded, or made") {
  CHECK(request_id_from("abc-123") == "abc-123");
  CHECK(request_id_from("a b\nc") == "abc");
  CHECK(request_id_from(std::string(100, 'x')) == std::string(max_request_id_length, 'x'));
  CHECK(request_id_from("").size() == 16);
  CHECK(new_request_id() != new_request_id());
}

TEST_CASE("standard headers: IMF-fixdate, Vary merged once, httplib's gzip rule") {
  CHECK(http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
  httplib::Response res;
  add_vary(res, "Accept-Encoding");
  add_vary(res, "Origin");
  add_vary(res, "Accept-Encoding");
  CHECK(res.get_header_value("Vary") == "Accept-Encoding, Origin");
  CHECK(res.get_header_value_count("Vary") == 1);
  CHECK(compressible_content_type("application/json"));
  CHECK(compressible_content_type("text/plain"));
  CHECK_FALSE(compressible_content_type("text/event-stream"));
  CHECK_FALSE(compressible_content_type("image/png"));
}

TEST_CASE("access log: control bytes and quotes are escaped, the query never appears") {
  CHECK(log_quoted("a\"b\\c\nd") == "\"a\\\"b\\\\c\\x0ad\"");
  httplib::Request req;
  req.method = "GET";
  req.path = "/progress/abc";
  req.params.emplace("access_token", "secret");
  req.remote_addr = "127.0.0.1";
  httplib::Response res;
  res.status = 200;
  res.set_header("X-Request-Id", "rid");
  auto line = access_log_line(req, res, 1.5);
  CHECK(line == "info access id=rid remote=127.0.0.1 method=GET path=\"/progress/abc\" status=200 ms=1.50");
}
