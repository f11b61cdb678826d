// The queue key pairs a RelayConnection needs to authenticate commands (docs/relay-protocol.md
// §3), and the command keys K derived from them on the current connection.
//
// Invariants: a key pair is held (its secret cloned into guarded memory) exactly while some
// pending request or remembered subscription references it (retain/release counts). Command
// keys belong to one connection: begin_session() and end_session() drop them all, so a K is
// never used under another connection's Hello.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

#include "common/bytes.h"
#include "relay/wire/wire.h"

namespace exile::relay::client::detail {

class RelayKeyring {
 public:
  void retain(const relay::wire::KeyPair& pair);
  // One more reference to a key pair already held; false if it is not.
  [[nodiscard]] bool retain(const relay::wire::PublicKey& public_key);
  void release(const relay::wire::PublicKey& public_key);

  void begin_session(const relay::wire::PublicKey& session_key,
                     const relay::wire::SessionNonce& session_nonce);
  void end_session();
  [[nodiscard]] bool in_session() const { return session_.has_value(); }

  // The authenticator of `command` by the queue key `public_key` on this session; K is derived
  // on first use and cached. Nullopt outside a session, for a key not retained, or if the
  // derivation fails.
  [[nodiscard]] std::optional<relay::wire::Authenticator> authenticate(
      const relay::wire::PublicKey& public_key, std::uint64_t request_id, ByteView command);

  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    relay::wire::KeyPair pair;
    std::size_t references = 0;
    std::optional<relay::wire::CommandKey> command_key;
  };
  struct Session {
    relay::wire::PublicKey session_key{};
    relay::wire::SessionNonce session_nonce{};
  };

  std::map<relay::wire::PublicKey, Entry> entries_;
  std::optional<Session> session_;
};

}  // namespace exile::relay::client::detail
