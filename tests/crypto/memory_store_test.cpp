// In-memory stores (crypto/memory_store.h; semantics in docs/protocol.md):
// identity pinning (FirstUse / Matches / Changed, re-pinning clears "verified"), prekeys
// handed out as independent clones, sessions round-tripped through Session::serialize().
#include "crypto/memory_store.h"

#include <gtest/gtest.h>

#include <string_view>

#include "common/clock.h"
#include "crypto/session_builder.h"

namespace exile::crypto {
namespace {

Bytes text(std::string_view s) {
  const ByteView v = as_bytes(s);
  return Bytes(v.begin(), v.end());
}

// ---- identities -----------------------------------------------------------------------------

class IdentityStoreTest : public ::testing::Test {
 protected:
  DeterministicRng rng_{1};
  IdentityKeyPair own_ = IdentityKeyPair::generate(rng_);
  IdentityPublicKey bob_ = IdentityKeyPair::generate(rng_).public_key();
  IdentityPublicKey bob_new_ = IdentityKeyPair::generate(rng_).public_key();
  IdentityPublicKey carol_ = IdentityKeyPair::generate(rng_).public_key();
  InMemoryIdentityStore store_{own_.clone()};
};

TEST_F(IdentityStoreTest, LocalIdentityIsAClone) {
  const auto local = store_.local_identity();
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->public_key(), own_.public_key());
  EXPECT_TRUE(local->seed().equals(own_.seed()));
  const auto again = store_.local_identity();
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(again->seed().data(), local->seed().data());  // separate guarded allocations
}

TEST_F(IdentityStoreTest, FirstUseThenMatchesThenChanged) {
  EXPECT_EQ(store_.check_identity("bob", bob_).value(), IdentityCheck::FirstUse);
  // Checking does not pin.
  EXPECT_EQ(store_.check_identity("bob", bob_).value(), IdentityCheck::FirstUse);
  EXPECT_FALSE(store_.pinned_identity("bob").value().has_value());

  ASSERT_TRUE(store_.pin_identity("bob", bob_).has_value());
  EXPECT_EQ(store_.check_identity("bob", bob_).value(), IdentityCheck::Matches);
  EXPECT_EQ(store_.check_identity("bob", bob_new_).value(), IdentityCheck::Changed);
  // A Changed check leaves the old pin in place.
  EXPECT_EQ(store_.pinned_identity("bob").value(), bob_);
}

TEST_F(IdentityStoreTest, ContactsAreIndependent) {
  ASSERT_TRUE(store_.pin_identity("bob", bob_).has_value());
  EXPECT_EQ(store_.check_identity("carol", carol_).value(), IdentityCheck::FirstUse);
  // The same key under another contact is still first use there.
  EXPECT_EQ(store_.check_identity("bob2", bob_).value(), IdentityCheck::FirstUse);
  ASSERT_TRUE(store_.pin_identity("carol", carol_).has_value());
  ASSERT_TRUE(store_.set_verified("carol", true).has_value());
  EXPECT_FALSE(store_.is_verified("bob").value());
  EXPECT_TRUE(store_.is_verified("carol").value());
}

TEST_F(IdentityStoreTest, AcceptingAChangeRepinsAndClearsVerified) {
  ASSERT_TRUE(store_.pin_identity("bob", bob_).has_value());
  ASSERT_TRUE(store_.set_verified("bob", true).has_value());
  EXPECT_TRUE(store_.is_verified("bob").value());

  ASSERT_EQ(store_.check_identity("bob", bob_new_).value(), IdentityCheck::Changed);
  ASSERT_TRUE(store_.pin_identity("bob", bob_new_).has_value());  // the user accepted it
  EXPECT_EQ(store_.check_identity("bob", bob_new_).value(), IdentityCheck::Matches);
  EXPECT_EQ(store_.check_identity("bob", bob_).value(), IdentityCheck::Changed);
  EXPECT_EQ(store_.pinned_identity("bob").value(), bob_new_);
  EXPECT_FALSE(store_.is_verified("bob").value());
}

TEST_F(IdentityStoreTest, RepinningTheSameKeyAlsoClearsVerified) {
  ASSERT_TRUE(store_.pin_identity("bob", bob_).has_value());
  ASSERT_TRUE(store_.set_verified("bob", true).has_value());
  ASSERT_TRUE(store_.pin_identity("bob", bob_).has_value());
  EXPECT_FALSE(store_.is_verified("bob").value());
}

TEST_F(IdentityStoreTest, VerifiedNeedsAPin) {
  EXPECT_FALSE(store_.is_verified("nobody").value());
  const auto result = store_.set_verified("nobody", true);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
  EXPECT_FALSE(store_.is_verified("nobody").value());
  EXPECT_FALSE(store_.pinned_identity("nobody").value().has_value());
}

TEST_F(IdentityStoreTest, VerifiedCanBeCleared) {
  ASSERT_TRUE(store_.pin_identity("bob", bob_).has_value());
  ASSERT_TRUE(store_.set_verified("bob", true).has_value());
  ASSERT_TRUE(store_.set_verified("bob", false).has_value());
  EXPECT_FALSE(store_.is_verified("bob").value());
  EXPECT_EQ(store_.check_identity("bob", bob_).value(), IdentityCheck::Matches);
}

TEST_F(IdentityStoreTest, WorksThroughTheInterface) {
  IdentityStore& store = store_;
  ASSERT_TRUE(store.pin_identity("bob", bob_).has_value());
  EXPECT_EQ(store.check_identity("bob", bob_).value(), IdentityCheck::Matches);
}

// ---- prekeys --------------------------------------------------------------------------------

class PreKeyStoreTest : public ::testing::Test {
 protected:
  DeterministicRng rng_{2};
  ManualClock clock_;
  IdentityKeyPair own_ = IdentityKeyPair::generate(rng_);
  InMemoryPreKeyStore store_;
};

TEST_F(PreKeyStoreTest, SignedPreKeyRoundTripsAsAClone) {
  const SignedPreKey spk = generate_signed_prekey(own_, 7, clock_.now(), rng_);
  ASSERT_TRUE(store_.store_signed_prekey(spk).has_value());
  const auto loaded = store_.load_signed_prekey(7);
  ASSERT_TRUE(loaded.has_value());
  ASSERT_TRUE(loaded->has_value());
  const SignedPreKey& key = **loaded;
  EXPECT_EQ(key.id, 7u);
  EXPECT_EQ(key.key.public_key(), spk.key.public_key());
  EXPECT_TRUE(key.key.secret().equals(spk.key.secret()));
  EXPECT_NE(key.key.secret().data(), spk.key.secret().data());
  EXPECT_EQ(key.signature.bytes(), spk.signature.bytes());
  EXPECT_EQ(key.created, spk.created);
  // Two loads do not share key memory either.
  const auto second = store_.load_signed_prekey(7);
  ASSERT_TRUE(second.has_value() && second->has_value());
  EXPECT_NE((*second)->key.secret().data(), key.key.secret().data());
}

TEST_F(PreKeyStoreTest, MissingKeysLoadAsNothing) {
  EXPECT_FALSE(store_.load_signed_prekey(1).value().has_value());
  EXPECT_FALSE(store_.load_one_time_prekey(1).value().has_value());
  EXPECT_EQ(store_.count_one_time_prekeys().value(), 0u);
  EXPECT_TRUE(store_.signed_prekey_ids().value().empty());
}

TEST_F(PreKeyStoreTest, SignedPreKeyIdsAndRemoval) {
  for (const PreKeyId id : {5u, 1u, 3u}) {
    ASSERT_TRUE(store_.store_signed_prekey(generate_signed_prekey(own_, id, clock_.now(), rng_))
                    .has_value());
  }
  EXPECT_EQ(store_.signed_prekey_ids().value(), (std::vector<PreKeyId>{1, 3, 5}));
  ASSERT_TRUE(store_.remove_signed_prekey(3).has_value());
  EXPECT_EQ(store_.signed_prekey_ids().value(), (std::vector<PreKeyId>{1, 5}));
  EXPECT_FALSE(store_.load_signed_prekey(3).value().has_value());
  EXPECT_TRUE(store_.remove_signed_prekey(3).has_value());  // idempotent
  EXPECT_TRUE(store_.remove_signed_prekey(99).has_value());
}

TEST_F(PreKeyStoreTest, StoringTheSameIdReplaces) {
  const SignedPreKey first = generate_signed_prekey(own_, 1, clock_.now(), rng_);
  const SignedPreKey second = generate_signed_prekey(own_, 1, clock_.now(), rng_);
  ASSERT_NE(first.key.public_key(), second.key.public_key());
  ASSERT_TRUE(store_.store_signed_prekey(first).has_value());
  ASSERT_TRUE(store_.store_signed_prekey(second).has_value());
  EXPECT_EQ(store_.signed_prekey_ids().value().size(), 1u);
  EXPECT_EQ(store_.load_signed_prekey(1).value()->key.public_key(), second.key.public_key());
}

TEST_F(PreKeyStoreTest, OneTimePreKeysCountLoadAndRemove) {
  const auto keys = generate_one_time_prekeys(100, 10, rng_);
  ASSERT_EQ(keys.size(), 10u);
  for (const auto& key : keys) ASSERT_TRUE(store_.store_one_time_prekey(key).has_value());
  EXPECT_EQ(store_.count_one_time_prekeys().value(), 10u);

  const auto loaded = store_.load_one_time_prekey(keys[4].id);
  ASSERT_TRUE(loaded.has_value() && loaded->has_value());
  EXPECT_EQ((*loaded)->id, keys[4].id);
  EXPECT_EQ((*loaded)->key.public_key(), keys[4].key.public_key());
  EXPECT_TRUE((*loaded)->key.secret().equals(keys[4].key.secret()));
  EXPECT_NE((*loaded)->key.secret().data(), keys[4].key.secret().data());
  // Loading does not consume: the owner removes a one-time prekey explicitly.
  EXPECT_EQ(store_.count_one_time_prekeys().value(), 10u);

  ASSERT_TRUE(store_.remove_one_time_prekey(keys[4].id).has_value());
  EXPECT_EQ(store_.count_one_time_prekeys().value(), 9u);
  EXPECT_FALSE(store_.load_one_time_prekey(keys[4].id).value().has_value());
  EXPECT_TRUE(store_.remove_one_time_prekey(keys[4].id).has_value());  // idempotent
  EXPECT_EQ(store_.count_one_time_prekeys().value(), 9u);

  ASSERT_TRUE(store_.store_one_time_prekey(keys[0]).has_value());  // same id: replaces
  EXPECT_EQ(store_.count_one_time_prekeys().value(), 9u);
}

TEST_F(PreKeyStoreTest, SignedAndOneTimeIdsAreSeparateSpaces) {
  ASSERT_TRUE(
      store_.store_signed_prekey(generate_signed_prekey(own_, 1, clock_.now(), rng_)).has_value());
  EXPECT_FALSE(store_.load_one_time_prekey(1).value().has_value());
  const auto keys = generate_one_time_prekeys(1, 1, rng_);
  ASSERT_TRUE(store_.store_one_time_prekey(keys[0]).has_value());
  ASSERT_TRUE(store_.remove_one_time_prekey(1).has_value());
  EXPECT_TRUE(store_.load_signed_prekey(1).value().has_value());
}

// ---- sessions -------------------------------------------------------------------------------

class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const SignedPreKey spk = generate_signed_prekey(bob_id_, 1, clock_.now(), rng_);
    const auto opks = generate_one_time_prekeys(100, 1, rng_);
    ASSERT_TRUE(bob_prekeys_.store_signed_prekey(spk).has_value());
    ASSERT_TRUE(bob_prekeys_.store_one_time_prekey(opks[0]).has_value());
    const PreKeyBundle bundle = PreKeyBundle::make(bob_id_, spk, &opks[0]);
    auto alice =
        start_session(alice_id_, bundle, IdentityFingerprint::of(bob_id_.public_key()), rng_);
    ASSERT_TRUE(alice.has_value()) << alice.error();
    alice_.emplace(std::move(*alice));
  }

  // Bob accepts Alice's first envelope and answers; Alice decrypts the answer.
  void exchange_first_messages(Session& alice) {
    auto first = alice.encrypt(text("hello bob"), rng_);
    ASSERT_TRUE(first.has_value()) << first.error();
    auto accepted = accept_session(bob_id_, bob_prekeys_, *first, clock_.now());
    ASSERT_TRUE(accepted.has_value()) << accepted.error();
    EXPECT_TRUE(constant_time_equal(view(accepted->plaintext), text("hello bob")));
    auto reply = accepted->session.encrypt(text("hello alice"), rng_);
    ASSERT_TRUE(reply.has_value()) << reply.error();
    auto opened = alice.decrypt(*reply, clock_.now());
    ASSERT_TRUE(opened.has_value()) << opened.error();
    EXPECT_TRUE(constant_time_equal(view(*opened), text("hello alice")));
  }

  DeterministicRng rng_{3};
  ManualClock clock_;
  IdentityKeyPair alice_id_ = IdentityKeyPair::generate(rng_);
  IdentityKeyPair bob_id_ = IdentityKeyPair::generate(rng_);
  InMemoryPreKeyStore bob_prekeys_;
  std::optional<Session> alice_;
  InMemorySessionStore store_;
};

