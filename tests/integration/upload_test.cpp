// POST /upload/image and /upload/audio, as the Node server's web client uses them (app.mjs
// handleUploadFile): a multipart file part plus optional fields, answered at once with a task id;
// the task's `complete` carries the new entry, which /media-data lists and whose file /media
// serves byte for byte. Refusals are 4xx JSON and leave no file and no entry; what completed is
// durable (read back without the server's code, and after a kill -9).

#include <doctest/doctest.h>

#include "server_harness.hpp"

using namespace mediagen;
using namespace mediagen::testing;
using namespace std::chrono_literals;

namespace {

// Minimal files of each audio kind, shaped as the byte checks (and players) expect.
std::string wav_bytes() {
  std::string data(400, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  auto le32 = [](std::uint32_t v) { return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; };
  auto le16 = [](std::uint16_t v) { return std::string{char(v), char(v >> 8)}; };
  return "RIFF" + le32(36 + static_cast<std::uint32_t>(data.size())) + "WAVE" + "fmt " + le32(16) + le16(1) + le16(1) +
         le32(8000) + le32(8000) + le16(1) + le16(8) + "data" + le32(static_cast<std::uint32_t>(data.size())) + data;
}
std::string mp3_bytes() { return std::string("ID3\x03\0\0\0\0\0\0", 10) + std::string(200, '\x55'); }
std::string ogg_bytes() { return std::string("OggS\0\x02", 6) + std::string(200, '\x11'); }
std::string flac_bytes() { return std::string("fLaC\0\0\0\x22", 8) + std::string(200, '\x22'); }

httplib::Result upload(httplib::Client& c, const char* route, httplib::MultipartFormDataItems form) {
  return c.Post(route, form);
}

// POSTs an upload, REQUIREs the answer the Node client reads, and follows the task to `complete`;
// returns the complete event's result.
json::document upload_to_complete(server_process& server, const char* route, httplib::MultipartFormDataItems form) {
  auto c = server.client();
  auto res = upload(c, route, std::move(form));
  REQUIRE(res);
  REQUIRE(res->status == 200);
  auto answer = parse_json(res->body);
  CHECK(answer["success"].GetBool());
  CHECK(string_field(answer, "message") == "Upload task created");
  std::string id = string_field(answer, "taskId");
  CHECK(string_field(answer, "progressUrl") == "/progress/" + id);
  auto events = read_events(server.port(), id);
  REQUIRE_FALSE(events.empty());
  CHECK(events.front().event == "progress");
  REQUIRE(events.back().event == "complete");
  for (std::size_t i = 1; i < events.size(); ++i) CHECK(events[i].id == events[i - 1].id + 1);
  auto complete = parse_json(events.back().data);
  CHECK(string_field(complete, "taskId") == id);
  CHECK(string_field(complete, "status") == "completed");
  json::document result;
  result.CopyFrom(complete["result"], result.GetAllocator());
  REQUIRE(result["uid"].IsInt64());
  CHECK(string_field(result, "taskId") == id);
  // /tasks/:id shows it like any task.
  auto status = parse_json(fetch(c, "/tasks/" + id));
  CHECK(string_field(status, "state") == "completed");
  CHECK(string_field(status, "workflow") == string_field(result, "workflow"));
  return result;
}

// The durable entry with `uid`, as a start-up would read it from disk.
json::document durable_entry(const fs::path& data, std::int64_t uid) {
  auto db = durable_gallery(data);
  json::document out;
  for (auto& e : db["mediaData"].GetArray())
    if (e["uid"].GetInt64() == uid) out.CopyFrom(e, out.GetAllocator());
  return out;
}

} // namespace

TEST_CASE("uploads: an image becomes an entry whose file is served byte for byte, durable across a restart") {
  temp_folder data("upload_image");
  std::string png;
  std::int64_t uid = -1;
  std::string url;
  {
    server_process server(data.path());
    auto c = server.client();
    png = tiny_png(c, 11);
    auto result = upload_to_complete(server, "/upload/image",
                                     {{"image", png, "holiday_photo.png", "image/png"}, {"name", "My Cat", "", ""}});
    uid = result["uid"].GetInt64();
    CHECK(string_field(result, "type") == "image");
    CHECK(string_field(result, "workflow") == "Uploaded Image");
    CHECK(string_field(result, "name") == "My Cat");
    CHECK(string_field(result, "description") == "Uploaded image");
    CHECK(string_field(result, "orientation") == "square");
    CHECK(result["audioUrl"].IsNull());
    CHECK(result.HasMember("folder"));
    url = string_field(result, "imageUrl");
    CHECK(url.rfind("/media/", 0) == 0);
    CHECK(fetch(c, url) == png);
    // The client fetches the entry by the uid the result carries.
    auto entry = parse_json(fetch(c, "/media-data/" + std::to_string(uid)));
    CHECK(string_field(entry, "imageUrl") == url);
    CHECK(string_field(entry, "name") == "My Cat");
    CHECK(string_field(entry, "type") == "image");
    // On disk before anyone heard `complete`'s end, read without the server's code.
    auto durable = durable_entry(data.path(), uid);
    REQUIRE(durable.IsObject());
    CHECK(string_field(durable, "imageUrl") == url);
    // The staged copy in inputs/ is gone once the task ended.
    CHECK(eventually([&] { return files_in(data.path() / "inputs") == 0; }, 5s));

    // Without a name, the client's file name (without its extension) names the entry.
    auto unnamed = upload_to_complete(server, "/upload/image", {{"image", png, "holiday-photo.png", "image/png"}});
    CHECK(string_field(unnamed, "name") == "holiday-photo");
    CHECK(unnamed["uid"].GetInt64() > uid);
    CHECK(string_field(unnamed, "imageUrl") != url); // a fresh file, never the same name

    // A large file (a 3 MiB text chunk before IEND) arrives whole, byte for byte.
    std::uint32_t n = 3u << 20;
    std::string big = png.substr(0, png.size() - 12) +
                      std::string{char(n >> 24), char(n >> 16), char(n >> 8), char(n)} + "tEXt" + std::string(n, 't') +
                      std::string(4, '\0') + png.substr(png.size() - 12);
    auto large = upload_to_complete(server, "/upload/image", {{"image", big, "big.png", "image/png"}});
    CHECK(fetch(c, string_field(large, "imageUrl")) == big);
    CHECK(server.stop() == 0);
  }
  server_process again(data.path());
  auto c = again.client();
  auto entry = parse_json(fetch(c, "/media-data/" + std::to_string(uid)));
  CHECK(string_field(entry, "imageUrl") == url);
  CHECK(fetch(c, url) == png);
  CHECK(again.stop() == 0);
}

TEST_CASE("uploads: WAV, MP3, OGG and FLAC become audio entries with the client's fields, and survive a kill -9") {
  temp_folder data("upload_audio");
  struct kind {
    const char* name;
    std::string bytes;
    const char* ext;
  };
  std::vector<kind> kinds = {{"song.wav", wav_bytes(), ".wav"},
                             {"song.mp3", mp3_bytes(), ".mp3"},
                             {"song.ogg", ogg_bytes(), ".ogg"},
                             {"song.flac", flac_bytes(), ".flac"}};
  std::vector<std::pair<std::int64_t, std::string>> stored; // uid, url
  {
    server_process server(data.path());
    auto c = server.client();
    for (auto& k : kinds) {
      INFO(k.name);
      auto result = upload_to_complete(server, "/upload/audio",
                                       {{"audio", k.bytes, k.name, "audio/whatever"},
                                        {"name", "Trimmed Song", "", ""},
                                        {"tags", R"(["music","trimmed"])", "", ""},
                                        {"description", "A song, trimmed", "", ""},
                                        {"summary", "short", "", ""},
                                        {"prompt", "a calm tune", "", ""},
                                        {"origin", "3", "", ""},
                                        {"clips", "[[0,1.5]]", "", ""},
                                        {"audioFormat", "mp3", "", ""}});
      CHECK(string_field(result, "type") == "audio");
      CHECK(string_field(result, "workflow") == "Uploaded Audio");
      CHECK(string_field(result, "name") == "Trimmed Song");
      CHECK(string_field(result, "description") == "A song, trimmed");
      CHECK(string_field(result, "summary") == "short");
      CHECK(string_field(result, "prompt") == "a calm tune");
      REQUIRE(result["tags"].IsArray());
      REQUIRE(result["tags"].Size() == 2);
      CHECK(std::string(result["tags"][1].GetString()) == "trimmed");
      CHECK(result["origin"].GetInt64() == 3);
      CHECK(json::stringify(result["clips"]) == "[[0,1.5]]");
      CHECK(string_field(result, "audioFormat") ==
            std::string(k.ext + 1)); // the format stored, as the Node server named it
      CHECK(result["imageUrl"].IsNull());
      std::string url = string_field(result, "audioUrl");
      CHECK(url.size() > std::strlen(k.ext));
      CHECK(url.compare(url.size() - std::strlen(k.ext), std::string::npos, k.ext) == 0);
      CHECK(fetch(c, url) == k.bytes);
      stored.emplace_back(result["uid"].GetInt64(), url);
    }
    // A trim without clips still stores the list, empty, as the Node server did.
    auto plain = upload_to_complete(server, "/upload/audio", {{"audio", wav_bytes(), "x.wav", "audio/wav"}});
    CHECK(json::stringify(plain["clips"]) == "[]");
    CHECK(string_field(plain, "name") == "x");
    server.kill_hard();
  }
  server_process again(data.path());
  auto c = again.client();
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    auto entry = parse_json(fetch(c, "/media-data/" + std::to_string(stored[i].first)));
    CHECK(string_field(entry, "audioUrl") == stored[i].second);
    CHECK(string_field(entry, "type") == "audio");
    CHECK(fetch(c, stored[i].second) == kinds[i].bytes);
  }
  CHECK(again.stop() == 0);
}

