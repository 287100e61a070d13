#include "backends/comfyui/http_api.hpp"

#include <algorithm>
#include <cctype>
#include <memory>

#include <httplib.h>
#include <rapidjson/document.h>

#include "common/json.hpp"

namespace mediagen::comfyui {

namespace {

using ms = std::chrono::milliseconds;

std::string seconds_text(ms d) {
  const auto count = d.count();
  if (count % 1000 == 0) return std::to_string(count / 1000) + " s";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(count) / 1000.0);
  return buf;
}

std::string snippet(const std::string& body) {
  std::string out;
  for (char c : body) {
    if (out.size() >= 160) {
      out += "...";
      break;
    }
    out.push_back(std::isprint(static_cast<unsigned char>(c)) ? c : ' ');
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  return out;
}

/// Serializes a small JSON object from key/value writers.
template <class Fill>
std::string json_body(Fill fill) {
  json::writer w;
  w.begin_object();
  fill(w);
  w.end_object();
  return w.str();
}

struct request_context {
  const base_url& url;
  const http_options& options;
  std::string method; // "GET" / "POST"
  std::string path;   // without prefix, for sentences: "/prompt"

  std::unique_ptr<httplib::Client> client(ms read_timeout) const {
    auto cli = std::make_unique<httplib::Client>(url.origin());
    const ms connect = std::min<ms>(options.connect_timeout, ms(3000));
    cli->set_connection_timeout(connect);
    cli->set_read_timeout(read_timeout);
    cli->set_write_timeout(options.write_timeout);
    cli->set_tcp_nodelay(true);
    cli->set_keep_alive(false);
    return cli;
  }

  /// One sentence for a request that got no HTTP answer.
  std::string transport_error(httplib::Error err, ms read_timeout) const {
    const std::string where = "ComfyUI at " + url.to_string();
    const std::string what = method + " " + path;
    switch (err) {
      case httplib::Error::Connection: return where + " is unreachable: connection refused.";
      case httplib::Error::ConnectionTimeout:
        return where + " is unreachable: no connection within " +
               seconds_text(std::min<ms>(options.connect_timeout, ms(3000))) + ".";
      case httplib::Error::BindIPAddress: return where + " is unreachable: the local address could not be bound.";
      case httplib::Error::Read:
        return where + " did not answer " + what + " (connection closed or no data for " + seconds_text(read_timeout) +
               ").";
      case httplib::Error::Write:
        return where + " did not accept the " + what + " request (write failed or timed out).";
      case httplib::Error::Canceled: return where + " sent a " + what + " answer larger than allowed.";
      case httplib::Error::SSLConnection:
      case httplib::Error::SSLLoadingCerts:
      case httplib::Error::SSLServerVerification: return where + " is unreachable: the TLS handshake failed.";
      default: return where + " failed " + what + ": " + httplib::to_string(err) + ".";
    }
  }

  std::string status_error(int status, const std::string& body) const {
    std::string s = "ComfyUI at " + url.to_string() + " answered " + method + " " + path + " with HTTP " +
                    std::to_string(status);
    const std::string text = snippet(body);
    if (!text.empty()) s += ": " + text;
    return s + ".";
  }

  /// Fills `out` from an httplib result; true when a 2xx answer arrived.
  template <class Result>
  bool finish(const httplib::Result& res, ms read_timeout, Result& out) const {
    if (!res) {
      out.ok = false;
      out.http_status = 0;
      out.error = transport_error(res.error(), read_timeout);
      return false;
    }
    out.http_status = res->status;
    if (res->status < 200 || res->status >= 300) {
      out.ok = false;
      out.error = status_error(res->status, res->body);
      return false;
    }
    out.ok = true;
    return true;
  }
};

template <class Result>
bool reject_invalid(bool valid, const std::string& reason, Result& out) {
  if (valid) return false;
  out.ok = false;
  out.http_status = 0;
  out.error = reason;
  return true;
}

} // namespace

http_api::http_api(const std::string& base, http_options options) : options_(options) {
  std::string error;
  if (auto parsed = parse_base_url(base, &error)) {
    url_ = *parsed;
    valid_ = true;
  } else {
    invalid_reason_ = error;
  }
}

http_api::http_api(base_url base, http_options options)
    : url_(std::move(base)), valid_(!url_.host.empty()), options_(options) {
  if (!valid_) invalid_reason_ = "The ComfyUI URL names no host.";
}

std::string http_api::describe() const { return valid_ ? url_.to_string() : "(invalid URL)"; }

submit_result http_api::submit_prompt(const std::string& graph_json, const std::string& client_id,
                                      const std::string& prompt_id) const {
  submit_result out;
  if (reject_invalid(valid_, invalid_reason_, out)) return out;

  rapidjson::Document graph;
  graph.Parse(graph_json.c_str(), graph_json.size());
  if (graph.HasParseError() || !graph.IsObject()) {
    out.error = "The workflow graph sent to ComfyUI at " + url_.to_string() + " is not a JSON object.";
    return out;
  }
  const std::string body = json_body([&](auto& w) {
    w.field("prompt", graph);
    if (!client_id.empty()) w.field("client_id", client_id);
    if (!prompt_id.empty()) w.field("prompt_id", prompt_id);
  });

  const request_context ctx{url_, options_, "POST", "/prompt"};
  auto cli = ctx.client(options_.read_timeout);
  auto res = cli->Post(url_.path("/prompt"), body, "application/json");
  if (!res) {
    out.error = ctx.transport_error(res.error(), options_.read_timeout);
    return out;
  }
  out.http_status = res->status;
  out.answer = parse_prompt_answer(res->status, res->body);
  if (out.answer.accepted) {
    out.ok = true;
    return out;
  }
  if (!out.answer.parse_error.empty() && res->status != 400) {
    out.error = ctx.status_error(res->status, res->body);
  } else {
    // "ComfyUI refused the prompt: ..." -> name the URL too.
    std::string d = out.answer.describe();
    const std::string lead = "ComfyUI ";
    if (d.compare(0, lead.size(), lead) == 0) d = d.substr(lead.size());
    out.error = "ComfyUI at " + url_.to_string() + " " + d;
  }
  return out;
}

history_result http_api::get_history(const std::string& prompt_id) const {
  history_result out;
  if (reject_invalid(valid_, invalid_reason_, out)) return out;
  const std::string path = "/history/" + percent_encode(prompt_id);
  const request_context ctx{url_, options_, "GET", path};
  auto cli = ctx.client(options_.read_timeout);
  auto res = cli->Get(url_.path(path));
  if (!ctx.finish(res, options_.read_timeout, out)) return out;
  out.entry = parse_history(res->body, prompt_id);
  if (!out.entry.parse_error.empty()) {
    out.ok = false;
    out.error = "ComfyUI at " + url_.to_string() + ": " + out.entry.parse_error;
  }
  return out;
}

view_result http_api::view(const std::string& filename, const std::string& subfolder, const std::string& type) const {
  view_result out;
  if (reject_invalid(valid_, invalid_reason_, out)) return out;
  const request_context ctx{url_, options_, "GET", "/view?filename=" + filename};
  auto cli = ctx.client(options_.view_read_timeout);
  httplib::Params params{{"filename", filename}, {"type", type.empty() ? "output" : type}};
  if (!subfolder.empty()) params.emplace("subfolder", subfolder);

  std::string body;
  bool too_large = false;
  const auto limit = options_.max_view_bytes;
  auto res = cli->Get(
      url_.path("/view"), params, httplib::Headers{},
      [&](const httplib::Response& r) {
        // Error answers are small: let them through to the body for the sentence.
        if (r.status >= 200 && r.status < 300 && r.has_header("Content-Length")) {
          const auto len = std::strtoull(r.get_header_value("Content-Length").c_str(), nullptr, 10);
          if (len > limit) {
            too_large = true;
            return false;
          }
          body.reserve(static_cast<size_t>(len));
        }
        return true;
      },
      [&](const char* data, size_t n) {
        if (body.size() + n > limit) {
          too_large = true;
          return false;
        }
        body.append(data, n);
        return true;
      });
  if (too_large) {
    out.error = "ComfyUI at " + url_.to_string() + " sent '" + filename + "' larger than the allowed " +
                std::to_string(limit) + " bytes.";
    return out;
  }
  if (!res) {
    out.error = ctx.transport_error(res.error(), options_.view_read_timeout);
    return out;
  }
  out.http_status = res->status;
  if (res->status < 200 || res->status >= 300) {
    if (res->status == 404) {
      out.error = "ComfyUI at " + url_.to_string() + " has no file '" + filename + "'" +
                  (subfolder.empty() ? "" : " in subfolder '" + subfolder + "'") + " (type " +
                  (type.empty() ? "output" : type) + ").";
    } else {
      out.error = ctx.status_error(res->status, body);
    }
    return out;
  }
  out.ok = true;
  out.bytes = std::move(body);
  out.content_type = res->get_header_value("Content-Type");
  return out;
}

upload_result http_api::upload_image(const std::string& bytes, const std::string& filename, const std::string& type,
                                     bool overwrite, const std::string& subfolder) const {
  upload_result out;
  if (reject_invalid(valid_, invalid_reason_, out)) return out;
  const request_context ctx{url_, options_, "POST", "/upload/image"};
  auto cli = ctx.client(options_.read_timeout);
  httplib::MultipartFormDataItems items{
      {"image", bytes, filename, "application/octet-stream"},
      {"type", type.empty() ? "input" : type, "", ""},
      {"overwrite", overwrite ? "true" : "false", "", ""},
  };
  if (!subfolder.empty()) items.push_back({"subfolder", subfolder, "", ""});
  auto res = cli->Post(url_.path("/upload/image"), items);
  if (!ctx.finish(res, options_.read_timeout, out)) return out;

  rapidjson::Document doc;
  doc.Parse(res->body.c_str(), res->body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("name") || !doc["name"].IsString()) {
    out.ok = false;
    out.error = "ComfyUI at " + url_.to_string() + " answered POST /upload/image without a file name: '" +
                snippet(res->body) + "'.";
    return out;
  }
  out.name = doc["name"].GetString();
  if (doc.HasMember("subfolder") && doc["subfolder"].IsString()) out.subfolder = doc["subfolder"].GetString();
  if (doc.HasMember("type") && doc["type"].IsString()) out.type = doc["type"].GetString();
  return out;
}

call_status http_api::free(bool unload_models, bool free_memory) const {
  call_status out;
  if (reject_invalid(valid_, invalid_reason_, out)) return out;
  const request_context ctx{url_, options_, "POST", "/free"};
  auto cli = ctx.client(options_.read_timeout);
  const std::string body = json_body([&](auto& w) {
    w.field("unload_models", unload_models);
    w.field("free_memory", free_memory);
  });
  auto res = cli->Post(url_.path("/free"), body, "application/json");
  ctx.finish(res, options_.read_timeout, out);
  return out;
}

call_status http_api::interrupt(const std::string& prompt_id) const {
  call_status out;
  if (reject_invalid(valid_, invalid_reason_, out)) return out;
  const request_context ctx{url_, options_, "POST", "/interrupt"};
  auto cli = ctx.client(options_.read_timeout);
  const std::string body = json_body([&](auto& w) {
    if (!prompt_id.empty()) w.field("prompt_id", prompt_id);
  });
  auto res = cli->Post(url_.path("/interrupt"), body, "application/json");
  ctx.finish(res, options_.read_timeout, out);
  return out;
}

call_status http_api::queue_delete(const std::vector<std::string>& prompt_ids) const {
  call_status out;
  if (reject_invalid(valid_, invalid_reason_, out)) return out;
  const request_context ctx{url_, options_, "POST", "/queue"};
  auto cli = ctx.client(options_.read_timeout);
  const std::string body = json_body([&](auto& w) {
    w.key("delete").begin_array();
    for (const auto& id : prompt_ids) w.value(id);
    w.end_array();
  });
  auto res = cli->Post(url_.path("/queue"), body, "application/json");
  ctx.finish(res, options_.read_timeout, out);
  return out;
}

queue_result http_api::get_queue() const {
  queue_result out;
  if (reject_invalid(valid_, invalid_reason_, out)) return out;
  const request_context ctx{url_, options_, "GET", "/queue"};
  auto cli = ctx.client(options_.read_timeout);
  auto res = cli->Get(url_.path("/queue"));
  if (!ctx.finish(res, options_.read_timeout, out)) return out;
  json::document d;
  if (!json::parse(res->body, d).empty() || !d.IsObject()) {
    out.ok = false;
    out.error = "ComfyUI at " + url_.to_string() + " answered /queue with something other than a JSON object.";
    return out;
  }
  for (const char* list : {"queue_running", "queue_pending"})
    if (auto* items = json::member(d, list); items && items->IsArray())
      for (auto& item : items->GetArray())
        if (item.IsArray() && item.Size() > 1 && item[1].IsString()) out.prompt_ids.emplace_back(item[1].GetString());
  return out;
}

json_result http_api::system_stats() const {
  json_result out;
  if (reject_invalid(valid_, invalid_reason_, out)) return out;
  const request_context ctx{url_, options_, "GET", "/system_stats"};
  auto cli = ctx.client(options_.read_timeout);
  auto res = cli->Get(url_.path("/system_stats"));
  if (!ctx.finish(res, options_.read_timeout, out)) return out;
  out.json = res->body;
  return out;
}

} // namespace mediagen::comfyui
