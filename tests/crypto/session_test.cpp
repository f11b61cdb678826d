// The Double Ratchet session (docs/protocol.md): exchange, envelope sizes, the initial
// envelope, tampering and truncation (all-or-nothing), duplicates. Limits (MAX_SKIP, eviction,
// expiry) are in session_limits_test.cpp.
#include "crypto/session.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/limits.h"
#include "crypto/memory_store.h"
#include "crypto/session_builder.h"
#include "crypto/support/session_pair.h"

namespace exile::crypto {
namespace {

using test::decrypts_to;
using test::fails_unchanged;
using test::make_session_pair;
using test::state_of;

constexpr std::size_t kInitialHeaderBytes = 95;  // x3dh.cpp: the initial header's length
constexpr std::size_t ratchet_size(std::size_t bucket) { return 1 + 24 + 56 + bucket + 16; }

Bytes encrypt(Session& session, std::string_view text, Rng& rng) {
  auto envelope = session.encrypt(as_bytes(text), rng);
  EXPECT_TRUE(envelope.has_value());
  return envelope ? *envelope : Bytes{};
}

TEST(SessionTest, ExchangeBothWays) {
  auto p = make_session_pair(1);
  EXPECT_TRUE(p.alice.awaiting_first_reply());
  EXPECT_FALSE(p.bob.awaiting_first_reply());
  EXPECT_EQ(p.alice.remote_identity(), p.bob_identity.public_key());
  EXPECT_EQ(p.bob.remote_identity(), p.alice_identity.public_key());
  EXPECT_EQ(p.bob.local_identity(), p.bob_identity.public_key());

  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 3; ++i) {
      const std::string a = "a" + std::to_string(round) + "." + std::to_string(i);
      const Bytes e = encrypt(p.alice, a, p.rng);
      ASSERT_TRUE(decrypts_to(p.bob, e, p.now, a));
    }
    for (int i = 0; i < 2; ++i) {
      const std::string b = "b" + std::to_string(round) + "." + std::to_string(i);
      const Bytes e = encrypt(p.bob, b, p.rng);
      ASSERT_TRUE(decrypts_to(p.alice, e, p.now, b));
      EXPECT_FALSE(p.alice.awaiting_first_reply());
    }
  }
  EXPECT_EQ(p.alice.skipped_key_count(), 0u);
  EXPECT_EQ(p.bob.skipped_key_count(), 0u);
}

TEST(SessionTest, EmptyPlaintext) {
  auto p = make_session_pair(2, /*with_opk=*/false);
  const Bytes e = encrypt(p.bob, "", p.rng);
  EXPECT_EQ(e.size(), ratchet_size(1024));
  EXPECT_TRUE(decrypts_to(p.alice, e, p.now, ""));
}

TEST(SessionTest, EnvelopesComeInFourSizes) {
  auto p = make_session_pair(3);
  const std::vector<std::pair<std::size_t, std::size_t>> cases = {
      {0, 1024},     {1, 1024},      {1023, 1024},   {1024, 4096},   {4095, 4096},
      {4096, 16384}, {16383, 16384}, {16384, 65536}, {65535, 65536},
  };
  std::set<std::size_t> sizes;
  for (const auto& [length, bucket] : cases) {
    const std::string text(length, 'x');
    const Bytes from_bob = encrypt(p.bob, text, p.rng);
    EXPECT_EQ(from_bob.size(), ratchet_size(bucket)) << length;
    EXPECT_EQ(envelope_type(from_bob), EnvelopeType::Ratchet);
    sizes.insert(from_bob.size());
    ASSERT_TRUE(decrypts_to(p.alice, from_bob, p.now, text)) << length;
    const Bytes from_alice = encrypt(p.alice, text, p.rng);  // no initial header any more
    EXPECT_EQ(from_alice.size(), ratchet_size(bucket)) << length;
    sizes.insert(from_alice.size());
    ASSERT_TRUE(decrypts_to(p.bob, from_alice, p.now, text)) << length;
  }
  EXPECT_EQ(sizes, (std::set<std::size_t>{ratchet_size(1024), ratchet_size(4096),
                                          ratchet_size(16384), ratchet_size(65536)}));
}

