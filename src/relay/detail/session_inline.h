// Session::blocking, shared by the files that implement Session (command_handler.cpp,
// detail/session_commands.cpp, detail/session_push.cpp).
#pragma once

#include <exception>
#include <utility>

#include "relay/command_handler.h"

namespace exile::relay {

template <class Work, class Then>
void Session::blocking(Work work, Then then) {
  auto self = shared_from_this();
  core_.run_blocking(lane_, [self, work = std::move(work), then = std::move(then)]() mutable {
    using Outcome = decltype(work());
    Outcome result = [&]() -> Outcome {
      try {
        return work();
      } catch (const std::exception&) {  // std::bad_alloc: answered INTERNAL, not fatal
        return fail(ErrorCode::Internal, "exception in a store call");
      }
    }();
    self->io_.post([self, result = std::move(result), then = std::move(then)]() mutable {
      if (self->closed_) return;
      then(std::move(result));
    });
  });
}

// A protobuf bytes field as a byte view.
inline ByteView bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

template <std::size_t N>
std::string to_string_bytes(const std::array<std::uint8_t, N>& a) {
  return std::string(reinterpret_cast<const char*>(a.data()), N);
}

}  // namespace exile::relay
