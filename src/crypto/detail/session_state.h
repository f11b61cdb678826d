// The in-memory state of one Double Ratchet session with header encryption (Signal's Double
// Ratchet specification §4; docs/protocol.md §"Session state").
//
// Layout: every fixed-size secret (root key, our ratchet secret, chain keys, header keys and the
// header keys of past receiving chains) lives in ONE guarded allocation (SecureBuffer), addressed
// by KeySlot. Presence of the optional keys is a flag next to them. Public values, counters and
// flags are plain members. Skipped message keys live in SkippedKeyStore (wiped heap memory).
//
// Invariants (checked by deserialize, kept by every transition):
//   - has_recv_chain == has_recv_header_key (a receiving chain always has its header key).
//   - has_send_chain implies has_send_header_key and remote_ratchet_key.
//   - send_ratchet_pending implies remote_ratchet_key, has_send_header_key, !has_send_chain
//     (the old sending chain is wiped when the receive half of a DH ratchet step runs).
//   - awaiting_first_reply implies role == Initiator.
//   - past_chain_count <= kMaxPastChains; past chain i has its header key in slot PastHeader0+i.
//   - ratchet_public == X25519 base point multiplied by the secret in slot RatchetSecret.
//
// State transitions (detail/ratchet_send.cpp, detail/ratchet_receive.cpp):
//   initiate()  -> sending chain ready, awaiting_first_reply.
//   respond()   -> no sending chain; the first decrypt runs the receive half of a DH step.
//   decrypt() of a message opening under the next receive header key
//               -> receive half of a DH ratchet step, send_ratchet_pending = true.
//   encrypt() with send_ratchet_pending -> send half of the DH step (new ratchet key pair).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "common/bytes.h"
#include "common/secure_buffer.h"
#include "crypto/detail/skipped_keys.h"
#include "crypto/keys.h"
#include "crypto/limits.h"

namespace exile::crypto::detail {

inline constexpr std::size_t kKeyBytes = 32;

enum class KeySlot : std::size_t {
  Root = 0,
  RatchetSecret,   // DHs private key
  SendChain,       // CKs
  RecvChain,       // CKr
  SendHeader,      // HKs
  RecvHeader,      // HKr
  NextSendHeader,  // NHKs
  NextRecvHeader,  // NHKr
  PastHeader0,     // header keys of finished receiving chains, most recent first
  Count = PastHeader0 + kMaxPastChains,
};

inline constexpr std::size_t kSecretBytes = static_cast<std::size_t>(KeySlot::Count) * kKeyBytes;

enum class Role : std::uint8_t { Initiator = 1, Responder = 2 };

struct SessionState {
  SessionState(IdentityPublicKey local, IdentityPublicKey remote)
      : local_identity(local), remote_identity(remote) {}

  [[nodiscard]] std::span<std::uint8_t, kKeyBytes> key(KeySlot slot) {
    return std::span<std::uint8_t, kKeyBytes>(
        secrets.data() + static_cast<std::size_t>(slot) * kKeyBytes, kKeyBytes);
  }
  [[nodiscard]] std::span<const std::uint8_t, kKeyBytes> key(KeySlot slot) const {
    return std::span<const std::uint8_t, kKeyBytes>(
        secrets.data() + static_cast<std::size_t>(slot) * kKeyBytes, kKeyBytes);
  }
  [[nodiscard]] static KeySlot past_slot(std::size_t index) {
    return static_cast<KeySlot>(static_cast<std::size_t>(KeySlot::PastHeader0) + index);
  }
  void wipe_key(KeySlot slot) { sodium_memzero(key(slot).data(), kKeyBytes); }

  // Remembers a finished receiving chain (most recent first, oldest dropped).
  void push_past_chain(std::span<const std::uint8_t, kKeyBytes> header_key, std::uint32_t end);

  IdentityPublicKey local_identity;
  IdentityPublicKey remote_identity;
  Role role = Role::Initiator;
  Bytes associated_data;  // AD from X3DH
  Bytes initial_header;   // X3DH initial header (initiator: sent; responder: expected)

  SecureBuffer<kSecretBytes> secrets;
  std::array<std::uint8_t, kX25519Bytes> ratchet_public{};  // DHs public key
  std::optional<X25519PublicKey> remote_ratchet_key;        // DHr

  bool has_send_chain = false;
  bool has_recv_chain = false;
  bool has_send_header_key = false;
  bool has_recv_header_key = false;
  bool send_ratchet_pending = false;
  bool awaiting_first_reply = false;

  std::uint32_t send_count = 0;           // Ns
  std::uint32_t recv_count = 0;           // Nr
  std::uint32_t previous_send_count = 0;  // PN

  // Finished receiving chains: how many messages each held (Nr at the time it ended, after
  // skipping up to the peer's PN). Header keys in slots PastHeader0.. .
  std::array<std::uint32_t, kMaxPastChains> past_chain_end{};
  std::size_t past_chain_count = 0;

  SkippedKeyStore skipped;

  // Scratch for the body AEAD's associated data (AD ‖ envelope bytes [0, 81)), sized once so
  // that no message allocates for it. Not part of the state.
  Bytes body_ad_scratch;
};

}  // namespace exile::crypto::detail
