// What the relay and its clients share of the relay protocol (proto/relay.proto,
// docs/relay-protocol.md): limits, ids, and command authenticators. No Boost, no Qt: linked by
// exile_relay_core (the server) and exile_relay_client (RelayConnection), and by tests and
// fuzzers.
//
// AUTHENTICATORS (relay-protocol.md §3). Every queue key is an X25519 key pair. Each
// connection's Hello carries a fresh relay key pair's public half S and a random 32-byte
// nonce N. For a queue key Q the command key is
//     K = HKDF-SHA256(salt = N, IKM = X25519(q, S) [client] = X25519(s, Q) [relay],
//                     info = "exile-relay-auth-v1" ‖ Q ‖ S)            (32 bytes)
// and a command's authenticator is BLAKE2b-256 keyed with K over "exile-relay-cmd-v2" ‖
// be64(request_id) ‖ command bytes. K differs on every connection, so a captured command is
// worthless on another. Both sides derive K once per (connection, queue key) and keep it for the
// connection's life: after the first command, a queue command costs one keyed hash instead of an
// Ed25519 signature and verification (docs/relay-protocol.md §3 says why this replaces the
// Ed25519 signatures PROTOCOL.md first named).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/rng.h"
#include "common/secure_buffer.h"
#include "crypto/keyed_hash.h"

namespace exile::relay::wire {

inline constexpr std::uint32_t kProtocolVersion = 1;

// Sizes (relay-protocol.md §2). A client_msg_id is an exile::ClientMessageId (common/ids.h).
inline constexpr std::size_t kQueueIdBytes = 16;
inline constexpr std::size_t kPublicKeyBytes = 32;
inline constexpr std::size_t kNonceBytes = 32;
inline constexpr std::size_t kAuthenticatorBytes = 32;

// Limits (relay-protocol.md §6). The relay may be configured lower, and says so in Hello.
inline constexpr std::size_t kMaxBodyBytes = 65536;
inline constexpr std::size_t kMaxFrameBytes = kMaxBodyBytes + 4096;  // body + framing overhead
// A binary message from the relay is a ServerBatch of one or more ServerFrames
// (relay-protocol.md §1; wire/batch.h); the relay packs frames while the message stays at most
// this size (a single frame always fits).
inline constexpr std::size_t kMaxServerMessageBytes = 256 * 1024;
static_assert(kMaxFrameBytes + 16 <= kMaxServerMessageBytes);
// A binary message from a client is a ClientBatch of 1 to kMaxClientBatchFrames ClientFrames, at
// most this size (relay-protocol.md §1). Larger: the relay closes with 1009.
inline constexpr std::size_t kMaxClientMessageBytes = 256 * 1024;
inline constexpr std::size_t kMaxClientBatchFrames = 256;
static_assert(kMaxFrameBytes + 16 <= kMaxClientMessageBytes);
inline constexpr std::size_t kMaxBundleBytes = 4096;
inline constexpr std::size_t kMaxOneTimeKeyBytes = 256;
inline constexpr std::size_t kMaxOneTimeKeysPerCommand = 100;
inline constexpr std::size_t kMaxSubBatch = 1000;

using QueueId = std::array<std::uint8_t, kQueueIdBytes>;
using PublicKey = std::array<std::uint8_t, kPublicKeyBytes>;
using SessionNonce = std::array<std::uint8_t, kNonceBytes>;
using Authenticator = std::array<std::uint8_t, kAuthenticatorBytes>;
using SecretKey = SecureBuffer<32>;  // an X25519 secret key (queue key or session key)

// K above, kept as keyed BLAKE2b's state after the key block, so that authenticating or
// verifying a command hashes only the command. Move-only; the state is wiped on destruction.
class CommandKey {
 public:
  explicit CommandKey(ByteView key) : mac_(std::make_unique<crypto::KeyedBlake2b>(key)) {}
  [[nodiscard]] const crypto::KeyedBlake2b& mac() const { return *mac_; }

 private:
  std::unique_ptr<crypto::KeyedBlake2b> mac_;
};

struct KeyPair {
  PublicKey public_key{};
  SecretKey secret_key;

  [[nodiscard]] KeyPair clone() const {
    return {public_key, SecretKey(ByteView(secret_key.data(), secret_key.size()))};
  }
};

// A fresh X25519 key pair: the secret key is 32 bytes of `rng` (SystemRng for real keys),
// the public key X25519(secret, base point).
[[nodiscard]] KeyPair generate_key_pair(Rng& rng);

// Copies `bytes` into a fixed-size array if the size is exact; nullopt otherwise.
template <std::size_t N>
[[nodiscard]] std::optional<std::array<std::uint8_t, N>> exact(ByteView bytes) {
  if (bytes.size() != N) return std::nullopt;
  std::array<std::uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

// Client side: K for queue key pair `queue` on a connection whose Hello carried
// `session_key` and `nonce`. Fails (WeakKey) if the relay's key is a low-order point.
[[nodiscard]] Result<CommandKey> client_command_key(const KeyPair& queue,
                                                    const PublicKey& session_key,
                                                    const SessionNonce& nonce);

// Relay side: the same K from the session's secret key and the queue's public key. Fails
// (WeakKey) for a low-order queue key: such keys are refused at NEW and KEY.
[[nodiscard]] Result<CommandKey> relay_command_key(const SecretKey& session_secret,
                                                   const PublicKey& session_key,
                                                   const SessionNonce& nonce,
                                                   const PublicKey& queue_key);

[[nodiscard]] Authenticator authenticate(const CommandKey& key, std::uint64_t request_id,
                                         ByteView command);

// Constant-time check of `tag` (any size; a wrong size is false).
[[nodiscard]] bool verify(const CommandKey& key, std::uint64_t request_id, ByteView command,
                          ByteView tag);

// True if `key` is usable as a queue key: X25519 with it gives a non-zero result.
[[nodiscard]] bool acceptable_queue_key(const PublicKey& key);

}  // namespace exile::relay::wire
