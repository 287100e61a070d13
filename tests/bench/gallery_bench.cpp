// The gallery benchmark behind `scripts/bench --gallery` (not a test: figures, no pass/fail).
//
//   gallery_bench preload <data dir> <entries> <journal records>
//       writes <data dir>/database/media-data.json with that many typical entries and a journal
//       with that many more records, for a server to start on.
//   gallery_bench store <seconds per phase> [compact every, default 10000 as the server]
//       drives the real media store actor on a real folder: durable appends/s with 64 concurrent
//       writers at 100 entries and at 100,000 (one run, so the ratio holds), commit p50/p99, a
//       query's p99 while appends run, start-up time with 100,000 entries plus a 10,000-record
//       journal, and RSS.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <malloc.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <caf/all.hpp>

#include "actors/media_store_actor.hpp"
#include "persistence/atomic_file.hpp"
#include "persistence/gallery_files.hpp"

using namespace mediagen;
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

namespace {

long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

// What a finished Builtin task's result looks like (about 560 bytes of JSON).
generation_result typical_result(std::int64_t n, const std::string& file) {
  generation_result r;
  char id[33];
  std::snprintf(id, sizeof id, "%032llx", static_cast<unsigned long long>(n * 2654435761u));
  r.task_id = id;
  r.workflow = "Builtin Text to Image";
  r.type = "image";
  r.prompt = "a red fox in the snow at dawn, soft light, detailed fur, number " + std::to_string(n);
  r.name = "fox " + std::to_string(n);
  r.seed = n * 7919;
  r.outputs.push_back(output_file{file, "image", 8956});
  r.time_taken = 1.25;
  r.timestamp = "2026-12-01T10:00:00.000Z";
  r.tags = {"animal", n % 2 ? "red" : "snow"};
  return r;
}

std::string entry_json(std::int64_t uid) {
  json::document d;
  result_to_json(typical_result(uid, "image_" + std::to_string(uid) + ".png"), d, d.GetAllocator());
  json::set(d, "uid", json::value(static_cast<int64_t>(uid)), d.GetAllocator());
  json::set(d, "folder", json::value(""), d.GetAllocator());
  return json::stringify(d);
}

void preload(const fs::path& data, std::int64_t entries, std::int64_t journal_records) {
  fs::create_directories(data / "database");
  std::string text = "{\"mediaData\": [";
  for (std::int64_t uid = 1; uid <= entries; ++uid) text += (uid == 1 ? "\n" : ",\n") + entry_json(uid);
  text += "\n],\n\"folders\": [{\"uid\":\"\",\"label\":\"Unsorted\"}],\n\"currentFolder\": \"\"\n}\n";
  auto db = (data / "database" / "media-data.json").string();
  if (auto e = write_file_atomically(db, text); !e.empty()) throw std::runtime_error(e);
  std::string journal;
  for (std::int64_t uid = entries + 1; uid <= entries + journal_records; ++uid)
    journal += gallery_journal::frame("{\"op\":\"append\",\"entry\":" + entry_json(uid) + "}");
  if (auto e = write_file_atomically(gallery_journal_path(db), journal); !e.empty()) throw std::runtime_error(e);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

struct phase_figures {
  double appends_per_second = 0;
  double append_p50_ms = 0, append_p99_ms = 0, commit_p50_ms = 0, commit_p99_ms = 0;
  double query_p99_us = 0;
  std::uint64_t commits = 0, compactions = 0;
};

// 64 writers append for `seconds` while one reader queries limit=50; all on the real store.
phase_figures run_phase(const fs::path& dir, double seconds, std::size_t compact_every) {
  phase_figures out;
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  std::string error;
  auto db_path = (dir / "database" / "media-data.json").string();
  auto gallery = open_gallery(db_path, error);
  if (!gallery.db) throw std::runtime_error(error);
  auto outputs = std::make_shared<storage>((dir / "storage").string());
  media_store_settings settings;
  settings.db = gallery.db;
  settings.journal = gallery.journal;
  settings.path = db_path;
  settings.outputs = outputs;
  settings.view = std::make_shared<gallery_view>();
  settings.compact_every = compact_every;
  auto view = settings.view;
  auto store = spawn_media_store(sys, settings);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> acked{0};
  std::vector<std::vector<double>> latencies(64);
  std::vector<std::thread> writers;
  auto begin = steady::now();
  for (int w = 0; w < 64; ++w)
    writers.emplace_back([&, w] {
      caf::scoped_actor self{sys};
      std::int64_t n = 0;
      std::string png(8956, 'p');
      while (!stop) {
        // Like a task: its output file is in storage (not yet fsynced) before the append.
        auto result = typical_result(w * 1000000 + n++, outputs->save_new("image", "png", png));
        auto t0 = steady::now();
        self->request(store, std::chrono::seconds(30), atom::append::value, result)
            .receive([&](std::int64_t, std::string&) { ++acked; },
                     [&](caf::error& e) { std::fprintf(stderr, "append failed: %s\n", sys.render(e).c_str()); });
        latencies[static_cast<std::size_t>(w)].push_back(
            std::chrono::duration<double, std::milli>(steady::now() - t0).count());
      }
    });
  std::vector<double> query_us;
  std::thread reader([&] {
    gallery_query q;
    q.limit = 50;
    while (!stop) {
      auto t0 = steady::now();
      auto text = view->current()->query(q);
      query_us.push_back(std::chrono::duration<double, std::micro>(steady::now() - t0).count());
      if (text.size() < 2) std::abort();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  std::uint64_t done_at_end = acked;
  double elapsed = std::chrono::duration<double>(steady::now() - begin).count();
  stop = true;
  for (auto& t : writers) t.join();
  reader.join();
  out.appends_per_second = static_cast<double>(done_at_end) / elapsed;
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  out.append_p50_ms = percentile(all, 0.5);
  out.append_p99_ms = percentile(all, 0.99);
  out.query_p99_us = percentile(query_us, 0.99);
  caf::scoped_actor self{sys};
  self->request(store, std::chrono::seconds(10), atom::status::value)
      .receive(
          [&](actor_status& s) {
            auto& f = caf::get<media_store_figures>(s.figures);
            out.commit_p50_ms = f.commit_p50_ms;
            out.commit_p99_ms = f.commit_p99_ms;
            out.commits = f.commits;
            out.compactions = f.compactions;
          },
          [](caf::error&) {});
  self->send_exit(store, caf::exit_reason::user_shutdown);
  return out;
}

void print_phase(const char* name, const phase_figures& f) {
  std::printf(
      "%s: %.0f durable appends/s (64 writers), append p50 %.2f ms p99 %.2f ms, commit p50 %.2f ms p99 %.2f ms, "
      "%llu commits, %llu rewrites; query limit=50 p99 %.1f us\n",
      name, f.appends_per_second, f.append_p50_ms, f.append_p99_ms, f.commit_p50_ms, f.commit_p99_ms,
      static_cast<unsigned long long>(f.commits), static_cast<unsigned long long>(f.compactions), f.query_p99_us);
}

int store_bench(double seconds, std::size_t compact_every) {
  auto root = fs::temp_directory_path() / ("mediagen-gallery-bench-" + std::to_string(::getpid()));
  fs::remove_all(root);
  // Start-up and memory first, in a clean process: 100k entries plus a 10k-record journal.
  preload(root / "startup", 100000, 10000);
  malloc_trim(0);
  long rss_before = rss_kb();
  auto t0 = steady::now();
  std::string error;
  auto gallery = open_gallery((root / "startup" / "database" / "media-data.json").string(), error);
  double startup_ms = std::chrono::duration<double, std::milli>(steady::now() - t0).count();
  if (!gallery.db) throw std::runtime_error(error);
  malloc_trim(0);
  long rss_after = rss_kb();
  auto snapshot = gallery.db->index().current();
  double text_bytes = 0;
  for (std::size_t i = 0; i < snapshot->size(); ++i) text_bytes += static_cast<double>(snapshot->at(i).json.size());
  auto n = static_cast<double>(snapshot->size());
  std::printf("media-data.json rewritten every %zu journal records\n", compact_every);
  std::printf("start-up: %.0f entries (100,000 in media-data.json + %zu journal records) loaded in %.0f ms\n", n,
              gallery.replayed.records, startup_ms);
  std::printf(
      "memory: RSS +%ld kB for the gallery = %.0f bytes/entry, of which JSON text %.0f: %.0f bytes/entry beyond it\n",
      rss_after - rss_before, (rss_after - rss_before) * 1024.0 / n, text_bytes / n,
      ((rss_after - rss_before) * 1024.0 - text_bytes) / n);
  snapshot.reset();
  gallery = opened_gallery{};

  // The disk is shared and noisy: the two sizes alternate, three rounds each, on folders made once
  // (the small one stays near 100 entries: each round starts from a fresh copy of it).
  preload(root / "small-template", 100, 0);
  preload(root / "large", 100000, 0);
  phase_figures small_sum, large_sum;
  std::vector<double> small_p99, large_p99;
  for (int round = 1; round <= 3; ++round) {
    fs::remove_all(root / "small");
    fs::copy(root / "small-template", root / "small", fs::copy_options::recursive);
    auto small = run_phase(root / "small", seconds, compact_every);
    auto large = run_phase(root / "large", seconds, compact_every);
    std::printf("round %d\n", round);
    print_phase("  at 100 entries", small);
    print_phase("  at 100,000+ entries", large);
    small_sum.appends_per_second += small.appends_per_second / 3;
    large_sum.appends_per_second += large.appends_per_second / 3;
  }
  std::printf("mean of 3 rounds: %.0f appends/s at 100 entries, %.0f at 100,000+; ratio %.2f\n",
              small_sum.appends_per_second, large_sum.appends_per_second,
              large_sum.appends_per_second / small_sum.appends_per_second);
  fs::remove_all(root);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "preload" && argc == 5) {
      preload(argv[2], std::atoll(argv[3]), std::atoll(argv[4]));
      return 0;
    }
    if (mode == "store")
      return store_bench(argc > 2 ? std::atof(argv[2]) : 5.0,
                         argc > 3 ? static_cast<std::size_t>(std::atoll(argv[3])) : 10000);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gallery_bench: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: gallery_bench preload <data dir> <entries> <journal records> | store [seconds]\n");
  return 2;
}
