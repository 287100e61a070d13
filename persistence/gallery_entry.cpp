#include "persistence/gallery_entry.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace mediagen {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

std::string field(const json::value& object, const char* name) { return json::get_string(object, name).value_or(""); }

std::string trimmed(std::string s) {
  s.erase(0, s.find_first_not_of(' '));
  if (auto end = s.find_last_not_of(' '); end != std::string::npos)
    s.erase(end + 1);
  else
    s.clear();
  return s;
}

} // namespace

gallery_entry make_gallery_entry(const json::value& object) {
  gallery_entry e;
  e.uid = json::get_int(object, "uid").value_or(0);
  e.json = json::stringify(object);
  auto name = lower_ascii(field(object, "name"));
  auto prompt = lower_ascii(field(object, "prompt"));
  e.name_length = static_cast<std::uint32_t>(name.size());
  e.prompt_length = static_cast<std::uint32_t>(prompt.size());
  e.search = name + prompt + lower_ascii(field(object, "description"));
  e.search.shrink_to_fit();
  auto ts = field(object, "timestamp");
  if (ts.size() >= sizeof e.date) std::memcpy(e.date, lower_ascii(ts.substr(0, sizeof e.date)).data(), sizeof e.date);
  if (auto* list = json::member(object, "tags"); list && list->IsArray())
    for (auto& t : list->GetArray())
      if (t.IsString()) e.tags.push_back(lower_ascii(t.GetString()));
  e.task_id = field(object, "taskId");
  e.folder = field(object, "folder");
  return e;
}

prepared_query::prepared_query(const gallery_query& q)
    : needle(lower_ascii(q.text)), by_folder(q.by_folder), folder(q.folder) {
  std::size_t start = 0;
  while (start <= q.tags.size()) {
    auto comma = q.tags.find(',', start);
    auto tag = trimmed(q.tags.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!tag.empty()) tags.push_back(lower_ascii(tag));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

bool prepared_query::matches(const gallery_entry& e) const {
  if (e.deleted) return false;
  if (by_folder && e.folder != folder) return false;
  if (!needle.empty()) {
    std::string_view all(e.search);
    auto name = all.substr(0, e.name_length);
    auto prompt = all.substr(e.name_length, e.prompt_length);
    auto description = all.substr(std::size_t{e.name_length} + e.prompt_length);
    bool date_match = e.date[0] != 0 && needle.size() == sizeof e.date &&
                      std::memcmp(needle.data(), e.date, sizeof e.date) == 0;
    if (!date_match && name.find(needle) == std::string_view::npos && prompt.find(needle) == std::string_view::npos &&
        description.find(needle) == std::string_view::npos)
      return false;
  }
  for (auto& t : tags)
    if (std::find(e.tags.begin(), e.tags.end(), t) == e.tags.end()) return false;
  return true;
}

} // namespace mediagen
