// The gallery routes of the Node server's client: folders, /edit, DELETE /media-data/delete and
// /tags, with the shapes that client reads (folder-select.mjs: {list, current}; the gallery's edit
// and delete: {success, data} and {success, deletedCount}). Refusals change nothing on disk; what
// was acknowledged survives a restart and a kill -9.

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;
using namespace std::chrono_literals;

namespace {

httplib::Result send(httplib::Client& c, const char* method, const std::string& path, const std::string& body) {
  if (std::string(method) == "PUT") return c.Put(path.c_str(), body, "application/json");
  if (std::string(method) == "DELETE") return c.Delete(path.c_str(), body, "application/json");
  return c.Post(path.c_str(), body, "application/json");
}

// Generates one entry and returns it (as the task's result holds it).
json::document generate(httplib::Client& c, const std::string& prompt, const std::string& extra = "") {
  auto id = start_async(c, R"({"workflow":"Builtin Tiny","prompt":")" + prompt + "\"" + extra + "}");
  for (int i = 0; i < 3000; ++i) {
    auto d = parse_json(fetch(c, "/tasks/" + id));
    std::string state = d["state"].GetString();
    if (state == "completed") {
      json::document r;
      r.CopyFrom(d["result"], r.GetAllocator());
      return r;
    }
    REQUIRE((state == "queued" || state == "running"));
    std::this_thread::sleep_for(20ms);
  }
  FAIL("task did not end");
  return {};
}

fs::path journal_of(const fs::path& data) { return data / "database" / "media-data.journal"; }

// What is on disk: media-data.json and its journal, byte for byte.
std::string disk_state(const fs::path& data) {
  auto read = [](const fs::path& p) { return fs::exists(p) ? read_file(p) : std::string("<absent>"); };
  return read(database_file(data)) + "\n--journal--\n" + read(journal_of(data));
}

bool folder_listed(const json::value& folders, const std::string& uid, const std::string& label) {
  for (auto& f : folders["list"].GetArray())
    if (string_field(f, "uid") == uid && string_field(f, "label") == label) return true;
  return false;
}

} // namespace

