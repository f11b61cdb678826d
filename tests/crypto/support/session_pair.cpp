#include "crypto/support/session_pair.h"

#include <cstdio>
#include <cstdlib>

#include "crypto/prekeys.h"
#include "crypto/session_builder.h"
#include "crypto/x3dh.h"

namespace exile::crypto::test {
namespace {

template <class T>
T must(Result<T> result, const char* what) {
  if (!result) {
    std::fprintf(stderr, "make_session_pair: %s failed: %s\n", what,
                 result.error().message.c_str());
    std::abort();
  }
  return std::move(*result);
}

void must(Result<void> result, const char* what) {
  if (!result) {
    std::fprintf(stderr, "make_session_pair: %s failed: %s\n", what,
                 result.error().message.c_str());
    std::abort();
  }
}

}  // namespace

Bytes to_bytes(std::string_view text) {
  const ByteView view = as_bytes(text);
  return Bytes(view.begin(), view.end());
}

std::string to_string(const SecureBytes& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Session fork_session(const Session& session) {
  return must(Session::deserialize(session.serialize()), "fork a session");
}

Bytes state_of(const Session& session) {
  const SecureBytes state = session.serialize();
  return Bytes(state.begin(), state.end());
}

SessionPair make_session_pair(std::uint64_t seed, bool with_opk) {
  DeterministicRng rng(seed);
  const UnixMillis now = from_millis(kStartMillis);
  IdentityKeyPair alice_identity = IdentityKeyPair::generate(rng);
  IdentityKeyPair bob_identity = IdentityKeyPair::generate(rng);

  InMemoryPreKeyStore bob_prekeys;
  SignedPreKey spk = generate_signed_prekey(bob_identity, 1, now, rng);
  std::vector<OneTimePreKey> opks = generate_one_time_prekeys(100, 1, rng);
  must(bob_prekeys.store_signed_prekey(spk), "store signed prekey");
  must(bob_prekeys.store_one_time_prekey(opks[0]), "store one-time prekey");
  const PreKeyBundle bundle = PreKeyBundle::make(bob_identity, spk, with_opk ? &opks[0] : nullptr);

  Session alice = must(start_session(alice_identity, bundle,
                                     IdentityFingerprint::of(bob_identity.public_key()), rng),
                       "start_session");
  std::string first_plaintext = "hello from alice " + std::to_string(seed);
  Bytes first_envelope = must(alice.encrypt(as_bytes(first_plaintext), rng), "first encrypt");
  AcceptedSession accepted =
      must(accept_session(bob_identity, bob_prekeys, first_envelope, now), "accept_session");
  if (to_string(accepted.plaintext) != first_plaintext) {
    std::fprintf(stderr, "make_session_pair: first message mismatch\n");
    std::abort();
  }
  return SessionPair{
      .rng = rng,
      .now = now,
      .alice_identity = std::move(alice_identity),
      .bob_identity = std::move(bob_identity),
      .alice = std::move(alice),
      .bob = std::move(accepted.session),
      .first_envelope = std::move(first_envelope),
      .first_plaintext = std::move(first_plaintext),
  };
}

::testing::AssertionResult fails_unchanged(Session& session, ByteView envelope, UnixMillis now,
                                           std::optional<ErrorCode> expected) {
  const Bytes before = state_of(session);
  auto result = session.decrypt(envelope, now);
  if (result) return ::testing::AssertionFailure() << "decrypt succeeded";
  if (expected && result.error().code != *expected) {
    return ::testing::AssertionFailure()
           << "error " << static_cast<int>(result.error().code) << " (" << result.error().message
           << "), expected " << static_cast<int>(*expected);
  }
  if (state_of(session) != before) return ::testing::AssertionFailure() << "state changed";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult decrypts_to(Session& session, ByteView envelope, UnixMillis now,
                                       std::string_view plaintext) {
  auto result = session.decrypt(envelope, now);
  if (!result) {
    return ::testing::AssertionFailure()
           << "decrypt failed: error " << static_cast<int>(result.error().code) << " ("
           << result.error().message << ")";
  }
  if (to_string(*result) != plaintext) return ::testing::AssertionFailure() << "wrong plaintext";
  return ::testing::AssertionSuccess();
}

}  // namespace exile::crypto::test
