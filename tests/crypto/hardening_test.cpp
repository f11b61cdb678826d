// The crypto core's hardening against a state that goes back in time and against forged
// traffic (issue 11): a forked or restored session must not reuse a body key stream; the
// receiving chains whose skipped keys are kept are capped, bounding the header trials a
// garbage envelope costs; accept_session names the X3DH header with a replay id; late
// messages from far-back chains and the 2^32 counter ends behave as docs/protocol.md says.
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/encoding.h"
#include "crypto/detail/chain.h"
#include "crypto/detail/envelope.h"
#include "crypto/detail/padding.h"
#include "crypto/limits.h"
#include "crypto/memory_store.h"
#include "crypto/prekeys.h"
#include "crypto/session.h"
#include "crypto/session_builder.h"
#include "crypto/support/session_pair.h"
#include "state.pb.h"

namespace exile::crypto {
namespace {

using test::decrypts_to;
using test::fails_unchanged;
using test::make_session_pair;
using test::state_of;

Bytes encrypt(Session& session, std::string_view text, Rng& rng) {
  auto envelope = session.encrypt(as_bytes(text), rng);
  EXPECT_TRUE(envelope) << (envelope ? "" : envelope.error().message);
  return envelope ? std::move(*envelope) : Bytes{};
}

pb::SessionState parsed(const Session& session) {
  pb::SessionState m;
  const SecureBytes bytes = session.serialize();
  EXPECT_TRUE(m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  return m;
}

Session from_message(const pb::SessionState& m) {
  const std::string bytes = m.SerializeAsString();
  auto session = Session::deserialize(as_bytes(bytes));
  EXPECT_TRUE(session) << (session ? "" : session.error().message);
  return std::move(*session);
}

// ---- item 7: a forked session reuses no key stream ----------------------------------------

// Two envelopes sent from one saved state, with different plaintexts (the same length, so
// the same bucket). With a body key and nonce derived from MK alone, both bodies were one
// key stream: XOR of the ciphertexts = XOR of the padded plaintexts, visible to the relay.
TEST(ForkedSessionTest, TwoSendsFromOneSavedStateShareNoKeyStream) {
  auto p = make_session_pair(1101);
  ASSERT_TRUE(decrypts_to(p.alice, encrypt(p.bob, "reply", p.rng), p.now, "reply"));
  (void)encrypt(p.alice, "x", p.rng);  // the send half of the DH step is done: one chain
  const SecureBytes saved = p.alice.serialize();
  Session first = *Session::deserialize(saved);
  Session second = *Session::deserialize(saved);
  DeterministicRng rng_a(11), rng_b(12);
  const std::string text_a = "attack at dawn!", text_b = "retreat at noon";
  const Bytes a = encrypt(first, text_a, rng_a);
  const Bytes b = encrypt(second, text_b, rng_b);
  ASSERT_EQ(a.size(), b.size());
  const auto body_a = ByteView(a).subspan(detail::kBodyOffset, 1024);
  const auto body_b = ByteView(b).subspan(detail::kBodyOffset, 1024);
  const auto padded = [](const std::string& text, std::size_t i) -> std::uint8_t {
    if (i < text.size()) return static_cast<std::uint8_t>(text[i]);
    return i == text.size() ? 0x80 : 0x00;
  };
  std::size_t equal_xor = 0;
  for (std::size_t i = 0; i < 1024; ++i) {
    if ((body_a[i] ^ body_b[i]) == (padded(text_a, i) ^ padded(text_b, i))) ++equal_xor;
  }
  // Unrelated key streams agree on a byte's XOR by chance 1 time in 256: about 4 of 1024.
  // One key stream for both (a body key and nonce from MK alone) agrees on all 1024.
  EXPECT_LT(equal_xor, 40u);
  // Both are the same message number of the same chain, and each decrypts at Bob.
  Session bob_a = test::fork_session(p.bob);
  Session bob_b = test::fork_session(p.bob);
  EXPECT_TRUE(decrypts_to(bob_a, a, p.now, text_a));
  EXPECT_TRUE(decrypts_to(bob_b, b, p.now, text_b));
}

// The body key and nonce are those of docs/protocol.md §5.3: HKDF(32 zero bytes, MK,
// "Exile_MessageKeys_v1" ‖ header nonce, 56).
TEST(ForkedSessionTest, MessageKeysBindTheHeaderNonce) {
  std::array<std::uint8_t, 32> mk{};
  for (std::size_t i = 0; i < mk.size(); ++i) mk[i] = static_cast<std::uint8_t>(i);
  std::array<std::uint8_t, 24> nonce_a{}, nonce_b{};
  nonce_b[23] = 1;
  detail::MessageKeys a, b;
  detail::expand_message_key(a, mk, nonce_a);
  detail::expand_message_key(b, mk, nonce_b);
  EXPECT_NE(to_hex(a.bytes.view()), to_hex(b.bytes.view()));
  Bytes info = test::to_bytes("Exile_MessageKeys_v1");
  append(info, nonce_b);
  std::array<std::uint8_t, 32> prk{};
  const std::array<std::uint8_t, 32> zeros{};
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, zeros.data(), zeros.size());
  crypto_auth_hmacsha256_update(&st, mk.data(), mk.size());
  crypto_auth_hmacsha256_final(&st, prk.data());
  Bytes okm, t;
  for (std::uint8_t i = 1; okm.size() < 56; ++i) {
    Bytes msg = t;
    append(msg, info);
    msg.push_back(i);
    std::array<std::uint8_t, 32> block{};
    crypto_auth_hmacsha256(block.data(), msg.data(), msg.size(), prk.data());
    t.assign(block.begin(), block.end());
    append(okm, t);
  }
  okm.resize(56);
  EXPECT_EQ(to_hex(b.bytes.view()), to_hex(okm));
}

// ---- item 10 and 12(a): skipped-key chains -------------------------------------------------

// One turn: Alice sends `count` messages on a new chain; Bob reads those not in `lost`;
// Bob replies and Alice reads it. Returns Alice's envelopes of the turn.
std::vector<Bytes> turn(test::SessionPair& p, std::size_t count, std::vector<std::size_t> lost) {
  std::vector<Bytes> sent;
  for (std::size_t i = 0; i < count; ++i)
    sent.push_back(encrypt(p.alice, "a" + std::to_string(i), p.rng));
  for (std::size_t i = 0; i < count; ++i) {
    if (std::find(lost.begin(), lost.end(), i) != lost.end()) continue;
    EXPECT_TRUE(decrypts_to(p.bob, sent[i], p.now, "a" + std::to_string(i)));
  }
  EXPECT_TRUE(decrypts_to(p.alice, encrypt(p.bob, "b", p.rng), p.now, "b"));
  return sent;
}

Bytes garbage(std::uint64_t seed) {
  DeterministicRng rng(seed);
  Bytes e(detail::ratchet_envelope_size(1024));
  rng.fill(e);
  e[0] = detail::kRatchetType;
  return e;
}

// The worst case of a garbage envelope: Bob lost a message in each of many turns, then the
// conversation went on without loss, so the chains holding skipped keys are no longer past
// chains and each is one more key to try. Every header key he knows is tried once; the cap
// bounds them at HKr + NHKr + kMaxPastChains + kMaxSkippedChains, and the worst case reaches
// exactly that.
TEST(SkippedChainsTest, GarbageEnvelopeTrialsAreBoundedByTheCap) {
  auto p = make_session_pair(1102);
  ASSERT_TRUE(decrypts_to(p.alice, encrypt(p.bob, "b", p.rng), p.now, "b"));
  constexpr std::size_t kBound = 2 + kMaxPastChains + kMaxSkippedChains;
  std::uint64_t worst = 0;
  for (std::size_t t = 0; t < 2 * kBound; ++t) {
    const bool lossy = t < kMaxSkippedChains + 3;
    (void)turn(p, 2, lossy ? std::vector<std::size_t>{0} : std::vector<std::size_t>{});
    EXPECT_LE(static_cast<std::size_t>(parsed(p.bob).skipped_chains_size()), kMaxSkippedChains);
    const std::uint64_t before = detail::header_trials();
    EXPECT_TRUE(fails_unchanged(p.bob, garbage(t), p.now, ErrorCode::DecryptionFailed));
    const std::uint64_t trials = detail::header_trials() - before;
    EXPECT_LE(trials, kBound) << "after turn " << t;
    worst = std::max(worst, trials);
  }
  EXPECT_EQ(worst, kBound);
  RecordProperty("worst_header_trials", static_cast<int>(worst));
}

// 12(a): a late message from a chain more than five chains back (beyond the past-chain
// memory) is found through its skipped keys alone, and still decrypts.
TEST(SkippedChainsTest, LateMessageMoreThanFiveChainsBackDecrypts) {
  auto p = make_session_pair(1103);
  ASSERT_TRUE(decrypts_to(p.alice, encrypt(p.bob, "b", p.rng), p.now, "b"));
  const auto first = turn(p, 2, {0});
  for (std::size_t t = 0; t < kMaxPastChains + 2; ++t) (void)turn(p, 1, {});
  EXPECT_EQ(parsed(p.bob).past_chains_size(), static_cast<int>(kMaxPastChains));
  EXPECT_TRUE(decrypts_to(p.bob, first[0], p.now, "a0"));
  EXPECT_EQ(p.bob.skipped_key_count(), 0u);
}

// With kMaxSkippedChains chains holding keys, one more evicts the oldest chain whole: its
// late message is refused cleanly (DecryptionFailed once its header key is forgotten too;
// DuplicateMessage while the past-chain memory still knows the chain), and the state is
// unchanged. The newest kMaxSkippedChains chains still decrypt.
TEST(SkippedChainsTest, ChainsBeyondTheCapAreEvictedOldestFirst) {
  auto p = make_session_pair(1104);
  ASSERT_TRUE(decrypts_to(p.alice, encrypt(p.bob, "b", p.rng), p.now, "b"));
  std::vector<Bytes> lost;
  for (std::size_t t = 0; t < kMaxSkippedChains + 2; ++t) lost.push_back(turn(p, 2, {0})[0]);
  EXPECT_EQ(parsed(p.bob).skipped_chains_size(), static_cast<int>(kMaxSkippedChains));
  EXPECT_EQ(p.bob.skipped_key_count(), kMaxSkippedChains);
  // lost[0]'s chain: neither a past chain nor a skipped-key chain any more.
  EXPECT_TRUE(fails_unchanged(p.bob, lost[0], p.now, ErrorCode::DecryptionFailed));
  // lost[1]'s chain: still a past chain, its key evicted.
  EXPECT_TRUE(fails_unchanged(p.bob, lost[1], p.now, ErrorCode::DuplicateMessage));
  for (std::size_t t = 2; t < lost.size(); ++t) {
    EXPECT_TRUE(decrypts_to(p.bob, lost[t], p.now, "a0")) << t;
  }
  EXPECT_EQ(p.bob.skipped_key_count(), 0u);
}

// A saved state holding more skipped-key chains than the cap is refused.
TEST(SkippedChainsTest, StateWithTooManySkippedChainsIsCorrupt) {
  auto p = make_session_pair(1105);
  ASSERT_TRUE(decrypts_to(p.alice, encrypt(p.bob, "b", p.rng), p.now, "b"));
  (void)turn(p, 2, {0});
  pb::SessionState m = parsed(p.bob);
  ASSERT_EQ(m.skipped_chains_size(), 1);
  for (std::size_t i = 0; i < kMaxSkippedChains; ++i) {
    pb::SkippedChain* chain = m.add_skipped_chains();
    *chain = m.skipped_chains(0);
    chain->mutable_header_key()->at(0) = static_cast<char>(i + 1);
  }
  const std::string bytes = m.SerializeAsString();
  auto restored = Session::deserialize(as_bytes(bytes));
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.error().code, ErrorCode::StateCorrupt);
  m.mutable_skipped_chains()->RemoveLast();
  EXPECT_TRUE(Session::deserialize(as_bytes(m.SerializeAsString())));
}

// ---- item 11: replay id of an initial header -----------------------------------------------

TEST(ReplayIdTest, SameFirstMessageSameIdOtherSessionOtherId) {
  DeterministicRng rng(1106);
  const UnixMillis now = from_millis(test::kStartMillis);
  const IdentityKeyPair alice = IdentityKeyPair::generate(rng);
  const IdentityKeyPair bob = IdentityKeyPair::generate(rng);
  InMemoryPreKeyStore prekeys;
  const SignedPreKey spk = generate_signed_prekey(bob, 1, now, rng);
  ASSERT_TRUE(prekeys.store_signed_prekey(spk));
  const PreKeyBundle bundle = PreKeyBundle::make(bob, spk, nullptr);  // no one-time prekey
  const auto fingerprint = IdentityFingerprint::of(bob.public_key());

  Session one = *start_session(alice, bundle, fingerprint, rng);
  const Bytes e1 = encrypt(one, "first", rng);
  const Bytes e1b = encrypt(one, "second of the same session", rng);
  Session two = *start_session(alice, bundle, fingerprint, rng);
  const Bytes e2 = encrypt(two, "first", rng);

  auto a = accept_session(bob, prekeys, e1, now);
  auto replay = accept_session(bob, prekeys, e1, now);  // a replay: accepted again
  auto same_session = accept_session(bob, prekeys, e1b, now);
  auto other = accept_session(bob, prekeys, e2, now);
  ASSERT_TRUE(a && replay && same_session && other);
  EXPECT_EQ(a->replay_id, replay->replay_id);
  EXPECT_EQ(a->replay_id, same_session->replay_id);
  EXPECT_NE(a->replay_id, other->replay_id);
  EXPECT_EQ(*initial_replay_id(e1), a->replay_id);
  EXPECT_EQ(*initial_replay_id(e2), other->replay_id);

  // docs/protocol.md §4.7: SHA-256("Exile_InitialReplayId_v1" ‖ the 95 header bytes).
  Bytes input = test::to_bytes("Exile_InitialReplayId_v1");
  append(input, ByteView(e1).first(95));
  ReplayId expected{};
  crypto_hash_sha256(expected.data(), input.data(), input.size());
  EXPECT_EQ(a->replay_id, expected);

  const auto bad = initial_replay_id(ByteView(e1).first(50));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::MalformedMessage);
}

