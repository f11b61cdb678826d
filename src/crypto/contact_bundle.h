// The contact bundle and the one-time prekeys as a relay stores them (docs/protocol.md §3.6).
//
// The bundle of a contact address is stored sealed under the bundle key that only the
// invitation link carries (§2.5), so a relay never holds an identity key in the clear and
// cannot tell whose address it serves. Its one-time prekeys are stored beside it, one by one,
// as bare X25519 keys with their ids: they name no one, and the relay hands each out once.
// Both are parsed here and nowhere else (fuzz target: tests/fuzz/fuzz_sealed_bundle.cpp).
#pragma once

#include <cstddef>

#include "common/bytes.h"
#include "common/result.h"
#include "common/rng.h"
#include "common/secure_buffer.h"
#include "crypto/prekeys.h"

namespace exile::crypto {

inline constexpr std::size_t kBundleKeyBytes = 32;
// version, nonce, tag: a sealed bundle is this much longer than the bundle it seals.
inline constexpr std::size_t kSealedBundleOverheadBytes = 1 + 24 + 16;
// The longest sealed bundle open_contact_bundle reads: the relay's bundle limit
// (docs/relay-protocol.md, PutBundle).
inline constexpr std::size_t kMaxSealedBundleBytes = 4096;
// u32 id, X25519 public key.
inline constexpr std::size_t kOneTimeKeyBytes = 4 + kX25519Bytes;

// The contact bundle as the relay stores it: `bundle` without its one-time prekey, sealed
// under the invitation's bundle key with a fresh random nonce. InvalidArgument for a reset
// bundle or an all-zero key. The one-time prekey, if any, is left out: it goes to the relay
// on its own (encode_one_time_key).
[[nodiscard]] Result<Bytes> seal_contact_bundle(const PreKeyBundle& bundle,
                                                const SecureBuffer<kBundleKeyBytes>& bundle_key,
                                                Rng& rng);

// Opens and parses a sealed contact bundle. Checks in the order of §3.6: InvalidArgument (an
// all-zero key), MalformedMessage (empty), UnsupportedVersion (byte 0), MalformedMessage
// (length), DecryptionFailed (wrong key or any change), PreKeyBundle::parse's errors, then
// MalformedMessage for a bundle not of kind Contact or with a one-time prekey. Does not verify
// the signature (x3dh_initiate does).
[[nodiscard]] Result<PreKeyBundle> open_contact_bundle(
    ByteView sealed, const SecureBuffer<kBundleKeyBytes>& bundle_key);

// One one-time prekey as the relay stores and hands it out: u32 id (big endian) ‖ 32-byte
// X25519 public key, 36 bytes.
[[nodiscard]] Bytes encode_one_time_key(const OneTimePreKeyPublic& key);
// MalformedMessage for any length but 36, InvalidKey for a non-canonical key.
[[nodiscard]] Result<OneTimePreKeyPublic> decode_one_time_key(ByteView bytes);

}  // namespace exile::crypto
