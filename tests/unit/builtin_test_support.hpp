#pragma once
// Shared by the builtin_*_test.cpp files: an in-memory stand-in for the storage the executor
// writes to and reads from, and small builders for graphs and test pictures.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "backends/builtin/graph_executor.hpp"
#include "backends/builtin/image.hpp"
#include "backends/builtin/image_codec.hpp"

namespace mediagen::builtin::test {

/// Uploads to read, files written, progress seen, and a cancel flag.
struct fake_io {
  std::map<std::string, std::string> inputs;
  std::map<std::string, std::string> saved;
  std::vector<std::string> saved_order;
  std::vector<node_progress> progress;
  std::atomic<bool> cancel{false};
  std::function<void(const node_progress&)> on_progress; ///< extra hook, e.g. to cancel mid-run
  bool fail_saves = false;

  execution_context context() {
    execution_context ctx;
    ctx.cancel_requested = &cancel;
    ctx.on_progress = [this](const node_progress& p) {
      progress.push_back(p);
      if (on_progress) on_progress(p);
    };
    ctx.save_output = [this](const std::string& prefix, const std::string& ext, const std::string& bytes) {
      if (fail_saves) throw std::runtime_error("disk full");
      std::string name = prefix + "_" + std::to_string(saved.size() + 1) + "." + ext;
      saved[name] = bytes;
      saved_order.push_back(name);
      return name;
    };
    ctx.load_input = [this](const std::string& name) {
      auto it = inputs.find(name);
      if (it == inputs.end()) throw std::runtime_error("input file '" + name + "' is not available");
      return it->second;
    };
    return ctx;
  }

  execution_outcome run(const std::string& graph_json) { return execute_graph(graph_json, context()); }

  /// The bytes of the i-th file the run wrote.
  const std::string& file(std::size_t i) const { return saved.at(saved_order.at(i)); }
};

inline std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

/// A ProceduralImage -> SaveImage graph, the shape of the shipped text-to-image workflow.
inline std::string procedural_graph(const std::string& prompt, long long seed, int width, int height, int steps) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  rapidjson::Value gen(rapidjson::kObjectType), gen_in(rapidjson::kObjectType);
  gen_in.AddMember("prompt", rapidjson::Value(prompt.c_str(), a), a);
  gen_in.AddMember("seed", static_cast<std::int64_t>(seed), a);
  gen_in.AddMember("width", width, a);
  gen_in.AddMember("height", height, a);
  gen_in.AddMember("steps", steps, a);
  gen.AddMember("class_type", "ProceduralImage", a);
  gen.AddMember("inputs", gen_in, a);
  rapidjson::Value meta(rapidjson::kObjectType);
  meta.AddMember("title", "Generate", a);
  gen.AddMember("_meta", meta, a);
  rapidjson::Value save(rapidjson::kObjectType), save_in(rapidjson::kObjectType), link(rapidjson::kArrayType);
  link.PushBack("1", a).PushBack(0, a);
  save_in.AddMember("images", link, a);
  save_in.AddMember("filename_prefix", "gen", a);
  save.AddMember("class_type", "SaveImage", a);
  save.AddMember("inputs", save_in, a);
  d.AddMember("1", gen, a);
  d.AddMember("2", save, a);
  return to_json(d);
}

/// A picture with a distinct, reproducible value in every byte.
inline image patterned(int w, int h, int channels) {
  image img = make_image(w, h, channels);
  for (std::size_t i = 0; i < img.pixels.size(); ++i)
    img.pixels[i] = static_cast<float>((i * 37 + (i / 7) * 11) % 256) / 255.0f;
  return img;
}

inline image solid(int w, int h, float r, float g, float b) {
  image img = make_image(w, h, 3);
  for (std::size_t i = 0; i < img.pixels.size(); i += 3) {
    img.pixels[i] = r;
    img.pixels[i + 1] = g;
    img.pixels[i + 2] = b;
  }
  return img;
}

/// The 8-bit value of channel c at (x, y) of a decoded file.
inline int byte_at(const image& img, int x, int y, int c) {
  return to_byte(img.row(y)[static_cast<std::size_t>(x) * img.channels + c]);
}

} // namespace mediagen::builtin::test
