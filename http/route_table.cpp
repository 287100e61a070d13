#include "http/route_table.hpp"

namespace mediagen {

void route_table::add(const std::string& pattern, const char* method) {
  auto special = pattern.find_first_of("()[]{}.*+?^$|\\");
  routes_.push_back(route{std::regex(pattern), pattern.substr(0, special), special == std::string::npos, method});
}

route_table& route_table::Get(const std::string& pattern, httplib::Server::Handler handler) {
  add(pattern, "GET");
  server_.Get(pattern, std::move(handler));
  return *this;
}

route_table& route_table::Post(const std::string& pattern, httplib::Server::Handler handler) {
  add(pattern, "POST");
  server_.Post(pattern, std::move(handler));
  return *this;
}

route_table& route_table::Put(const std::string& pattern, httplib::Server::Handler handler) {
  add(pattern, "PUT");
  server_.Put(pattern, std::move(handler));
  return *this;
}

route_table& route_table::Delete(const std::string& pattern, httplib::Server::Handler handler) {
  add(pattern, "DELETE");
  server_.Delete(pattern, std::move(handler));
  return *this;
}

std::string route_table::allowed_methods(const std::string& path) const {
  bool get = false, post = false, put = false, del = false;
  for (auto& r : routes_) {
    // httplib matches a route when the whole path matches its pattern; so does this.
    if (r.literal ? path != r.prefix : path.rfind(r.prefix, 0) != 0 || !std::regex_match(path, r.pattern)) continue;
    get |= r.method == "GET";
    post |= r.method == "POST";
    put |= r.method == "PUT";
    del |= r.method == "DELETE";
  }
  if (!get && !post && !put && !del) return {};
  std::string allow;
  if (get) allow += "GET, HEAD, ";
  if (post) allow += "POST, ";
  if (put) allow += "PUT, ";
  if (del) allow += "DELETE, ";
  return allow + "OPTIONS";
}

bool allows(const std::string& allow, const std::string& method) {
  std::size_t at = 0;
  while (at < allow.size()) {
    auto end = allow.find(", ", at);
    if (end == std::string::npos) end = allow.size();
    if (allow.compare(at, end - at, method) == 0) return true;
    at = end + 2;
  }
  return false;
}

} // namespace mediagen
