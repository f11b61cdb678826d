// The three key derivations of the ratchet (docs/protocol.md §"Key derivation"):
//   KDF_RK(rk, dh)  = HKDF-SHA256(salt = rk, IKM = dh, info = "Exile_Ratchet_v1", L = 96)
//                     -> RK' ‖ CK ‖ NHK
//   KDF_CK(ck)      : MK = HMAC-SHA256(ck, 0x01), CK' = HMAC-SHA256(ck, 0x02)
//   message keys    = HKDF-SHA256(salt = 32 zero bytes, IKM = MK,
//                                 info = "Exile_MessageKeys_v1" ‖ header nonce(24), L = 56)
//                     -> key(32) ‖ nonce(24)
// The header nonce (24 random bytes in every envelope) is bound in so that two envelopes made
// from one MK -- a restored or forked session state sending twice -- still get unrelated
// body keys and nonces (docs/protocol.md §5.3).
// Outputs go to caller-provided spans (temporaries until a decrypt commits), never to the heap.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/secure_buffer.h"

namespace exile::crypto::detail {

inline constexpr std::size_t kChainKeyBytes = 32;
inline constexpr std::size_t kMessageKeyBytes = 32;
inline constexpr std::size_t kAeadKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
inline constexpr std::size_t kAeadNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
inline constexpr std::size_t kAeadTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

using Key32 = std::span<std::uint8_t, 32>;
using ConstKey32 = std::span<const std::uint8_t, 32>;

// KDF_RK. root_out may alias root_in.
void kdf_rk(Key32 root_out, Key32 chain_out, Key32 next_header_out, ConstKey32 root_in,
            ConstKey32 dh_output);

// KDF_CK. chain_out may alias chain_in.
void kdf_ck(Key32 message_key_out, Key32 chain_out, ConstKey32 chain_in);

// The AEAD key and nonce of one message, wiped on destruction.
struct MessageKeys {
  TempSecret<kAeadKeyBytes + kAeadNonceBytes> bytes;
  [[nodiscard]] const std::uint8_t* key() const { return bytes.data(); }
  [[nodiscard]] const std::uint8_t* nonce() const { return bytes.data() + kAeadKeyBytes; }
};
// header_nonce is the envelope's 24-byte header nonce (any other size aborts: a bug).
void expand_message_key(MessageKeys& out, ConstKey32 message_key, ByteView header_nonce);

}  // namespace exile::crypto::detail