TEST(SessionTest, PlaintextTooLargeChangesNothing) {
  auto p = make_session_pair(4);
  const Bytes before = state_of(p.bob);
  const std::string text(kMaxPlaintext + 1, 'x');
  auto e = p.bob.encrypt(as_bytes(text), p.rng);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::PlaintextTooLarge);
  EXPECT_EQ(state_of(p.bob), before);
}

TEST(SessionTest, InitialEnvelopeRepeatedUntilFirstReply) {
  auto p = make_session_pair(5);
  EXPECT_EQ(envelope_type(p.first_envelope), EnvelopeType::Initial);
  const ByteView header = ByteView(p.first_envelope).first(kInitialHeaderBytes);
  for (int i = 0; i < 3; ++i) {
    const std::string text = "again " + std::to_string(i);
    const Bytes e = encrypt(p.alice, text, p.rng);
    EXPECT_EQ(envelope_type(e), EnvelopeType::Initial);
    ASSERT_EQ(e.size(), kInitialHeaderBytes + ratchet_size(1024));
    EXPECT_TRUE(std::equal(header.begin(), header.end(), e.begin()));
    EXPECT_TRUE(decrypts_to(p.bob, e, p.now, text));
  }
  EXPECT_TRUE(p.alice.awaiting_first_reply());
  const Bytes reply = encrypt(p.bob, "reply", p.rng);
  EXPECT_TRUE(p.alice.awaiting_first_reply());
  ASSERT_TRUE(decrypts_to(p.alice, reply, p.now, "reply"));
  EXPECT_FALSE(p.alice.awaiting_first_reply());
  const Bytes after = encrypt(p.alice, "plain", p.rng);
  EXPECT_EQ(envelope_type(after), EnvelopeType::Ratchet);
  EXPECT_EQ(after.size(), ratchet_size(1024));
  EXPECT_TRUE(decrypts_to(p.bob, after, p.now, "plain"));
}

TEST(SessionTest, InitialEnvelopeDelayedPastTheReplyStillDecrypts) {
  auto p = make_session_pair(6);
  const Bytes late = encrypt(p.alice, "late", p.rng);  // Initial envelope, delivered late
  const Bytes reply = encrypt(p.bob, "reply", p.rng);
  ASSERT_TRUE(decrypts_to(p.alice, reply, p.now, "reply"));
  const Bytes next = encrypt(p.alice, "next", p.rng);  // new chain
  ASSERT_TRUE(decrypts_to(p.bob, next, p.now, "next"));
  EXPECT_EQ(p.bob.skipped_key_count(), 1u);
  EXPECT_TRUE(decrypts_to(p.bob, late, p.now, "late"));
  EXPECT_EQ(p.bob.skipped_key_count(), 0u);
  EXPECT_TRUE(fails_unchanged(p.bob, late, p.now, ErrorCode::DuplicateMessage));
}

TEST(SessionTest, InitialEnvelopeOfAnotherSession) {
  auto p = make_session_pair(7);
  auto other = make_session_pair(8);
  EXPECT_TRUE(fails_unchanged(p.bob, other.first_envelope, p.now, ErrorCode::NotThisSession));
  // Only responders accept Initial envelopes at all.
  EXPECT_TRUE(fails_unchanged(p.alice, p.first_envelope, p.now, ErrorCode::NotThisSession));
  // An initial header of this session around another session's ratchet envelope: the header
  // matches, the ratchet envelope does not open.
  Bytes spliced(p.first_envelope.begin(), p.first_envelope.begin() + kInitialHeaderBytes);
  spliced.insert(spliced.end(), other.first_envelope.begin() + kInitialHeaderBytes,
                 other.first_envelope.end());
  EXPECT_TRUE(fails_unchanged(p.bob, spliced, p.now, ErrorCode::DecryptionFailed));
}

TEST(SessionTest, RatchetEnvelopeOfAnotherSession) {
  auto p = make_session_pair(9);
  auto other = make_session_pair(10);
  const Bytes e = encrypt(other.bob, "not for you", other.rng);
  EXPECT_TRUE(fails_unchanged(p.alice, e, p.now, ErrorCode::DecryptionFailed));
}