TEST_CASE("uploads: every refusal is 4xx JSON and leaves no file and no entry behind") {
  temp_folder data("upload_refusals");
  server_process server(data.path(), {"--max-upload-bytes=200000"});
  auto c = server.client();
  std::string png = tiny_png(c, 5);
  auto before_entries = durable_entries_text(data.path());
  auto before_storage = files_in(data.path() / "storage");
  struct row {
    const char* what;
    const char* route;
    httplib::MultipartFormDataItems form;
    int status;
  };
  std::vector<row> rows = {
      {"no file part", "/upload/image", {{"name", "x", "", ""}}, 400},
      {"the file under another name", "/upload/image", {{"file", png, "a.png", "image/png"}}, 400},
      {"an audio part sent to /upload/image", "/upload/image", {{"audio", wav_bytes(), "a.wav", "audio/wav"}}, 400},
      {"an empty file", "/upload/image", {{"image", "", "a.png", "image/png"}}, 400},
      {"text named .png", "/upload/image", {{"image", "not an image at all", "a.png", "image/png"}}, 400},
      {"a truncated PNG", "/upload/image", {{"image", png.substr(0, png.size() / 2), "a.png", "image/png"}}, 400},
      {"a WAV sent as an image", "/upload/image", {{"image", wav_bytes(), "a.png", "image/png"}}, 400},
      {"a PNG sent as audio", "/upload/audio", {{"audio", png, "a.wav", "audio/wav"}}, 400},
      {"an empty audio file", "/upload/audio", {{"audio", "", "a.wav", "audio/wav"}}, 400},
      {"two image parts",
       "/upload/image",
       {{"image", png, "a.png", "image/png"}, {"image", png, "b.png", "image/png"}},
       400},
      {"a name that is not UTF-8",
       "/upload/image",
       {{"image", png, "a.png", "image/png"}, {"name", "\xff\xfe", "", ""}},
       400},
      {"tags that are not strings",
       "/upload/audio",
       {{"audio", wav_bytes(), "a.wav", "audio/wav"}, {"tags", "[1,2]", "", ""}},
       400},
      {"an origin that is not a uid",
       "/upload/audio",
       {{"audio", wav_bytes(), "a.wav", "audio/wav"}, {"origin", "abc", "", ""}},
       400},
      {"clips that are not a list",
       "/upload/audio",
       {{"audio", wav_bytes(), "a.wav", "audio/wav"}, {"clips", "{}", "", ""}},
       400},
      {"a file over --max-upload-bytes",
       "/upload/image",
       {{"image", png + std::string(300000, 'x'), "a.png", "image/png"}},
       413},
  };
  for (auto& r : rows) {
    INFO(r.what);
    auto res = upload(c, r.route, r.form);
    REQUIRE(res);
    CHECK(res->status == r.status);
    CHECK(parse_json(res->body)["error"].IsString());
  }
  for (auto* route : {"/upload/image", "/upload/audio"}) {
    INFO(route);
    auto as_json = post_json(c, route, R"({"image":"iVBORw0KGgo="})");
    REQUIRE(as_json);
    CHECK(as_json->status == 415);
    CHECK(parse_json(as_json->body)["error"].IsString());
    auto as_form = c.Post(route, "image=x", "application/x-www-form-urlencoded");
    REQUIRE(as_form);
    CHECK(as_form->status == 415);
  }
  CHECK(files_in(data.path() / "inputs") == 0);
  CHECK(files_in(data.path() / "storage") == before_storage);
  CHECK(durable_entries_text(data.path()) == before_entries);
  CHECK(fetch(c, "/media-data") == "[]");
  CHECK(server.stop() == 0);
}