TEST_F(SessionStoreTest, MissingSessionLoadsAsNothing) {
  const auto loaded = store_.load_session("nope");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_FALSE(loaded->has_value());
  EXPECT_TRUE(store_.session_ids().value().empty());
  EXPECT_TRUE(store_.delete_session("nope").has_value());
}

TEST_F(SessionStoreTest, RoundTripsThroughSerializedState) {
  ASSERT_TRUE(store_.store_session("chat-1", *alice_).has_value());
  auto loaded = store_.load_session("chat-1");
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  ASSERT_TRUE(loaded->has_value());
  Session& restored = **loaded;
  EXPECT_TRUE(constant_time_equal(view(restored.serialize()), view(alice_->serialize())));
  EXPECT_EQ(restored.local_identity(), alice_id_.public_key());
  EXPECT_EQ(restored.remote_identity(), bob_id_.public_key());
  EXPECT_TRUE(restored.awaiting_first_reply());
  // The restored session is a working session.
  exchange_first_messages(restored);
  EXPECT_FALSE(restored.awaiting_first_reply());
}

TEST_F(SessionStoreTest, StoredStateIsASnapshot) {
  ASSERT_TRUE(store_.store_session("chat-1", *alice_).has_value());
  const SecureBytes stored = alice_->serialize();
  exchange_first_messages(*alice_);  // the live session moves on
  ASSERT_FALSE(constant_time_equal(view(alice_->serialize()), view(stored)));
  auto loaded = store_.load_session("chat-1");
  ASSERT_TRUE(loaded.has_value() && loaded->has_value());
  EXPECT_TRUE(constant_time_equal(view((*loaded)->serialize()), view(stored)));

  // Storing again replaces the snapshot.
  ASSERT_TRUE(store_.store_session("chat-1", *alice_).has_value());
  auto reloaded = store_.load_session("chat-1");
  ASSERT_TRUE(reloaded.has_value() && reloaded->has_value());
  EXPECT_TRUE(constant_time_equal(view((*reloaded)->serialize()), view(alice_->serialize())));
  EXPECT_FALSE((*reloaded)->awaiting_first_reply());
}

TEST_F(SessionStoreTest, IdsAndDeletion) {
  for (const char* id : {"c", "a", "b"}) {
    ASSERT_TRUE(store_.store_session(id, *alice_).has_value());
  }
  EXPECT_EQ(store_.session_ids().value(), (std::vector<SessionId>{"a", "b", "c"}));
  ASSERT_TRUE(store_.delete_session("b").has_value());
  EXPECT_EQ(store_.session_ids().value(), (std::vector<SessionId>{"a", "c"}));
  EXPECT_FALSE(store_.load_session("b").value().has_value());
  EXPECT_TRUE(store_.delete_session("b").has_value());  // idempotent
  EXPECT_TRUE(store_.load_session("a").value().has_value());
}

}  // namespace
}  // namespace exile::crypto
