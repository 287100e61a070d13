#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/protocol.hpp"
#include "persistence/gallery_journal.hpp"
#include "persistence/media_database.hpp"
#include "persistence/storage.hpp"

namespace mediagen {

struct media_store_settings {
  /// The gallery, loaded from `path` with the journal replayed over it; the store owns it.
  std::shared_ptr<media_database> db;
  /// The journal beside media-data.json, open for appends.
  std::shared_ptr<gallery_journal> journal;
  /// media-data.json's path.
  std::string path;
  /// The storage folder whose files the entries point at.
  std::shared_ptr<storage> outputs;
  /// Where the store publishes each new snapshot for readers (the HTTP threads).
  std::shared_ptr<gallery_view> view;
  /// Rewrite media-data.json in the background once the journal holds this many records...
  std::size_t compact_every = 10000;
  /// ...or its oldest record is this old. (And at shutdown.)
  std::chrono::milliseconds compact_age = std::chrono::seconds(30);
  /// Nice value of the thread that rewrites media-data.json (bulk CPU: ~1.5 s for 100k entries),
  /// so a compaction yields the CPU to the request path (`renderNice`).
  int compact_nice = 10;
};

/// Spawns the media store (detached: its fsyncs must not block CAF's shared scheduler). Each
/// commit first makes the entries' output files durable, then appends the entries' records to
/// the journal with one write and one fdatasync, then publishes the new snapshot.
media_store_actor spawn_media_store(caf::actor_system& sys, media_store_settings settings);

} // namespace mediagen
