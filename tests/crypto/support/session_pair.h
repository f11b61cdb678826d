// Test support: a started and accepted session pair (X3DH + the first message), made
// deterministically from a seed, and small helpers around it.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/rng.h"
#include "crypto/keys.h"
#include "crypto/memory_store.h"
#include "crypto/session.h"

namespace exile::crypto::test {

inline constexpr std::int64_t kStartMillis = 1'700'000'000'000;

struct SessionPair {
  DeterministicRng rng;
  UnixMillis now;
  IdentityKeyPair alice_identity;
  IdentityKeyPair bob_identity;
  Session alice;  // initiator: awaiting_first_reply until Bob's first message arrives
  Session bob;    // responder: has decrypted first_envelope
  Bytes first_envelope;
  std::string first_plaintext;
};

// Alice fetches Bob's bundle (with or without a one-time prekey), starts a session, sends
// first_plaintext; Bob accepts it. Aborts the test binary on any failure (a broken fixture).
[[nodiscard]] SessionPair make_session_pair(std::uint64_t seed, bool with_opk = true);

[[nodiscard]] Bytes to_bytes(std::string_view text);
[[nodiscard]] std::string to_string(const SecureBytes& bytes);

// An independent copy of a session, made the only way production code can: serialize() then
// deserialize() (Session has no clone(); see session.h). Aborts on failure.
[[nodiscard]] Session fork_session(const Session& session);

// The session's serialized state as plain bytes, for equality checks in tests.
[[nodiscard]] Bytes state_of(const Session& session);

// Decrypting `envelope` fails (with `expected`, if given) and leaves the serialized state
// byte-for-byte unchanged.
[[nodiscard]] ::testing::AssertionResult fails_unchanged(Session& session, ByteView envelope,
                                                         UnixMillis now,
                                                         std::optional<ErrorCode> expected = {});

// Decrypting `envelope` yields exactly `plaintext`.
[[nodiscard]] ::testing::AssertionResult decrypts_to(Session& session, ByteView envelope,
                                                     UnixMillis now, std::string_view plaintext);

}  // namespace exile::crypto::test
