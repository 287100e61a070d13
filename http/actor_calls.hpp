#pragma once
// The one way HTTP threads talk to actors: a blocking request from a short-lived scoped actor.
// Every call has a deadline, so an HTTP thread can never wait forever on a lost reply.

#include <chrono>

#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>

namespace mediagen {

/// Sends `args...` to `dest` and waits up to `timeout` for a reply of type T: the value, or
/// the error the actor answered (actors/errors.hpp), or CAF's own (timeout, actor gone).
template <class T, class Handle, class... Ts>
caf::expected<T> ask(caf::actor_system& sys, const Handle& dest, std::chrono::milliseconds timeout, Ts&&... args) {
  caf::scoped_actor self{sys};
  caf::expected<T> out{caf::sec::request_timeout}; // replaced by whatever comes back
  self->request(dest, timeout, std::forward<Ts>(args)...)
      .receive([&](T& value) { out = std::move(value); }, [&](caf::error& e) { out = std::move(e); });
  return out;
}

} // namespace mediagen