// ---- item 12(b): both ends of the 32-bit counters ------------------------------------------

// Alice and Bob with Alice's current sending chain = Bob's current receiving chain, both
// relabelled to start at `count` (the chain key is position-free, so the pair stays in step).
struct CounterEnd {
  test::SessionPair p = make_session_pair(1107);
  explicit CounterEnd(std::uint32_t count) {
    EXPECT_TRUE(decrypts_to(p.alice, encrypt(p.bob, "b", p.rng), p.now, "b"));
    EXPECT_TRUE(decrypts_to(p.bob, encrypt(p.alice, "a", p.rng), p.now, "a"));
    pb::SessionState a = parsed(p.alice), b = parsed(p.bob);
    EXPECT_EQ(a.send_chain_key(), b.recv_chain_key());
    a.set_send_count(count);
    b.set_recv_count(count);
    p.alice = from_message(a);
    p.bob = from_message(b);
  }
};

TEST(CounterEndTest, LastCounterIsSentThenTheChainIsExhausted) {
  constexpr std::uint32_t kMax = std::numeric_limits<std::uint32_t>::max();
  CounterEnd c(kMax - 1);
  const Bytes last = encrypt(c.p.alice, "last", c.p.rng);  // N = 2^32 - 2
  EXPECT_TRUE(decrypts_to(c.p.bob, last, c.p.now, "last"));
  EXPECT_EQ(parsed(c.p.bob).recv_count(), kMax);
  const Bytes before = state_of(c.p.alice);
  auto refused = c.p.alice.encrypt(as_bytes("one too many"), c.p.rng);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::SessionNotReady);
  EXPECT_EQ(state_of(c.p.alice), before);
}