// Every single-byte change makes decryption fail and leaves the state exactly as it was; the
// untouched envelope still decrypts afterwards.
void flip_every_byte(Session& receiver, const Bytes& envelope, UnixMillis now,
                     std::string_view text) {
  for (std::size_t i = 0; i < envelope.size(); ++i) {
    for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
      Bytes tampered = envelope;
      tampered[i] ^= mask;
      ASSERT_TRUE(fails_unchanged(receiver, tampered, now)) << "byte " << i;
    }
  }
  EXPECT_TRUE(decrypts_to(receiver, envelope, now, text));
}

TEST(SessionTest, FlippingAnyByteFailsAndChangesNothing) {
  auto p = make_session_pair(11);
  // Initial envelope, current chain on Bob's side.
  flip_every_byte(p.bob, encrypt(p.alice, "initial", p.rng), p.now, "initial");
  // First reply: a new chain (DH ratchet step) on Alice's side.
  flip_every_byte(p.alice, encrypt(p.bob, "new chain", p.rng), p.now, "new chain");
  // Current chain, with a skipped key in between.
  const Bytes skipped = encrypt(p.bob, "skipped", p.rng);
  flip_every_byte(p.alice, encrypt(p.bob, "current", p.rng), p.now, "current");
  // A message read with a stored skipped key.
  flip_every_byte(p.alice, skipped, p.now, "skipped");
}

TEST(SessionTest, TruncationAtEveryLengthFails) {
  auto p = make_session_pair(12);
  const Bytes initial = encrypt(p.alice, "initial", p.rng);
  for (std::size_t n = 0; n < initial.size(); ++n) {
    ASSERT_TRUE(fails_unchanged(p.bob, ByteView(initial).first(n), p.now)) << n;
  }
  Bytes extended = initial;
  extended.push_back(0);
  EXPECT_TRUE(fails_unchanged(p.bob, extended, p.now));
  EXPECT_TRUE(decrypts_to(p.bob, initial, p.now, "initial"));

  const Bytes reply = encrypt(p.bob, "reply", p.rng);
  for (std::size_t n = 0; n < reply.size(); ++n) {
    ASSERT_TRUE(fails_unchanged(p.alice, ByteView(reply).first(n), p.now)) << n;
  }
  EXPECT_TRUE(decrypts_to(p.alice, reply, p.now, "reply"));
}

// The type byte is the envelope's format version (docs/protocol.md §1.6, §5.5): any value
// other than 0x01 and 0x02 is a newer format, UnsupportedVersion; only an empty envelope is
// MalformedMessage.
TEST(SessionTest, UnknownEnvelopeType) {
  auto p = make_session_pair(13);
  Bytes e = encrypt(p.bob, "x", p.rng);
  for (int type : {0x00, 0x03, 0xff}) {
    e[0] = static_cast<std::uint8_t>(type);
    ASSERT_FALSE(envelope_type(e));
    EXPECT_EQ(envelope_type(e).error().code, ErrorCode::UnsupportedVersion) << type;
    EXPECT_TRUE(fails_unchanged(p.alice, e, p.now, ErrorCode::UnsupportedVersion)) << type;
  }
  ASSERT_FALSE(envelope_type({}));
  EXPECT_EQ(envelope_type({}).error().code, ErrorCode::MalformedMessage);
  EXPECT_TRUE(fails_unchanged(p.alice, {}, p.now, ErrorCode::MalformedMessage));
}

