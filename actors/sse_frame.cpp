#include "actors/sse_queue.hpp"

namespace mediagen {

std::string format_sse_frame(std::int64_t id, const std::string& event, const std::string& data_json) {
  // data_json is compact JSON: it holds no raw newline, so one data: line carries it whole.
  std::string frame;
  frame.reserve(data_json.size() + event.size() + 32);
  frame += "id: ";
  frame += std::to_string(id);
  frame += "\nevent: ";
  frame += event;
  frame += "\ndata: ";
  frame += data_json;
  frame += "\n\n";
  return frame;
}

std::string format_sse_frame_without_id(const std::string& event, const std::string& data_json) {
  std::string frame;
  frame.reserve(data_json.size() + event.size() + 16);
  frame += "event: ";
  frame += event;
  frame += "\ndata: ";
  frame += data_json;
  frame += "\n\n";
  return frame;
}

} // namespace mediagen
