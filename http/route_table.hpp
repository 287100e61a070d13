#pragma once
// The routes the server answers, kept beside httplib's own handler lists (which are private):
// what a path allows is what 405's `Allow` and OPTIONS need, and what tells 404 from 405.

#include <regex>
#include <string>
#include <vector>

#include <httplib.h>

namespace mediagen {

class route_table {
public:
  explicit route_table(httplib::Server& server) : server_(server) {}

  // Named like httplib::Server's own, so route files read the same either way.
  route_table& Get(const std::string& pattern, httplib::Server::Handler handler); ///< also answers HEAD
  route_table& Post(const std::string& pattern, httplib::Server::Handler handler);
  route_table& Put(const std::string& pattern, httplib::Server::Handler handler);
  route_table& Delete(const std::string& pattern, httplib::Server::Handler handler);

  /// The methods `path` answers, as an `Allow` value ("GET, HEAD, OPTIONS"); "" when no route matches.
  std::string allowed_methods(const std::string& path) const;

private:
  struct route {
    std::regex pattern;
    std::string prefix; ///< the pattern's literal start: most paths are told apart without a regex
    bool literal;       ///< the pattern is all prefix: equality decides
    std::string method;
  };
  void add(const std::string& pattern, const char* method);

  httplib::Server& server_;
  std::vector<route> routes_;
};

/// Whether `method` is one of an `Allow` value's methods.
bool allows(const std::string& allow, const std::string& method);

} // namespace mediagen