TEST(SessionTest, EveryUnknownTypeIsUnsupportedVersionForBothRoles) {
  auto p = make_session_pair(22);
  const Bytes ratchet = encrypt(p.bob, "r", p.rng);
  const Bytes initial = encrypt(p.alice, "i", p.rng);  // still an Initial envelope
  ASSERT_EQ(envelope_type(initial), EnvelopeType::Initial);
  for (int type = 0; type <= 0xff; ++type) {
    if (type == 0x01 || type == 0x02) continue;
    Bytes to_alice = ratchet;
    Bytes to_bob = initial;
    to_alice[0] = to_bob[0] = static_cast<std::uint8_t>(type);
    ASSERT_TRUE(fails_unchanged(p.alice, to_alice, p.now, ErrorCode::UnsupportedVersion)) << type;
    ASSERT_TRUE(fails_unchanged(p.bob, to_bob, p.now, ErrorCode::UnsupportedVersion)) << type;
    const Bytes one_byte = {static_cast<std::uint8_t>(type)};
    ASSERT_TRUE(fails_unchanged(p.bob, one_byte, p.now, ErrorCode::UnsupportedVersion)) << type;
  }
  // Inside an Initial envelope the embedded envelope must be a Ratchet envelope: another type
  // there is a broken message, not a newer format.
  Bytes embedded = initial;
  embedded[kInitialHeaderBytes] = 0x03;
  EXPECT_TRUE(fails_unchanged(p.bob, embedded, p.now, ErrorCode::MalformedMessage));
  // The untouched envelopes still decrypt.
  EXPECT_TRUE(decrypts_to(p.alice, ratchet, p.now, "r"));
  EXPECT_TRUE(decrypts_to(p.bob, initial, p.now, "i"));
}

TEST(SessionTest, DuplicateInCurrentChain) {
  auto p = make_session_pair(14);
  const Bytes m0 = encrypt(p.bob, "m0", p.rng);
  const Bytes m1 = encrypt(p.bob, "m1", p.rng);
  ASSERT_TRUE(decrypts_to(p.alice, m0, p.now, "m0"));
  EXPECT_TRUE(fails_unchanged(p.alice, m0, p.now, ErrorCode::DuplicateMessage));
  ASSERT_TRUE(decrypts_to(p.alice, m1, p.now, "m1"));
  EXPECT_TRUE(fails_unchanged(p.alice, m1, p.now, ErrorCode::DuplicateMessage));
  EXPECT_TRUE(fails_unchanged(p.alice, m0, p.now, ErrorCode::DuplicateMessage));
  // Bob's replayed first message (an Initial envelope).
  EXPECT_TRUE(fails_unchanged(p.bob, p.first_envelope, p.now, ErrorCode::DuplicateMessage));
}

TEST(SessionTest, DuplicateOfSkippedThenUsedKey) {
  auto p = make_session_pair(15);
  const Bytes m0 = encrypt(p.bob, "m0", p.rng);
  const Bytes m1 = encrypt(p.bob, "m1", p.rng);
  const Bytes m2 = encrypt(p.bob, "m2", p.rng);
  ASSERT_TRUE(decrypts_to(p.alice, m2, p.now, "m2"));
  EXPECT_EQ(p.alice.skipped_key_count(), 2u);
  ASSERT_TRUE(decrypts_to(p.alice, m1, p.now, "m1"));
  EXPECT_EQ(p.alice.skipped_key_count(), 1u);
  EXPECT_TRUE(fails_unchanged(p.alice, m1, p.now, ErrorCode::DuplicateMessage));
  EXPECT_TRUE(fails_unchanged(p.alice, m2, p.now, ErrorCode::DuplicateMessage));
  ASSERT_TRUE(decrypts_to(p.alice, m0, p.now, "m0"));
  EXPECT_EQ(p.alice.skipped_key_count(), 0u);
  EXPECT_TRUE(fails_unchanged(p.alice, m0, p.now, ErrorCode::DuplicateMessage));
}

TEST(SessionTest, DuplicateFromFinishedChains) {
  auto p = make_session_pair(16);
  std::vector<Bytes> old;
  // kMaxPastChains turns of the conversation: every earlier chain of Bob's is remembered.
  for (std::size_t turn = 0; turn < kMaxPastChains; ++turn) {
    const std::string b = "b" + std::to_string(turn);
    old.push_back(encrypt(p.bob, b, p.rng));
    ASSERT_TRUE(decrypts_to(p.alice, old.back(), p.now, b));
    const std::string a = "a" + std::to_string(turn);
    ASSERT_TRUE(decrypts_to(p.bob, encrypt(p.alice, a, p.rng), p.now, a));
  }
  ASSERT_TRUE(decrypts_to(p.alice, encrypt(p.bob, "current", p.rng), p.now, "current"));
  for (const Bytes& e : old) {
    EXPECT_TRUE(fails_unchanged(p.alice, e, p.now, ErrorCode::DuplicateMessage));
  }
  EXPECT_TRUE(fails_unchanged(p.bob, p.first_envelope, p.now, ErrorCode::DuplicateMessage));
}