TEST_CASE("gallery: folders as the Node client reads them, and new entries go to the current one") {
  temp_folder data("folders");
  server_process server(data.path());
  auto c = server.client();

  auto initial = parse_json(fetch(c, "/folder"));
  REQUIRE(initial["list"].IsArray());
  REQUIRE(initial["list"].Size() == 1);
  CHECK(string_field(initial["list"][0], "uid") == "");
  CHECK(string_field(initial["list"][0], "label") == "Unsorted");
  CHECK(string_field(initial, "current") == "");

  auto unsorted_entry = generate(c, "before any folder");
  CHECK(string_field(unsorted_entry, "folder") == "");

  // POST {label}: created and selected.
  auto created = send(c, "POST", "/folder", R"({"label":"  Cats  "})");
  REQUIRE(created);
  REQUIRE(created->status == 200);
  auto folders = parse_json(created->body);
  REQUIRE(folders["list"].Size() == 2);
  auto cats = string_field(folders["list"][1], "uid");
  CHECK(cats.rfind("folder-", 0) == 0);
  CHECK(string_field(folders["list"][1], "label") == "Cats");
  CHECK(string_field(folders, "current") == cats);
  // The same label again finds it instead of making a second one.
  CHECK(parse_json(send(c, "POST", "/folder", R"({"label":"Cats"})")->body)["list"].Size() == 2);

  auto cat_entry = generate(c, "a cat");
  CHECK(string_field(cat_entry, "folder") == cats);
  CHECK(string_field(parse_json(fetch(c, "/media-data/" + std::to_string(cat_entry["uid"].GetInt64()))), "folder") ==
        cats);

  // /media-data lists the current folder by default; folder= picks one ("" is Unsorted).
  auto listed = parse_json(fetch(c, "/media-data"));
  REQUIRE(listed.Size() == 1);
  CHECK(listed[0]["uid"] == cat_entry["uid"]);
  auto in_unsorted = parse_json(fetch(c, "/media-data?folder="));
  REQUIRE(in_unsorted.Size() == 1);
  CHECK(in_unsorted[0]["uid"] == unsorted_entry["uid"]);
  CHECK(parse_json(fetch(c, "/media-data?folder=" + cats)).Size() == 1);

  // POST {uid}: selects; {uid, label}: creates that uid (or renames it) and selects it.
  CHECK(string_field(parse_json(send(c, "POST", "/folder", R"({"uid":""})")->body), "current") == "");
  auto put = parse_json(send(c, "POST", "/folder", R"({"uid":"dogs","label":"Dogs"})")->body);
  CHECK(folder_listed(put, "dogs", "Dogs"));
  CHECK(string_field(put, "current") == "dogs");
  // PUT renames without selecting.
  auto renamed = send(c, "PUT", "/folder", "{\"uid\":\"" + cats + "\",\"label\":\"Felines\"}");
  REQUIRE(renamed);
  REQUIRE(renamed->status == 200);
  CHECK(folder_listed(parse_json(renamed->body), cats, "Felines"));
  CHECK(string_field(parse_json(renamed->body), "current") == "dogs");

  // Restart: folders, labels and the selection are on disk.
  CHECK(server.stop() == 0);
  server_process again(data.path());
  auto c2 = again.client();
  auto reloaded = parse_json(fetch(c2, "/folder"));
  CHECK(folder_listed(reloaded, cats, "Felines"));
  CHECK(folder_listed(reloaded, "dogs", "Dogs"));
  CHECK(string_field(reloaded, "current") == "dogs");

  // DELETE /folder/:uid: gone, its entries in Unsorted, the selection back to Unsorted if it was it.
  REQUIRE(string_field(parse_json(send(c2, "POST", "/folder", "{\"uid\":\"" + cats + "\"}")->body), "current") == cats);
  auto deleted = c2.Delete(("/folder/" + cats).c_str());
  REQUIRE(deleted);
  REQUIRE(deleted->status == 200);
  auto after = parse_json(deleted->body);
  CHECK(after["list"].Size() == 2);
  CHECK_FALSE(folder_listed(after, cats, "Felines"));
  CHECK(string_field(after, "current") == "");
  CHECK(string_field(parse_json(fetch(c2, "/media-data/" + std::to_string(cat_entry["uid"].GetInt64()))), "folder") ==
        "");
  CHECK(parse_json(fetch(c2, "/media-data")).Size() == 2);
  CHECK(again.stop() == 0);
  auto file = parse_json(read_file(database_file(data.path())));
  CHECK(string_field(file, "currentFolder") == "");
  CHECK(file["folders"].Size() == 2); // Unsorted and Dogs
}

TEST_CASE("gallery: folder refusals answer 4xx JSON and change nothing on disk") {
  temp_folder data("folderbad");
  server_process server(data.path());
  auto c = server.client();
  generate(c, "one entry");
  REQUIRE(send(c, "POST", "/folder", R"({"uid":"keep","label":"Keep"})")->status == 200);
  auto before = disk_state(data.path());
  struct refusal {
    const char* method;
    std::string path;
    std::string body;
    int status;
  };
  for (auto& r : std::vector<refusal>{
           {"POST", "/folder", "{}", 400},
           {"POST", "/folder", "not json", 400},
           {"POST", "/folder", "[1]", 400},
           {"POST", "/folder", R"({"label":"   "})", 400},
           {"POST", "/folder", R"({"label":5})", 400},
           {"POST", "/folder", R"({"uid":7})", 400},
           {"POST", "/folder", R"({"uid":"nope"})", 404},
           {"POST", "/folder", R"({"uid":"","label":"Renamed Unsorted"})", 400},
           {"POST", "/folder", "{\"label\":\"" + std::string(201, 'x') + "\"}", 400},
           {"PUT", "/folder", R"({"label":"x"})", 400},
           {"PUT", "/folder", R"({"uid":"keep"})", 400},
           {"PUT", "/folder", R"({"uid":"","label":"x"})", 400},
           {"PUT", "/folder", R"({"uid":"nope","label":"x"})", 404},
           {"DELETE", "/folder/nope", "", 404},
       }) {
    INFO(r.method << " " << r.path << " " << r.body);
    auto res = send(c, r.method, r.path, r.body);
    REQUIRE(res);
    CHECK(res->status == r.status);
    CHECK(parse_json(res->body)["error"].IsString());
  }
  CHECK(disk_state(data.path()) == before);
  auto folders = parse_json(fetch(c, "/folder"));
  CHECK(folders["list"].Size() == 2);
  CHECK(string_field(folders, "current") == "keep");
  CHECK(server.stop() == 0);
}

