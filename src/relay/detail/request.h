// One client command in flight: the frame as received (its command bytes are what the
// authenticators cover) and the Command parsed from them. Shared by the continuations of the
// command's asynchronous steps.
#pragma once

#include <chrono>

#include "relay.pb.h"

namespace exile::relay::detail {

struct Request {
  pb::ClientFrame frame;
  pb::Command command;
  // The frame's place among the frames of its session (1, 2, …): written-order comparisons
  // for SEND holds (docs/relay-protocol.md §5, "Held behind a refusal").
  std::uint64_t seq = 0;
  // When handle_frame took it (the refusal floor counts from here).
  std::chrono::steady_clock::time_point arrival{};

  [[nodiscard]] std::uint64_t id() const { return frame.request_id(); }
};

}  // namespace exile::relay::detail
