// Saved session state (proto/state.proto; docs/protocol.md §"Session state"): exact
// round trips mid-conversation, and deserialize() of anything else fails cleanly or yields a
// usable session; it never crashes.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "crypto/limits.h"
#include "crypto/session.h"
#include "crypto/support/session_pair.h"
#include "state.pb.h"

namespace exile::crypto {
namespace {

using test::decrypts_to;
using test::make_session_pair;
using test::state_of;

Session restore(const Session& session) { return test::fork_session(session); }

// A restored session behaves exactly like the original: same state bytes, and with the same
// randomness it produces the same envelope.
void expect_identical_behaviour(Session& original, Rng& rng) {
  Session restored = restore(original);
  EXPECT_EQ(state_of(restored), state_of(original));
  DeterministicRng r1(rng.next_u64());
  DeterministicRng r2 = r1;
  auto e1 = original.encrypt(as_bytes("same"), r1);
  auto e2 = restored.encrypt(as_bytes("same"), r2);
  ASSERT_EQ(e1.has_value(), e2.has_value());
  if (e1) {
    EXPECT_EQ(*e1, *e2);
  }
  EXPECT_EQ(state_of(restored), state_of(original));
}

TEST(StateTest, RoundTripAtEveryStage) {
  auto p = make_session_pair(200);
  expect_identical_behaviour(p.alice, p.rng);  // fresh initiator, awaiting the first reply
  // Bob right after accepting: send ratchet pending.
  {
    Session bob = restore(p.bob);
    EXPECT_EQ(state_of(bob), state_of(p.bob));
  }
  const Bytes skipped = *p.bob.encrypt(as_bytes("skipped"), p.rng);
  const Bytes b1 = *p.bob.encrypt(as_bytes("b1"), p.rng);
  Session alice = restore(p.alice);
  ASSERT_TRUE(decrypts_to(alice, b1, p.now, "b1"));  // a new chain, one skipped key
  EXPECT_EQ(alice.skipped_key_count(), 1u);
  Session alice2 = restore(alice);
  EXPECT_EQ(alice2.skipped_key_count(), 1u);
  EXPECT_TRUE(decrypts_to(alice2, skipped, p.now, "skipped"));
  EXPECT_TRUE(decrypts_to(alice, skipped, p.now, "skipped"));
  EXPECT_EQ(state_of(alice), state_of(alice2));
  for (int turn = 0; turn < 8; ++turn) {  // fills the past-chain list
    const Bytes a = *alice.encrypt(as_bytes("a"), p.rng);
    ASSERT_TRUE(decrypts_to(p.bob, a, p.now, "a"));
    const Bytes b = *p.bob.encrypt(as_bytes("b"), p.rng);
    p.bob = restore(p.bob);
    ASSERT_TRUE(decrypts_to(alice, b, p.now, "b"));
    alice = restore(alice);
  }
  expect_identical_behaviour(alice, p.rng);
  expect_identical_behaviour(p.bob, p.rng);
}

TEST(StateTest, SerializeIsDeterministic) {
  auto p = make_session_pair(201);
  EXPECT_EQ(state_of(p.alice), state_of(p.alice));
  EXPECT_EQ(state_of(p.bob), state_of(restore(p.bob)));
}

pb::SessionState parsed(const Session& session) {
  pb::SessionState m;
  const SecureBytes bytes = session.serialize();
  EXPECT_TRUE(m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  return m;
}

Result<Session> load(const pb::SessionState& m) {
  const std::string bytes = m.SerializeAsString();
  return Session::deserialize(as_bytes(bytes));
}

ErrorCode load_error(const pb::SessionState& m) {
  auto session = load(m);
  EXPECT_FALSE(session);
  return session ? ErrorCode::Internal : session.error().code;
}

TEST(StateTest, VersionIsChecked) {
  auto p = make_session_pair(202);
  pb::SessionState m = parsed(p.alice);
  EXPECT_EQ(m.version(), Session::kStateVersion);
  ASSERT_TRUE(load(m));
  m.set_version(Session::kStateVersion + 1);
  EXPECT_EQ(load_error(m), ErrorCode::UnsupportedVersion);
  m.set_version(0);
  EXPECT_EQ(load_error(m), ErrorCode::StateCorrupt);
  EXPECT_EQ(Session::deserialize({}).error().code, ErrorCode::StateCorrupt);
}

TEST(StateTest, InvalidFieldsAreCorrupt) {
  auto p = make_session_pair(203);
  const Bytes skipped = *p.bob.encrypt(as_bytes("s"), p.rng);
  ASSERT_TRUE(decrypts_to(p.alice, *p.bob.encrypt(as_bytes("b"), p.rng), p.now, "b"));
  ASSERT_TRUE(decrypts_to(p.bob, *p.alice.encrypt(as_bytes("a"), p.rng), p.now, "a"));
  ASSERT_TRUE(decrypts_to(p.alice, *p.bob.encrypt(as_bytes("b"), p.rng), p.now, "b"));
  const pb::SessionState good = parsed(p.alice);
  ASSERT_EQ(good.skipped_chains_size(), 1);
  ASSERT_EQ(good.past_chains_size(), 1);
  ASSERT_TRUE(good.send_ratchet_pending());

  const std::vector<std::pair<const char*, std::function<void(pb::SessionState&)>>> edits = {
      {"role", [](auto& m) { m.set_role(pb::SessionState::ROLE_UNSPECIFIED); }},
      {"local identity", [](auto& m) { m.set_local_identity(std::string(32, '\0')); }},
      {"remote identity", [](auto& m) { m.clear_remote_identity(); }},
      {"ad", [](auto& m) { m.clear_associated_data(); }},
      {"ad size", [](auto& m) { m.set_associated_data(std::string(1025, 'a')); }},
      {"initial header", [](auto& m) { m.clear_initial_header(); }},
      {"root key", [](auto& m) { m.set_root_key(std::string(31, 'k')); }},
      {"ratchet secret", [](auto& m) { m.clear_ratchet_secret_key(); }},
      {"ratchet pair", [](auto& m) { m.mutable_ratchet_public_key()->at(0) ^= 1; }},
      {"remote ratchet", [](auto& m) { m.set_remote_ratchet_key(std::string(32, '\xff')); }},
      {"send chain", [](auto& m) { m.set_send_chain_key(std::string(33, 'c')); }},
      {"recv chain only", [](auto& m) { m.clear_recv_header_key(); }},
      {"recv header only", [](auto& m) { m.clear_recv_chain_key(); }},
      {"nhks", [](auto& m) { m.clear_next_send_header_key(); }},
      {"nhkr", [](auto& m) { m.set_next_recv_header_key("x"); }},
      {"send chain while pending", [](auto& m) { m.set_send_chain_key(std::string(32, 'c')); }},
      {"pending without send header", [](auto& m) { m.clear_send_header_key(); }},
      {"awaiting on responder",
       [](auto& m) {
         m.set_role(pb::SessionState::ROLE_RESPONDER);
         m.set_awaiting_first_reply(true);
       }},
      {"past chain key", [](auto& m) { m.mutable_past_chains(0)->set_header_key("short"); }},
      {"too many past chains",
       [](auto& m) {
         for (std::size_t i = 0; i < kMaxPastChains; ++i) *m.add_past_chains() = m.past_chains(0);
       }},
      {"skipped chain key", [](auto& m) { m.mutable_skipped_chains(0)->clear_header_key(); }},
      {"empty skipped chain", [](auto& m) { m.mutable_skipped_chains(0)->clear_keys(); }},
      {"skipped message key",
       [](auto& m) { m.mutable_skipped_chains(0)->mutable_keys(0)->set_message_key("short"); }},
      {"too many skipped keys",
       [](auto& m) {
         auto* chain = m.mutable_skipped_chains(0);
         while (chain->keys_size() <= static_cast<int>(kMaxSkippedKeys)) {
           *chain->add_keys() = chain->keys(0);
         }
       }},
  };
  for (const auto& [name, edit] : edits) {
    pb::SessionState m = good;
    edit(m);
    EXPECT_EQ(load_error(m), ErrorCode::StateCorrupt) << name;
  }
  // The untouched message still loads and reads the skipped message.
  auto alice = load(good);
  ASSERT_TRUE(alice);
  EXPECT_TRUE(decrypts_to(*alice, skipped, p.now, "s"));
}

// docs/protocol.md §4.3: 0x01 ‖ u16 32 ‖ IK_initiator ‖ u16 32 ‖ IK_responder.
std::string ad_of(const std::string& initiator, const std::string& responder) {
  std::string ad("\x01\x00\x20", 3);
  ad += initiator;
  ad += std::string("\x00\x20", 2);
  ad += responder;
  return ad;
}

// The AD is fixed by the two identities and the role; the initial header is a v1 header.
TEST(StateTest, AssociatedDataMustMatchIdentitiesAndRole) {
  auto p = make_session_pair(208);
  ASSERT_TRUE(decrypts_to(p.alice, *p.bob.encrypt(as_bytes("b"), p.rng), p.now, "b"));
  const IdentityKeyPair stranger = IdentityKeyPair::generate(p.rng);
  const std::string stranger_key(reinterpret_cast<const char*>(stranger.public_key().view().data()),
                                 32);

  for (const Session* session : {&p.alice, &p.bob}) {
    const pb::SessionState good = parsed(*session);
    const bool initiator = good.role() == pb::SessionState::ROLE_INITIATOR;
    const std::string& initiator_key = initiator ? good.local_identity() : good.remote_identity();
    const std::string& responder_key = initiator ? good.remote_identity() : good.local_identity();
    ASSERT_EQ(good.associated_data(), ad_of(initiator_key, responder_key));
    ASSERT_TRUE(load(good));

    const std::vector<std::pair<const char*, std::function<void(pb::SessionState&)>>> edits = {
        {"local/remote order instead of role order",
         [&](auto& m) { m.set_associated_data(ad_of(responder_key, initiator_key)); }},
        {"AD version", [](auto& m) { m.mutable_associated_data()->at(0) = '\x02'; }},
        {"length prefix", [](auto& m) { m.mutable_associated_data()->at(2) = '\x21'; }},
        {"last byte", [](auto& m) { m.mutable_associated_data()->back() ^= 1; }},
        {"truncated", [](auto& m) { m.mutable_associated_data()->pop_back(); }},
        {"extended", [](auto& m) { m.mutable_associated_data()->push_back('\0'); }},
        {"another peer in the AD",
         [&](auto& m) {
           m.set_associated_data(initiator ? ad_of(initiator_key, stranger_key)
                                           : ad_of(stranger_key, responder_key));
         }},
        {"another peer in the identity field",
         [&](auto& m) { m.set_remote_identity(stranger_key); }},
        {"role flipped, AD kept",
         [&](auto& m) {
           m.set_role(initiator ? pb::SessionState::ROLE_RESPONDER
                                : pb::SessionState::ROLE_INITIATOR);
         }},
    };
    for (const auto& [name, edit] : edits) {
      pb::SessionState m = good;
      edit(m);
      EXPECT_EQ(load_error(m), ErrorCode::StateCorrupt) << name << (initiator ? " (A)" : " (B)");
    }

    // The check is consistency, not a fixed value: the role flipped together with its AD, or
    // another peer together with its AD, loads.
    pb::SessionState flipped = good;
    flipped.set_role(initiator ? pb::SessionState::ROLE_RESPONDER
                               : pb::SessionState::ROLE_INITIATOR);
    flipped.set_associated_data(ad_of(responder_key, initiator_key));
    EXPECT_TRUE(load(flipped));
    pb::SessionState other_peer = good;
    other_peer.set_remote_identity(stranger_key);
    other_peer.set_associated_data(initiator ? ad_of(initiator_key, stranger_key)
                                             : ad_of(stranger_key, responder_key));
    EXPECT_TRUE(load(other_peer));
  }
}

TEST(StateTest, InitialHeaderMustBeAV1Header) {
  auto p = make_session_pair(209);
  for (const Session* session : {&p.alice, &p.bob}) {
    const pb::SessionState good = parsed(*session);
    ASSERT_EQ(good.initial_header().size(), 95u);
    ASSERT_EQ(good.initial_header()[0], '\x02');
    const std::vector<std::pair<const char*, std::function<void(pb::SessionState&)>>> edits = {
        {"absent", [](auto& m) { m.clear_initial_header(); }},
        {"one byte", [](auto& m) { m.set_initial_header(std::string(1, '\x02')); }},
        {"94 bytes", [](auto& m) { m.mutable_initial_header()->pop_back(); }},
        {"96 bytes", [](auto& m) { m.mutable_initial_header()->push_back('\0'); }},
        {"4096 bytes", [](auto& m) { m.mutable_initial_header()->resize(4096, '\0'); }},
        {"type 0x01", [](auto& m) { m.mutable_initial_header()->at(0) = '\x01'; }},
        {"type 0x00", [](auto& m) { m.mutable_initial_header()->at(0) = '\x00'; }},
        {"type 0x03", [](auto& m) { m.mutable_initial_header()->at(0) = '\x03'; }},
    };
    for (const auto& [name, edit] : edits) {
      pb::SessionState m = good;
      edit(m);
      EXPECT_EQ(load_error(m), ErrorCode::StateCorrupt) << name;
    }
  }
}

// deserialize() of damaged bytes: an error, or a session that can be used without crashing.
void exercise(ByteView bytes, Rng& rng) {
  auto session = Session::deserialize(bytes);
  if (!session) {
    EXPECT_TRUE(session.error().code == ErrorCode::StateCorrupt ||
                session.error().code == ErrorCode::UnsupportedVersion);
    return;
  }
  const SecureBytes again = session->serialize();
  auto reloaded = Session::deserialize(view(again));
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(state_of(*reloaded), Bytes(again.begin(), again.end()));
  auto e = session->encrypt(as_bytes("x"), rng);
  if (e) (void)reloaded->decrypt(*e, from_millis(test::kStartMillis));
}

TEST(StateTest, TruncatedStateNeverCrashes) {
  auto p = make_session_pair(204);
  const Bytes b = *p.bob.encrypt(as_bytes("s"), p.rng);
  ASSERT_TRUE(decrypts_to(p.alice, *p.bob.encrypt(as_bytes("b"), p.rng), p.now, "b"));
  const Bytes state = state_of(p.alice);
  for (std::size_t n = 0; n < state.size(); ++n) exercise(ByteView(state).first(n), p.rng);
}

TEST(StateTest, BitFlippedStateNeverCrashes) {
  auto p = make_session_pair(205);
  ASSERT_TRUE(decrypts_to(p.alice, *p.bob.encrypt(as_bytes("b"), p.rng), p.now, "b"));
  (void)p.bob.encrypt(as_bytes("skipped"), p.rng);
  ASSERT_TRUE(decrypts_to(p.alice, *p.bob.encrypt(as_bytes("b"), p.rng), p.now, "b"));
  const Bytes state = state_of(p.alice);
  for (std::size_t i = 0; i < state.size(); ++i) {
    for (int bit : {0, 3, 7}) {
      Bytes flipped = state;
      flipped[i] ^= static_cast<std::uint8_t>(1 << bit);
      exercise(flipped, p.rng);
    }
  }
}

TEST(StateTest, GarbageNeverCrashes) {
  DeterministicRng rng(206);
  auto p = make_session_pair(207);
  const Bytes state = state_of(p.bob);
  for (int i = 0; i < 3000; ++i) {
    Bytes garbage(rng.uniform(600));
    rng.fill(garbage);
    if (i % 3 == 0 && !garbage.empty()) {  // a valid prefix, then noise
      const std::size_t keep = std::min<std::size_t>(rng.uniform(600), state.size());
      std::copy_n(state.begin(), std::min(keep, garbage.size()), garbage.begin());
    }
    exercise(garbage, rng);
  }
}

}  // namespace
}  // namespace exile::crypto