// An envelope carrying N = 2^32 - 1 (which no honest sender makes) is refused even when it is
// otherwise perfect: built here by hand from Alice's saved keys.
TEST(CounterEndTest, ReceivedCounterTwoToThe32MinusOneIsRefused) {
  constexpr std::uint32_t kMax = std::numeric_limits<std::uint32_t>::max();
  CounterEnd c(kMax - 1);
  EXPECT_TRUE(decrypts_to(c.p.bob, encrypt(c.p.alice, "last", c.p.rng), c.p.now, "last"));
  const pb::SessionState a = parsed(c.p.alice);
  ASSERT_EQ(a.send_count(), kMax);

  auto key32 = [](const std::string& s) {
    std::array<std::uint8_t, 32> k{};
    std::copy(s.begin(), s.end(), k.begin());
    return k;
  };
  const auto chain = key32(a.send_chain_key());
  const auto header_key = key32(a.send_header_key());
  std::array<std::uint8_t, 32> mk{}, next{};
  detail::kdf_ck(mk, next, chain);
  Bytes e(detail::ratchet_envelope_size(1024));
  e[0] = detail::kRatchetType;
  const MutableByteView nonce(e.data() + detail::kHeaderNonceOffset, 24);
  c.p.rng.fill(nonce);
  detail::Header header;
  std::copy(a.ratchet_public_key().begin(), a.ratchet_public_key().end(),
            header.ratchet_key.begin());
  header.previous_count = a.previous_send_count();
  header.count = kMax;
  detail::seal_header(std::span<std::uint8_t, detail::kSealedHeaderBytes>(
                          e.data() + detail::kSealedHeaderOffset, detail::kSealedHeaderBytes),
                      header, header_key, nonce, as_bytes(a.associated_data()));
  detail::MessageKeys keys;
  detail::expand_message_key(keys, mk, nonce);
  const MutableByteView body(e.data() + detail::kBodyOffset, 1024 + 16);
  const std::string text = "forged end";
  std::copy(text.begin(), text.end(), body.begin());
  detail::pad_in_place(body.first(1024), text.size());
  Bytes body_ad = test::to_bytes(a.associated_data());
  append(body_ad, ByteView(e).first(detail::kBodyOffset));
  detail::seal_body_in_place(body, keys, body_ad);

  EXPECT_TRUE(fails_unchanged(c.p.bob, e, c.p.now, ErrorCode::MalformedMessage));
}

}  // namespace
}  // namespace exile::crypto
