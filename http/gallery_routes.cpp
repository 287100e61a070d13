#include "http/gallery_routes.hpp"

#include <algorithm>

#include "generation/generation_request.hpp"
#include "http/actor_calls.hpp"
#include "http/gallery_change_json.hpp"
#include "http/responses.hpp"
#include "http/status_codes.hpp"
#include "http/timed_route.hpp"
#include "persistence/media_database.hpp"

namespace mediagen {

namespace {

constexpr std::size_t max_label_bytes = 200;
constexpr std::size_t max_text_bytes = 64 * 1024;
constexpr std::size_t max_items = 10000;

std::string trimmed(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r\n"));
  s.erase(s.find_last_not_of(" \t\r\n") + 1);
  return s;
}

// Sends the change to the media store and its outcome to the client.
void run_change(http_context& ctx, const gallery_change& change, httplib::Response& res) {
  auto done = ask<change_done>(ctx.sys, ctx.store, std::chrono::seconds(30), atom::change::value, change);
  if (!done) return send_actor_error(res, ctx.sys, done.error(), "The gallery could not be changed");
  send_json(res, 200, change_answer_json(change, *done));
}

bool parsed_body(const httplib::Request& req, httplib::Response& res, json::document& body) {
  if (!json::parse(req.body, body).empty()) {
    send_error(res, 400, "The request body must be JSON.");
    return false;
  }
  return true;
}

// A folder's label: a non-blank string of at most 200 bytes, trimmed. "" or why not.
std::string read_label(const json::value& v, std::string& out) {
  if (!v.IsString()) return "label must be a string.";
  out = trimmed(std::string(v.GetString(), v.GetStringLength()));
  if (out.empty()) return "label must not be blank.";
  if (out.size() > max_label_bytes) return "label is longer than 200 bytes.";
  return {};
}

std::string read_folder_uid(const json::value& v, std::string& out) {
  if (!v.IsString()) return "uid must be a string.";
  out.assign(v.GetString(), v.GetStringLength());
  if (out.size() > max_label_bytes) return "uid is longer than 200 bytes.";
  return {};
}

// POST /folder: {uid} selects, {label} creates (or finds) and selects, {uid, label} creates or
// renames and selects — the Node server's three forms.
void post_folder(http_context& ctx, const httplib::Request& req, httplib::Response& res) {
  json::document body;
  if (!parsed_body(req, res, body)) return;
  if (!body.IsObject()) return send_error(res, 400, "The request body must be a JSON object with uid or label.");
  auto* uid = json::member(body, "uid");
  auto* label = json::member(body, "label");
  if (uid && uid->IsNull()) uid = nullptr;
  if (label && label->IsNull()) label = nullptr;
  if (!uid && !label) return send_error(res, 400, "Must provide either uid or label");
  gallery_change change;
  if (uid)
    if (auto e = read_folder_uid(*uid, change.folder_uid); !e.empty()) return send_error(res, 400, e);
  if (label)
    if (auto e = read_label(*label, change.label); !e.empty()) return send_error(res, 400, e);
  change.what = uid && label ? change_kind::put_folder : uid ? change_kind::select_folder : change_kind::create_folder;
  run_change(ctx, change, res);
}

// PUT /folder {uid, label}: renames.
void put_folder(http_context& ctx, const httplib::Request& req, httplib::Response& res) {
  json::document body;
  if (!parsed_body(req, res, body)) return;
  if (!body.IsObject()) return send_error(res, 400, "The request body must be a JSON object with uid and label.");
  auto* uid = json::member(body, "uid");
  auto* label = json::member(body, "label");
  if (!uid || !uid->IsString() || uid->GetStringLength() == 0)
    return send_error(res, 400, "Missing or invalid folder uid");
  if (!label) return send_error(res, 400, "Missing or invalid folder label");
  gallery_change change;
  change.what = change_kind::rename_folder;
  if (auto e = read_folder_uid(*uid, change.folder_uid); !e.empty()) return send_error(res, 400, e);
  if (auto e = read_label(*label, change.label); !e.empty()) return send_error(res, 400, e);
  run_change(ctx, change, res);
}

// One item of POST /edit. "" or why it is refused.
std::string read_edit(const json::value& item, entry_edit& out) {
  if (!item.IsObject()) return "Each item must be a JSON object with a uid.";
  auto* uid = json::member(item, "uid");
  if (!uid || uid->IsNull()) return "Missing required field: uid in one or more items";
  if (!uid->IsInt64() || uid->GetInt64() < 0) return "uid must be a non-negative integer.";
  out.uid = uid->GetInt64();
  auto text = [&](const char* field, bool& has, std::string& value) -> std::string {
    auto* v = json::member(item, field);
    if (!v || v->IsNull()) return {};
    if (!v->IsString()) return std::string("'") + field + "' must be a string.";
    if (v->GetStringLength() > max_text_bytes) return std::string("'") + field + "' is longer than 64 KiB.";
    has = true;
    value.assign(v->GetString(), v->GetStringLength());
    return {};
  };
  if (auto e = text("name", out.has_name, out.name); !e.empty()) return e;
  if (auto e = text("description", out.has_description, out.description); !e.empty()) return e;
  if (auto e = text("folder", out.has_folder, out.folder); !e.empty()) return e;
  if (auto* tags = json::member(item, "tags"); tags && !tags->IsNull()) {
    if (auto e = parse_tags(*tags, out.tags); !e.empty()) return e;
    out.has_tags = true;
  }
  return {};
}

// POST /edit: one entry object or a list of them; only name, description, tags and folder change.
void edit(http_context& ctx, const httplib::Request& req, httplib::Response& res) {
  json::document body;
  if (!parsed_body(req, res, body)) return;
  gallery_change change;
  change.what = change_kind::edit;
  change.edits_as_list = body.IsArray();
  if (body.IsArray()) {
    if (body.Empty()) return send_error(res, 400, "The list of entries to edit is empty.");
    if (body.Size() > max_items) return send_error(res, 400, "At most 10000 entries can be edited at once.");
    for (auto& item : body.GetArray()) {
      entry_edit e;
      if (auto error = read_edit(item, e); !error.empty()) return send_error(res, 400, error);
      change.edits.push_back(std::move(e));
    }
  } else {
    entry_edit e;
    if (auto error = read_edit(body, e); !error.empty()) return send_error(res, 400, error);
    change.edits.push_back(std::move(e));
  }
  run_change(ctx, change, res);
}

// DELETE /media-data/delete {uids: [..]}: the entries and their files.
void delete_entries(http_context& ctx, const httplib::Request& req, httplib::Response& res) {
  json::document body;
  if (!parsed_body(req, res, body)) return;
  auto* uids = body.IsObject() ? json::member(body, "uids") : nullptr;
  if (!uids || !uids->IsArray()) return send_error(res, 400, "uids must be an array");
  if (uids->Empty()) return send_error(res, 400, "uids array cannot be empty");
  if (uids->Size() > max_items) return send_error(res, 400, "At most 10000 entries can be deleted at once.");
  gallery_change change;
  change.what = change_kind::remove;
  for (auto& u : uids->GetArray()) {
    if (!u.IsInt64() || u.GetInt64() < 0) return send_error(res, 400, "All UIDs must be integers");
    if (std::find(change.uids.begin(), change.uids.end(), u.GetInt64()) == change.uids.end())
      change.uids.push_back(u.GetInt64());
  }
  run_change(ctx, change, res);
}

// GET /tags: the tags in use, most used first, and how many entries carry each.
void tags_in_use(http_context& ctx, httplib::Response& res) {
  auto counts = ctx.gallery->current()->tag_counts();
  std::string names = "[", by_name = "{";
  for (std::size_t i = 0; i < counts.size(); ++i) {
    auto quoted = json::quote(counts[i].first);
    names += (i ? "," : "") + quoted;
    by_name += (i ? "," : "") + quoted + ":" + std::to_string(counts[i].second);
  }
  send_json(res, 200, "{\"tags\":" + names + "],\"counts\":" + by_name + "}}");
}

} // namespace

void add_gallery_routes(route_table& svr, http_context& ctx) {
  svr.Get("/folder", timed(ctx, "folders", [&ctx](const httplib::Request&, httplib::Response& res) {
            send_json(res, 200, media_database::folders_json(*ctx.gallery->folders()));
          }));
  svr.Post("/folder", timed(ctx, "folder_select", [&ctx](const httplib::Request& req, httplib::Response& res) {
             post_folder(ctx, req, res);
           }));
  svr.Put("/folder", timed(ctx, "folder_rename",
                           [&ctx](const httplib::Request& req, httplib::Response& res) { put_folder(ctx, req, res); }));
  svr.Delete(R"(/folder/([^/]+))",
             timed(ctx, "folder_delete", [&ctx](const httplib::Request& req, httplib::Response& res) {
               gallery_change change;
               change.what = change_kind::delete_folder;
               change.folder_uid = req.matches[1];
               run_change(ctx, change, res);
             }));
  svr.Post("/edit", timed(ctx, "gallery_edit",
                          [&ctx](const httplib::Request& req, httplib::Response& res) { edit(ctx, req, res); }));
  svr.Delete("/media-data/delete",
             timed(ctx, "gallery_delete",
                   [&ctx](const httplib::Request& req, httplib::Response& res) { delete_entries(ctx, req, res); }));
  svr.Get("/tags",
          timed(ctx, "tags", [&ctx](const httplib::Request&, httplib::Response& res) { tags_in_use(ctx, res); }));
}

} // namespace mediagen
