#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "http/static_files.hpp"

using namespace mediagen;
namespace fs = std::filesystem;

TEST_CASE("static files: paths resolve inside the folder only, folders are their index.html") {
  auto base = fs::temp_directory_path() / ("mediagen-unit-static-" + std::to_string(::getpid()));
  fs::create_directories(base / "site" / "js");
  fs::create_directories(base / "site" / "empty");
  std::ofstream(base / "site" / "index.html") << "i";
  std::ofstream(base / "site" / "js" / "a.mjs") << "a";
  std::ofstream(base / "site" / ".hidden") << "h";
  std::ofstream(base / "secret.txt") << "s";
  fs::create_symlink(base / "secret.txt", base / "site" / "out.txt");
  fs::create_symlink(base / "site" / "js" / "a.mjs", base / "site" / "in.mjs");
  auto root = fs::canonical(base / "site").string();

  CHECK(static_file_for(root, "/") == root + "/index.html");
  CHECK(static_file_for(root, "/js/a.mjs") == root + "/js/a.mjs");
  CHECK(static_file_for(root, "//js//a.mjs") == root + "/js/a.mjs");
  CHECK(static_file_for(root, "/in.mjs") == root + "/js/a.mjs"); // a link that stays inside
  CHECK_FALSE(static_file_for(root, "/out.txt"));                // one that leaves
  CHECK_FALSE(static_file_for(root, "/../secret.txt"));
  CHECK_FALSE(static_file_for(root, "/js/../../secret.txt"));
  CHECK_FALSE(static_file_for(root, "/.hidden"));
  CHECK_FALSE(static_file_for(root, "/empty")); // a folder without index.html
  CHECK_FALSE(static_file_for(root, "/missing.js"));
  CHECK_FALSE(static_file_for(root, "relative"));
  CHECK_FALSE(static_file_for(root, std::string("/index.html\0x", 13)));
  CHECK_FALSE(static_file_for(root, "/js\\a.mjs"));
  // The folder's own name as a prefix of another folder's is not inside it.
  fs::create_directories(base / "site-other");
  std::ofstream(base / "site-other" / "x.js") << "x";
  fs::create_symlink(base / "site-other" / "x.js", base / "site" / "x.js");
  CHECK_FALSE(static_file_for(root, "/x.js"));
  fs::remove_all(base);
}

TEST_CASE("static files: content types of what a front end ships") {
  CHECK(static_content_type("/a/index.html") == "text/html; charset=utf-8");
  CHECK(static_content_type("a.mjs") == "text/javascript; charset=utf-8");
  CHECK(static_content_type("a.JS") == "text/javascript; charset=utf-8");
  CHECK(static_content_type("a.css") == "text/css; charset=utf-8");
  CHECK(static_content_type("a.svg") == "image/svg+xml");
  CHECK(static_content_type("a.woff2") == "font/woff2");
  CHECK(static_content_type("a.json") == "application/json");
  CHECK(static_content_type("noext") == "application/octet-stream");
}
