// One command a RelayConnection has accepted and not yet completed (relay_connection.h,
// REQUESTS). Private to relay_connection.cpp and relay_connection_io.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "relay/client/detail/relay_codec.h"
#include "relay/client/detail/relay_keyring.h"
#include "relay/client/relay_connection.h"

namespace exile::relay::client {

namespace detail {
enum class Expect { Ok, Ids, Bundle, Pong };  // the answer a command takes
}  // namespace detail

struct RelayConnection::Request {
  std::uint64_t handle = 0;
  detail::Expect expect = detail::Expect::Ok;
  std::string command;  // serialized Command: the bytes the authenticators cover
  std::vector<relay::wire::PublicKey> auth_keys;  // one authenticator each, in order
  bool survives_reconnect = false;  // SEND, ACK, SUB: written again on the next connection
  bool connection_bound = false;    // resubscription, PING, UNSUB: end with their connection
  bool retry_transient = false;     // INTERNAL, BUSY, RATE_LIMITED, SHUTTING_DOWN: retried
  std::optional<Clock::time_point> deadline;
  std::optional<Clock::time_point> attempt_deadline;  // the current attempt's
  Clock::time_point not_before{};                     // a retry waits until then
  std::uint64_t request_id = 0;                       // on the wire; 0 when not
  std::function<void(Result<detail::Reply>)> on_done;
};

}  // namespace exile::relay::client
