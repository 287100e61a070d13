#include "generation/upload_request.hpp"

#include <cstdint>

namespace mediagen {

namespace {

unsigned byte_at(const std::string& b, std::size_t i) { return static_cast<unsigned char>(b[i]); }

// Width and height from a JPEG's first start-of-frame marker; false when none is found.
bool jpeg_size(const std::string& b, unsigned& width, unsigned& height) {
  std::size_t i = 2;
  while (i + 9 < b.size()) {
    if (byte_at(b, i) != 0xFF) return false;
    unsigned marker = byte_at(b, i + 1);
    if (marker == 0xFF) {
      ++i;
      continue;
    } // fill byte
    std::size_t length = (byte_at(b, i + 2) << 8) | byte_at(b, i + 3);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      height = (byte_at(b, i + 5) << 8) | byte_at(b, i + 6);
      width = (byte_at(b, i + 7) << 8) | byte_at(b, i + 8);
      return true;
    }
    if (length < 2) return false;
    i += 2 + length;
  }
  return false;
}

// The client's file name without its extension: the entry's name when the client sent none.
std::string name_from_filename(const std::string& filename) {
  auto slash = filename.find_last_of("/\\");
  std::string base = slash == std::string::npos ? filename : filename.substr(slash + 1);
  auto dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  if (!json::valid_utf8(base) || base.size() > 1024) return {};
  return base;
}

} // namespace

std::string upload_workflow_name(const std::string& what) {
  return what == "audio" ? "Uploaded Audio" : "Uploaded Image";
}

std::string image_orientation(const std::string& b) {
  unsigned width = 0, height = 0;
  if (b.size() >= 24 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && b.compare(12, 4, "IHDR") == 0) {
    width = (byte_at(b, 16) << 24) | (byte_at(b, 17) << 16) | (byte_at(b, 18) << 8) | byte_at(b, 19);
    height = (byte_at(b, 20) << 24) | (byte_at(b, 21) << 16) | (byte_at(b, 22) << 8) | byte_at(b, 23);
  } else if (b.size() > 4 && byte_at(b, 0) == 0xFF && byte_at(b, 1) == 0xD8) {
    if (!jpeg_size(b, width, height)) return {};
  }
  if (width == 0 || height == 0) return {};
  return width > height ? "landscape" : width < height ? "portrait" : "square";
}

validation_result validate_upload(const std::string& what, const std::map<std::string, std::string>& fields,
                                  const std::vector<upload_part>& parts) {
  bool audio = what == "audio";
  const upload_part* file = nullptr;
  for (auto& p : parts) {
    if (p.field != what) return refused(400, "The only file part accepted is '" + what + "', not '" + p.field + "'.");
    if (file) return refused(400, "Send one '" + what + "' file per upload.");
    file = &p;
  }
  if (!file) return refused(400, "No " + what + " file provided (a multipart file part named '" + what + "').");
  if (file->bytes->empty()) return refused(400, "The " + what + " file is empty.");
  std::string kind = sniff_file_kind(*file->bytes);
  if (audio ? !is_audio_kind(kind) : !is_image_kind(kind))
    return refused(400, audio ? "The audio file is not a WAV, MP3, OGG or FLAC file (or it is cut short)."
                              : "The image file is not a PNG, JPEG or WebP image (or it is cut short).");

  validation_result v;
  auto& r = v.request;
  r.upload = what;
  r.workflow = upload_workflow_name(what);
  r.files.push_back(input_file{what, kind, ""});
  for (auto& [key, text] : fields)
    if (text.size() > max_text_field_bytes) return refused(400, "'" + key + "' is longer than 64 KiB.");
  auto text_of = [&](const char* key) {
    auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  };
  r.name = text_of("name");
  if (r.name.empty()) r.name = name_from_filename(file->filename);
  r.prompt = text_of("prompt");
  r.summary = text_of("summary");
  r.description = text_of("description");
  if (r.description.empty() && !audio) r.description = "Uploaded image"; // what the Node server stored
  if (auto it = fields.find("tags"); it != fields.end()) {
    json::value tags(it->second.c_str(), static_cast<rapidjson::SizeType>(it->second.size()));
    if (auto e = parse_tags(tags, r.tags); !e.empty()) return refused(400, e);
  }
  if (!audio) r.orientation = image_orientation(*file->bytes);

  // An audio entry derived from another (the sound editor's trim) names its origin and clips.
  if (audio) {
    json::document extra(rapidjson::kObjectType);
    auto& a = extra.GetAllocator();
    if (auto it = fields.find("origin"); it != fields.end() && !it->second.empty()) {
      json::document origin;
      if (!json::parse(it->second, origin).empty() || !origin.IsInt64() || origin.GetInt64() < 0)
        return refused(400, "origin must be the uid of an entry (a non-negative integer).");
      extra.AddMember("origin", json::value(origin.GetInt64()), a);
    }
    json::value clips(rapidjson::kArrayType);
    if (auto it = fields.find("clips"); it != fields.end() && !it->second.empty()) {
      json::document parsed;
      if (!json::parse(it->second, parsed).empty() || !parsed.IsArray())
        return refused(400, "clips must be a JSON array.");
      clips.CopyFrom(parsed, a);
    }
    extra.AddMember("clips", clips, a); // always stored, as the Node server did: [] is "no clips"
    // The format the file is stored in (the Node server's field; a requested `audioFormat` is not converted to).
    extra.AddMember("audioFormat", json::str(kind, a), a);
    r.extra_inputs_json = json::stringify(extra);
  }
  v.ok = true;
  return v;
}

} // namespace mediagen