TEST_CASE("gallery: POST /edit changes name, description, tags and folder, and nothing else") {
  temp_folder data("edit");
  server_process server(data.path());
  auto c = server.client();
  auto a = generate(c, "first prompt", R"(,"name":"A","tags":["old"])");
  auto b = generate(c, "second prompt", R"(,"name":"B")");
  auto uid_a = a["uid"].GetInt64(), uid_b = b["uid"].GetInt64();
  REQUIRE(send(c, "POST", "/folder", R"({"uid":"box","label":"Box"})")->status == 200);

  // One object: as the client sends a whole entry back; only the four fields are taken.
  auto one = send(c, "POST", "/edit",
                  "{\"uid\":" + std::to_string(uid_a) +
                      R"(,"name":"Renamed","description":"now described","tags":"new, shiny",
                                             "folder":"box","prompt":"not editable","seed":1})");
  REQUIRE(one);
  INFO(one->body);
  REQUIRE(one->status == 200);
  auto answer = parse_json(one->body);
  CHECK(answer["success"].GetBool());
  REQUIRE(answer["data"].IsObject());
  auto check_a = [&](const json::value& e) {
    CHECK(string_field(e, "name") == "Renamed");
    CHECK(string_field(e, "description") == "now described");
    REQUIRE(e["tags"].Size() == 2);
    CHECK(std::string(e["tags"][0].GetString()) == "new");
    CHECK(std::string(e["tags"][1].GetString()) == "shiny");
    CHECK(string_field(e, "folder") == "box");
    CHECK(string_field(e, "prompt") == "first prompt");
    CHECK(e["seed"] == a["seed"]);
    CHECK(e["uid"].GetInt64() == uid_a);
    CHECK(e["imageUrl"] == a["imageUrl"]);
  };
  check_a(answer["data"]);
  check_a(parse_json(fetch(c, "/media-data/" + std::to_string(uid_a))));
  // Searches see the edit at once.
  CHECK(parse_json(fetch(c, "/media-data?folder=box&tags=shiny")).Size() == 1);
  CHECK(parse_json(fetch(c, "/media-data?folder=box&tags=old")).Size() == 0);
  CHECK(parse_json(fetch(c, "/media-data?folder=box&query=described")).Size() == 1);

  // A list: answered with a list.
  auto many = send(c, "POST", "/edit", "[{\"uid\":" + std::to_string(uid_b) + R"(,"name":"B2"}])");
  REQUIRE(many);
  REQUIRE(many->status == 200);
  auto list = parse_json(many->body);
  REQUIRE(list["data"].IsArray());
  CHECK(string_field(list["data"][0], "name") == "B2");

  // Refusals: nothing changes, not even the valid items of the same request.
  auto before = disk_state(data.path());
  struct refusal {
    std::string body;
    int status;
  };
  for (auto& r : std::vector<refusal>{
           {"[{\"uid\":" + std::to_string(uid_b) + ",\"name\":\"X\"},{\"uid\":999,\"name\":\"Y\"}]", 404},
           {R"({"name":"no uid"})", 400},
           {R"({"uid":"1","name":"x"})", 400},
           {R"({"uid":-1})", 400},
           {"{\"uid\":" + std::to_string(uid_b) + ",\"folder\":\"no-such-folder\"}", 400},
           {"{\"uid\":" + std::to_string(uid_b) + ",\"name\":5}", 400},
           {"{\"uid\":" + std::to_string(uid_b) + ",\"tags\":[1]}", 400},
           {"[]", 400},
           {"not json", 400},
       }) {
    INFO(r.body);
    auto res = send(c, "POST", "/edit", r.body);
    REQUIRE(res);
    CHECK(res->status == r.status);
    CHECK(parse_json(res->body)["error"].IsString());
  }
  CHECK(disk_state(data.path()) == before);
  CHECK(string_field(parse_json(fetch(c, "/media-data/" + std::to_string(uid_b))), "name") == "B2");

  // Durable: after a restart the edits are there.
  CHECK(server.stop() == 0);
  server_process again(data.path());
  auto c2 = again.client();
  check_a(parse_json(fetch(c2, "/media-data/" + std::to_string(uid_a))));
  CHECK(string_field(parse_json(fetch(c2, "/media-data/" + std::to_string(uid_b))), "name") == "B2");
  CHECK(again.stop() == 0);
}

