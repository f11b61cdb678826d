// Signed prekeys, one-time prekeys and the prekey bundle a contact fetches from a relay.
// Wire format: docs/protocol.md §"Prekey bundle". The bundle is parsed here and nowhere
// else (fuzz target: tests/fuzz/fuzz_bundle.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"
#include "common/rng.h"
#include "crypto/keys.h"

namespace exile::crypto {

using PreKeyId = std::uint32_t;

struct SignedPreKey {
  PreKeyId id;
  X25519KeyPair key;
  Ed25519Signature signature;
  UnixMillis created;

  [[nodiscard]] SignedPreKey clone() const { return {id, key.clone(), signature, created}; }
};

struct OneTimePreKey {
  PreKeyId id;
  X25519KeyPair key;

  [[nodiscard]] OneTimePreKey clone() const { return {id, key.clone()}; }
};

struct OneTimePreKeyPublic {
  PreKeyId id;
  X25519PublicKey key;
};

// What a bundle is for. A contact bundle is published on a relay under an address; a reset
// bundle is sent inside an existing chat to re-key it (PROTOCOL.md §2, session reset).
enum class BundleKind : std::uint8_t { Contact = 1, Reset = 2 };

// The bytes the identity key signs for a signed prekey (domain-separated; docs/protocol.md).
[[nodiscard]] Bytes signed_prekey_message(BundleKind kind, PreKeyId id, const X25519PublicKey& key);

[[nodiscard]] SignedPreKey generate_signed_prekey(const IdentityKeyPair& identity, PreKeyId id,
                                                  UnixMillis now, Rng& rng,
                                                  BundleKind kind = BundleKind::Contact);
[[nodiscard]] std::vector<OneTimePreKey> generate_one_time_prekeys(PreKeyId first_id,
                                                                   std::size_t count, Rng& rng);

struct PreKeyBundle {
  static constexpr std::uint8_t kVersion = 1;

  BundleKind kind = BundleKind::Contact;
  IdentityPublicKey identity;
  PreKeyId signed_prekey_id = 0;
  X25519PublicKey signed_prekey;
  Ed25519Signature signed_prekey_signature;
  std::optional<OneTimePreKeyPublic> one_time_prekey;

  [[nodiscard]] static PreKeyBundle make(const IdentityKeyPair& identity, const SignedPreKey& spk,
                                         const OneTimePreKey* opk,
                                         BundleKind kind = BundleKind::Contact);

  [[nodiscard]] Bytes serialize() const;
  // Checks lengths, version and that every key is valid; does not check the signature
  // (verify_signature does; x3dh_initiate calls it).
  [[nodiscard]] static Result<PreKeyBundle> parse(ByteView bytes);
  [[nodiscard]] Result<void> verify_signature() const;
};

}  // namespace exile::crypto
