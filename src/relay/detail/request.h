// One client command in flight: the frame as received (its command bytes are what the
// authenticators cover) and the Command parsed from them. Shared by the continuations of the
// command's asynchronous steps.
#pragma once

#include "relay.pb.h"

namespace exile::relay::detail {

struct Request {
  pb::ClientFrame frame;
  pb::Command command;

  [[nodiscard]] std::uint64_t id() const { return frame.request_id(); }
};

}  // namespace exile::relay::detail