TEST_CASE("gallery: DELETE /media-data/delete removes entries and their files, and uids are never reused") {
  temp_folder data("delete");
  server_process server(data.path());
  auto c = server.client();
  std::vector<json::document> made;
  for (int i = 0; i < 3; ++i) made.push_back(generate(c, "entry " + std::to_string(i)));
  auto uid = [&](int i) { return made[static_cast<std::size_t>(i)]["uid"].GetInt64(); };
  auto url = [&](int i) { return string_field(made[static_cast<std::size_t>(i)], "imageUrl"); };
  REQUIRE(c.Get(url(2).c_str())->status == 200);

  auto before = disk_state(data.path());
  struct refusal {
    std::string body;
    int status;
  };
  for (auto& r : std::vector<refusal>{{R"({"uids":"1"})", 400},
                                      {R"({"uids":[]})", 400},
                                      {R"({"uids":[1.5]})", 400},
                                      {R"({"uids":["1"]})", 400},
                                      {"{\"uids\":[" + std::to_string(uid(0)) + ",999]}", 404},
                                      {"[1]", 400},
                                      {"not json", 400}}) {
    INFO(r.body);
    auto res = c.Delete("/media-data/delete", r.body, "application/json");
    REQUIRE(res);
    CHECK(res->status == r.status);
    CHECK(parse_json(res->body)["error"].IsString());
  }
  CHECK(disk_state(data.path()) == before);
  CHECK(files_in(data.path() / "storage") == 3);

  auto res = c.Delete("/media-data/delete",
                      "{\"uids\":[" + std::to_string(uid(1)) + "," + std::to_string(uid(2)) + "]}", "application/json");
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  auto answer = parse_json(res->body);
  CHECK(answer["success"].GetBool());
  CHECK(answer["deletedCount"].GetInt64() == 2);
  CHECK(string_field(answer, "message") == "Successfully deleted 2 entries");
  CHECK(c.Get(("/media-data/" + std::to_string(uid(2))).c_str())->status == 404);
  CHECK(c.Get(url(2).c_str())->status == 404);
  CHECK(files_in(data.path() / "storage") == 1);
  auto left = parse_json(fetch(c, "/media-data"));
  REQUIRE(left.Size() == 1);
  CHECK(left[0]["uid"].GetInt64() == uid(0));
  // Deleting it again: it is not there.
  CHECK(c.Delete("/media-data/delete", "{\"uids\":[" + std::to_string(uid(2)) + "]}", "application/json")->status ==
        404);

  // After a restart the highest uid (deleted) is still not given again.
  CHECK(server.stop() == 0);
  auto file = parse_json(read_file(database_file(data.path())));
  CHECK(file["mediaData"].Size() == 1);
  server_process again(data.path());
  auto c2 = again.client();
  CHECK(c2.Get(("/media-data/" + std::to_string(uid(2))).c_str())->status == 404);
  auto next = generate(c2, "after restart");
  CHECK(next["uid"].GetInt64() > uid(2));
  CHECK(again.stop() == 0);
}