TEST(SessionTest, ResponderCannotSendBeforeFirstMessage) {
  DeterministicRng rng(17);
  const UnixMillis now = from_millis(test::kStartMillis);
  const IdentityKeyPair alice_id = IdentityKeyPair::generate(rng);
  const IdentityKeyPair bob_id = IdentityKeyPair::generate(rng);
  InMemoryPreKeyStore prekeys;
  const SignedPreKey spk = generate_signed_prekey(bob_id, 1, now, rng);
  ASSERT_TRUE(prekeys.store_signed_prekey(spk));
  auto alice = start_session(alice_id, PreKeyBundle::make(bob_id, spk, nullptr),
                             IdentityFingerprint::of(bob_id.public_key()), rng);
  ASSERT_TRUE(alice);
  auto first = alice->encrypt(as_bytes("hi"), rng);
  ASSERT_TRUE(first);
  auto message = parse_initial_message(*first);
  ASSERT_TRUE(message);
  auto response = x3dh_respond(bob_id, prekeys, *message);
  ASSERT_TRUE(response);
  auto bob = Session::respond(std::move(*response));
  ASSERT_TRUE(bob);
  auto early = bob->encrypt(as_bytes("too early"), rng);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::SessionNotReady);
  EXPECT_TRUE(decrypts_to(*bob, *first, now, "hi"));
  EXPECT_TRUE(bob->encrypt(as_bytes("now"), rng));
}

TEST(SessionTest, AcceptSessionErrorsPropagate) {
  auto p = make_session_pair(18);
  InMemoryPreKeyStore empty;
  auto accepted = accept_session(p.bob_identity, empty, p.first_envelope, p.now);
  ASSERT_FALSE(accepted);
  EXPECT_EQ(accepted.error().code, ErrorCode::UnknownPreKey);
  auto garbage = accept_session(p.bob_identity, empty, Bytes{0x02, 0x01}, p.now);
  EXPECT_FALSE(garbage);
}

TEST(SessionTest, ResetOfferStartsAFreshSession) {
  auto p = make_session_pair(19);
  auto made = make_reset_offer(p.bob_identity, 77, p.now, p.rng);
  ASSERT_TRUE(made);
  ResetOffer offer = std::move(*made);
  EXPECT_EQ(offer.bundle.kind, BundleKind::Reset);
  EXPECT_FALSE(offer.bundle.one_time_prekey.has_value());
  EXPECT_EQ(offer.bundle.signed_prekey_id, 77u);
  auto alice = start_session(p.alice_identity, offer.bundle,
                             IdentityFingerprint::of(p.bob_identity.public_key()), p.rng);
  ASSERT_TRUE(alice);
  auto first = alice->encrypt(as_bytes("fresh"), p.rng);
  ASSERT_TRUE(first);
  InMemoryPreKeyStore prekeys;
  ASSERT_TRUE(prekeys.store_signed_prekey(offer.prekey));
  auto bob = accept_session(p.bob_identity, prekeys, *first, p.now);
  ASSERT_TRUE(bob);
  EXPECT_EQ(test::to_string(bob->plaintext), "fresh");
  EXPECT_EQ(bob->signed_prekey_id, 77u);
}

TEST(SessionTest, PrintsRedacted) {
  auto p = make_session_pair(20);
  std::ostringstream out;
  out << p.alice;
  EXPECT_EQ(out.str(), "Session{redacted}");
}

TEST(SessionTest, ForkIsIndependent) {
  auto p = make_session_pair(21);
  Session copy = test::fork_session(p.alice);
  EXPECT_EQ(state_of(copy), state_of(p.alice));
  const Bytes e = encrypt(p.bob, "both", p.rng);
  EXPECT_TRUE(decrypts_to(copy, e, p.now, "both"));
  EXPECT_NE(state_of(copy), state_of(p.alice));
  EXPECT_TRUE(decrypts_to(p.alice, e, p.now, "both"));
  EXPECT_EQ(state_of(copy), state_of(p.alice));
}

}  // namespace
}  // namespace exile::crypto
