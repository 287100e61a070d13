#include "actors/errors.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

namespace mediagen {

std::string to_string(error_code code) {
  switch (code) {
    case error_code::queue_full: return "queue_full";
    case error_code::shutting_down: return "shutting_down";
    case error_code::duplicate_task: return "duplicate_task";
    case error_code::unknown_task: return "unknown_task";
    case error_code::task_ended: return "task_ended";
    case error_code::too_many_streams: return "too_many_streams";
    case error_code::stream_finished: return "stream_finished";
    case error_code::wait_timed_out: return "wait_timed_out";
    case error_code::backend_failed: return "backend_failed";
    case error_code::internal_failure: return "internal_failure";
    case error_code::key_conflict: return "key_conflict";
  }
  return "unknown";
}

caf::error make_error(error_code code, std::string sentence, std::string extra) {
  auto context = extra.empty() ? caf::make_message(std::move(sentence))
                               : caf::make_message(std::move(sentence), std::move(extra));
  return caf::error{static_cast<std::uint8_t>(code), error_category, std::move(context)};
}

bool has_code(const caf::error& e, error_code code) {
  return e.category() == error_category && e.code() == static_cast<std::uint8_t>(code);
}

namespace {

std::string context_string(const caf::error& e, std::size_t index) {
  const auto& ctx = e.context();
  if (ctx.size() > index && ctx.match_element<std::string>(index)) return ctx.get_as<std::string>(index);
  return {};
}

} // namespace

std::string error_sentence(const caf::error& e) {
  if (e.category() == error_category) return context_string(e, 0);
  return to_string(e);
}

std::string error_extra(const caf::error& e) {
  return e.category() == error_category ? context_string(e, 1) : std::string();
}

void register_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(error_category, [](std::uint8_t code, caf::atom_value, const caf::message& context) {
    std::string out = "mediagen." + to_string(static_cast<error_code>(code));
    if (!context.empty() && context.match_element<std::string>(0)) out += ": " + context.get_as<std::string>(0);
    return out;
  });
}

} // namespace mediagen