TEST_CASE("gallery: GET /tags lists the tags in use with their counts") {
  temp_folder data("tags");
  server_process server(data.path());
  auto c = server.client();
  CHECK(parse_json(fetch(c, "/tags"))["tags"].Size() == 0);
  generate(c, "a", R"(,"tags":["fox","snow"])");
  generate(c, "b", R"(,"tags":["fox","Fox"])");
  auto doomed = generate(c, "c", R"(,"tags":["night"])");
  auto tags = parse_json(fetch(c, "/tags"));
  REQUIRE(tags["tags"].IsArray());
  CHECK(std::string(tags["tags"][0].GetString()) == "fox"); // most used first
  CHECK(tags["counts"]["fox"].GetInt64() == 2);             // once per entry, case folded
  CHECK(tags["counts"]["snow"].GetInt64() == 1);
  CHECK(tags["counts"]["night"].GetInt64() == 1);
  // A deleted entry's tags are no longer in use.
  REQUIRE(c.Delete("/media-data/delete", "{\"uids\":[" + std::to_string(doomed["uid"].GetInt64()) + "]}",
                   "application/json")
              ->status == 200);
  CHECK_FALSE(parse_json(fetch(c, "/tags"))["counts"].HasMember("night"));
  CHECK(server.stop() == 0);
}

TEST_CASE("gallery: edits and deletes acknowledged before a kill -9 survive it, and the files parse") {
  temp_folder data("editkill");
  std::vector<std::int64_t> uids;
  {
    server_process server(data.path());
    auto c = server.client();
    for (int i = 0; i < 40; ++i) uids.push_back(generate(c, "e" + std::to_string(i))["uid"].GetInt64());
    CHECK(server.stop() == 0);
  }
  server_process server(data.path(), {"--compact-every=7"}); // rewrites of media-data.json during the burst too
  std::map<std::int64_t, std::string> acked_names;
  std::vector<std::int64_t> acked_deletes;
  std::atomic<bool> stop{false};
  std::mutex m;
  // Two clients: one renames, one deletes, until the server is killed under them.
  std::thread renamer([&] {
    auto c = server.client(5);
    for (int round = 0; !stop; ++round) {
      auto uid = uids[static_cast<std::size_t>(round) % 20]; // the first 20 are only renamed
      auto name = "name-" + std::to_string(round);
      auto res = c.Post("/edit", "{\"uid\":" + std::to_string(uid) + ",\"name\":\"" + name + "\"}", "application/json");
      if (!res) break;
      if (res->status == 200) {
        std::lock_guard<std::mutex> lock(m);
        acked_names[uid] = name;
      }
    }
  });
  std::thread deleter([&] {
    auto c = server.client(5);
    for (std::size_t i = 20; i < uids.size() && !stop; ++i) {
      auto res = c.Delete("/media-data/delete", "{\"uids\":[" + std::to_string(uids[i]) + "]}", "application/json");
      if (!res) break;
      if (res->status == 200) {
        std::lock_guard<std::mutex> lock(m);
        acked_deletes.push_back(uids[i]);
      }
      std::this_thread::sleep_for(5ms);
    }
  });
  std::this_thread::sleep_for(400ms);
  server.kill_hard();
  stop = true;
  renamer.join();
  deleter.join();
  MESSAGE(acked_names.size() << " entries renamed, " << acked_deletes.size() << " deleted before the kill");
  CHECK(acked_names.size() > 0);
  CHECK(acked_deletes.size() > 0);

  server_process again(data.path());
  auto c = again.client();
  auto everything = parse_json(fetch(c, "/media-data?limit=1000"));
  std::map<std::int64_t, std::string> names;
  for (auto& e : everything.GetArray()) names[e["uid"].GetInt64()] = e["name"].GetString();
  // The last acknowledged rename of each entry may have been followed by one that was not
  // acknowledged (the kill came between its write and its answer): a later name, then.
  for (auto& [uid, name] : acked_names) {
    INFO("uid " << uid);
    REQUIRE(names.count(uid));
    auto got = names[uid];
    REQUIRE(got.rfind("name-", 0) == 0);
    CHECK(std::stoi(got.substr(5)) >= std::stoi(name.substr(5)));
  }
  for (auto uid : acked_deletes) CHECK(names.count(uid) == 0);
  CHECK(names.size() >= 20);
  CHECK(again.stop() == 0);
  // After a clean stop the file holds everything and parses.
  CHECK(parse_json(read_file(database_file(data.path())))["mediaData"].Size() == names.size());
}

