#pragma once
// The one way HTTP threads talk to actors: a blocking request from a short-lived scoped actor.
// Every call has a deadline, so an HTTP thread can never wait forever on a lost reply.

#include <chrono>
#include <optional>
#include <string>

#include <caf/scoped_actor.hpp>

namespace mediagen {

/// Sends `args...` to `dest` and waits up to `timeout` for a reply of type T.
/// nullopt (with `error` set) when the actor answered an error or did not answer in time.
template <class T, class Handle, class... Ts>
std::optional<T> ask(caf::actor_system& sys, const Handle& dest, std::chrono::milliseconds timeout,
                     std::string& error, Ts&&... args) {
  caf::scoped_actor self{sys};
  std::optional<T> out;
  self->request(dest, timeout, std::forward<Ts>(args)...)
      .receive([&](T& value) { out = std::move(value); },
               [&](caf::error& e) { error = sys.render(e); });
  return out;
}

} // namespace mediagen
