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
    case error_code::change_refused: return "change_refused";
  }
  return "unknown";
}

caf::error make_error(error_code code, std::string sentence, std::string extra) {
  auto context = extra.empty() ? caf::make_message(std::move(sentence))
                               : caf::make_message(std::move(sentence), std::move(extra));
  return caf::error{static_cast<std::uint8_t>(code), error_category, std::move(context)};
}

caf::error make_error(error_code code, std::string sentence, backend_failure details) {
  if (details.empty()) return make_error(code, std::move(sentence));
  return caf::error{static_cast<std::uint8_t>(code), error_category,
                    caf::make_message(std::move(sentence), std::move(details))};
}

caf::error make_error(change_refusal refusal) {
  return caf::error{static_cast<std::uint8_t>(error_code::change_refused), error_category,
                    caf::make_message(std::move(refusal))};
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

const backend_failure* error_details(const caf::error& e) {
  const auto& ctx = e.context();
  if (e.category() != error_category || ctx.size() < 2 || !ctx.match_element<backend_failure>(1)) return nullptr;
  return &ctx.get_as<backend_failure>(1);
}

const change_refusal* error_refusal(const caf::error& e) {
  const auto& ctx = e.context();
  if (!has_code(e, error_code::change_refused) || ctx.empty() || !ctx.match_element<change_refusal>(0)) return nullptr;
  return &ctx.get_as<change_refusal>(0);
}

void register_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(error_category, [](std::uint8_t code, caf::atom_value, const caf::message& context) {
    std::string out = "mediagen." + to_string(static_cast<error_code>(code));
    if (!context.empty() && context.match_element<std::string>(0)) out += ": " + context.get_as<std::string>(0);
    return out;
  });
}

} // namespace mediagen
