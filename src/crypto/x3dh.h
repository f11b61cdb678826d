// X3DH key agreement (PROTOCOL.md §1; exact format in docs/protocol.md §"X3DH").
//
// Initiator (Alice): x3dh_initiate(own identity, Bob's bundle, fingerprint from the
// invitation) verifies the bundle, runs DH1..DH4 and returns the seed for the Double Ratchet
// plus the initial header that prefixes her messages until Bob first replies.
// Responder (Bob): parse_initial_message() splits an initial envelope; x3dh_respond() looks up
// the signed prekey and one-time prekey it names and derives the same seed. It never removes
// a prekey: the caller removes the one-time prekey in the same transaction that stores the
// first decrypted message (all-or-nothing).
#pragma once

#include <array>
#include <optional>

#include "common/bytes.h"
#include "common/result.h"
#include "common/rng.h"
#include "common/secure_buffer.h"
#include "crypto/keys.h"
#include "crypto/prekeys.h"

namespace exile::crypto {

class PreKeyStore;

inline constexpr std::size_t kRootKeyBytes = 32;
inline constexpr std::size_t kHeaderKeyBytes = 32;

// What an invitation carries to pin the contact's identity before first use.
struct IdentityFingerprint {
  std::array<std::uint8_t, 32> bytes{};
  [[nodiscard]] static IdentityFingerprint of(const IdentityPublicKey& key);
  [[nodiscard]] bool matches(const IdentityPublicKey& key) const;  // constant time
  [[nodiscard]] static Result<IdentityFingerprint> from_bytes(ByteView bytes);
};

// The secrets X3DH hands to the Double Ratchet.
struct SessionSeed {
  SecureBuffer<kRootKeyBytes> root_key;
  SecureBuffer<kHeaderKeyBytes> initiator_header_key;       // HKa: Alice's first send header key
  SecureBuffer<kHeaderKeyBytes> responder_next_header_key;  // NHKb
  Bytes associated_data;                                    // AD (docs/protocol.md)
  IdentityPublicKey local_identity;
  IdentityPublicKey remote_identity;
};

struct X3dhInitiation {
  SessionSeed seed;
  X25519PublicKey remote_ratchet_key;  // Bob's signed prekey: his first ratchet public key
  Bytes initial_header;                // prefixes every envelope until the first reply
  PreKeyId signed_prekey_id = 0;
  std::optional<PreKeyId> one_time_prekey_id;
};

[[nodiscard]] Result<X3dhInitiation> x3dh_initiate(const IdentityKeyPair& own,
                                                   const PreKeyBundle& bundle,
                                                   const IdentityFingerprint& expected, Rng& rng);

// An initial envelope split into its parts; views point into the parsed bytes.
struct InitialMessage {
  X25519PublicKey ephemeral;  // EK_A
  PreKeyId signed_prekey_id;
  ByteView sealed;            // IK_A, OPK id, KEM slot: encrypted (docs/protocol.md)
  ByteView header_bytes;      // the whole initial header (AD of the sealed part, and echo check)
  ByteView ratchet_envelope;  // the Double Ratchet envelope that follows
};

[[nodiscard]] Result<InitialMessage> parse_initial_message(ByteView envelope);

struct X3dhResponse {
  SessionSeed seed;
  X25519KeyPair ratchet_key;  // a copy of the signed prekey: Bob's first ratchet key pair
  X25519PublicKey initiator_ephemeral;
  Bytes initial_header;  // the initiator's header bytes: later Initial envelopes must repeat it
  PreKeyId signed_prekey_id = 0;
  std::optional<PreKeyId> one_time_prekey_id;
};

[[nodiscard]] Result<X3dhResponse> x3dh_respond(const IdentityKeyPair& own,
                                                const PreKeyStore& prekeys,
                                                const InitialMessage& message);

}  // namespace exile::crypto