TEST_CASE("gallery: POST /regenerate starts a new task from an entry's stored request") {
  temp_folder data("regen");
  server_process server(data.path());
  auto c = server.client();
  auto id = start_async(c, R"({"workflow":"Builtin Text to Image","prompt":"a kite","name":"Kite","seed":11,
      "orientation":"landscape","steps":3,"description":"red kite","tags":["kite"],"requestOrigin":"yaaiic"})");
  auto wait = [&](const std::string& task) {
    for (int i = 0; i < 3000; ++i) {
      auto d = parse_json(fetch(c, "/tasks/" + task));
      auto state = string_field(d, "state");
      if (state != "queued" && state != "running" && state != "cancelling") return d;
      std::this_thread::sleep_for(20ms);
    }
    FAIL("task did not end");
    return json::document{};
  };
  auto first = wait(id);
  REQUIRE(string_field(first, "state") == "completed");
  auto uid = first["result"]["uid"].GetInt64();

  auto res = post_json(c, "/regenerate", "{\"uid\":" + std::to_string(uid) + "}");
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 202);
  auto answer = parse_json(res->body);
  CHECK(answer["success"].GetBool());
  auto again = wait(string_field(answer, "taskId"));
  REQUIRE(string_field(again, "state") == "completed");
  auto& r = again["result"];
  CHECK(r["uid"].GetInt64() > uid);
  for (const char* key : {"workflow", "prompt", "name", "orientation", "description", "requestOrigin"}) {
    INFO(key);
    CHECK(r[key] == first["result"][key]);
  }
  CHECK(r["seed"].GetInt64() == 11);
  CHECK(r["steps"].GetInt64() == 3);
  CHECK(r["tags"] == first["result"]["tags"]);
  // The same request makes the same picture.
  CHECK(fetch(c, string_field(r, "imageUrl")) == fetch(c, string_field(first["result"], "imageUrl")));
  // A new seed, if asked for.
  auto reseeded = post_json(c, "/regenerate", "{\"uid\":" + std::to_string(uid) + ",\"seed\":12}");
  REQUIRE(reseeded->status == 202);
  CHECK(wait(string_field(parse_json(reseeded->body), "taskId"))["result"]["seed"].GetInt64() == 12);

  // Refusals start nothing and write nothing. An entry whose workflow needs input files (which
  // are not kept) is refused as a request without them would be.
  httplib::MultipartFormDataItems form = {{"workflow", "Builtin Image to Image", "", ""},
                                          {"prompt", "blend", "", ""},
                                          {"image_0", tiny_png(c, 1), "a.png", "image/png"}};
  auto i2i = c.Post("/generate", form);
  REQUIRE(i2i->status == 202);
  auto i2i_uid = wait(string_field(parse_json(i2i->body), "taskId"))["result"]["uid"].GetInt64();
  auto before = durable_entries_text(data.path());
  auto storage_before = files_in(data.path() / "storage");
  struct refusal {
    std::string body;
    int status;
  };
  for (auto& bad : std::vector<refusal>{{"{}", 400},
                                        {R"({"uid":"1"})", 400},
                                        {"not json", 400},
                                        {R"({"uid":999})", 404},
                                        {"{\"uid\":" + std::to_string(uid) + ",\"seed\":-1}", 400},
                                        {"{\"uid\":" + std::to_string(i2i_uid) + "}", 400}}) {
    INFO(bad.body);
    auto refused = post_json(c, "/regenerate", bad.body);
    REQUIRE(refused);
    CHECK(refused->status == bad.status);
    CHECK(parse_json(refused->body)["error"].IsString());
  }
  CHECK(durable_entries_text(data.path()) == before);
  CHECK(files_in(data.path() / "storage") == storage_before);
  CHECK(server.stop() == 0);
}
