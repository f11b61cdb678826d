// SqliteIdentityStore and SqlitePreKeyStore follow the contract of the in-memory stores
// (docs/protocol.md Appendix A.1); each case runs the same calls on both and compares.
#include "store/repo_identity.h"

#include <gtest/gtest.h>

#include "common/rng.h"
#include "crypto/memory_store.h"
#include "store/support/schema_fixture.h"

namespace exile::store {
namespace {

using crypto::IdentityCheck;
using crypto::IdentityKeyPair;

// Result<void> as a comparable Result<int>.
Result<int> done(Result<void> result) {
  if (!result) return fail(std::move(result).error());
  return 0;
}

class IdentityStoreTest : public test::StoreTest {
 protected:
  DeterministicRng rng_{7};
  IdentityKeyPair own_ = IdentityKeyPair::generate(rng_);
  IdentityKeyPair alice_ = IdentityKeyPair::generate(rng_);
  IdentityKeyPair mallory_ = IdentityKeyPair::generate(rng_);
};

TEST_P(IdentityStoreTest, LocalIdentityRoundTripsThroughTheSeed) {
  SqliteIdentityStore store(db());
  auto missing = store.local_identity();
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  EXILE_ASSERT_OK(store.store_local_identity(own_, test::at()));
  reopen();
  SqliteIdentityStore reopened(db());
  auto has = reopened.has_local_identity();
  ASSERT_TRUE(has.has_value() && *has);
  auto loaded = reopened.local_identity();
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  EXPECT_EQ(loaded->public_key(), own_.public_key());
  EXPECT_TRUE(loaded->seed().equals(own_.seed()));
}

TEST_P(IdentityStoreTest, PinningBehavesLikeTheInMemoryStore) {
  SqliteIdentityStore sql(db());
  crypto::InMemoryIdentityStore memory(own_.clone());
  auto same = [&](auto&& call) {
    auto a = call(static_cast<crypto::IdentityStore&>(sql));
    auto b = call(static_cast<crypto::IdentityStore&>(memory));
    ASSERT_EQ(a.has_value(), b.has_value());
    if (a.has_value()) {
      EXPECT_EQ(*a, *b);
    } else {
      EXPECT_EQ(a.error().code, b.error().code);
    }
  };
  const auto& alice_key = alice_.public_key();
  const auto& mallory_key = mallory_.public_key();
  same([&](crypto::IdentityStore& s) { return s.check_identity("alice", alice_key); });
  same([&](crypto::IdentityStore& s) { return s.check_identity("alice", alice_key); });
  same([&](crypto::IdentityStore& s) { return s.pinned_identity("alice"); });
  same([&](crypto::IdentityStore& s) { return s.is_verified("alice"); });
  same([](crypto::IdentityStore& s) { return done(s.set_verified("alice", true)); });
  same([&](crypto::IdentityStore& s) { return done(s.pin_identity("alice", alice_key)); });
  same([&](crypto::IdentityStore& s) { return s.check_identity("alice", alice_key); });
  same([&](crypto::IdentityStore& s) { return s.check_identity("alice", mallory_key); });
  same([](crypto::IdentityStore& s) { return done(s.set_verified("alice", true)); });
  same([](crypto::IdentityStore& s) { return s.is_verified("alice"); });
  // Re-pinning the same key clears verified too.
  same([&](crypto::IdentityStore& s) { return done(s.pin_identity("alice", alice_key)); });
  same([](crypto::IdentityStore& s) { return s.is_verified("alice"); });
  same([&](crypto::IdentityStore& s) { return done(s.pin_identity("alice", mallory_key)); });
  same([&](crypto::IdentityStore& s) { return s.pinned_identity("alice"); });
  same([&](crypto::IdentityStore& s) { return s.check_identity("bob", alice_key); });
  EXPECT_EQ(*sql.check_identity("alice", mallory_key), IdentityCheck::Matches);
}

TEST_P(IdentityStoreTest, ChangedCheckKeepsTheOldPin) {
  SqliteIdentityStore store(db());
  EXILE_ASSERT_OK(store.pin_identity("alice", alice_.public_key()));
  EXILE_ASSERT_OK(store.set_verified("alice", true));
  auto check = store.check_identity("alice", mallory_.public_key());
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(*check, IdentityCheck::Changed);
  auto pinned = store.pinned_identity("alice");
  ASSERT_TRUE(pinned.has_value() && pinned->has_value());
  EXPECT_EQ(**pinned, alice_.public_key());
  EXPECT_TRUE(*store.is_verified("alice"));
}

class PreKeyStoreTest : public test::StoreTest {
 protected:
  DeterministicRng rng_{8};
  IdentityKeyPair own_ = IdentityKeyPair::generate(rng_);
};

TEST_P(PreKeyStoreTest, SignedPreKeysStoreLoadReplaceRemove) {
  SqlitePreKeyStore store(db());
  const auto spk1 = crypto::generate_signed_prekey(own_, 1, test::at(), rng_);
  const auto spk2 = crypto::generate_signed_prekey(own_, 0xFFFFFFFF, test::at(5), rng_);
  EXILE_ASSERT_OK(store.store_signed_prekey(spk2));
  EXILE_ASSERT_OK(store.store_signed_prekey(spk1));
  auto ids = store.signed_prekey_ids();
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(*ids, (std::vector<crypto::PreKeyId>{1, 0xFFFFFFFF}));
  reopen();
  SqlitePreKeyStore reopened(db());
  auto loaded = reopened.load_signed_prekey(0xFFFFFFFF);
  ASSERT_TRUE(loaded.has_value() && loaded->has_value());
  EXPECT_EQ((*loaded)->key.public_key(), spk2.key.public_key());
  EXPECT_TRUE((*loaded)->key.secret().equals(spk2.key.secret()));
  EXPECT_EQ((*loaded)->signature.bytes(), spk2.signature.bytes());
  EXPECT_EQ((*loaded)->created, spk2.created);
  // Replacing an id keeps one row with the new key.
  const auto spk1b = crypto::generate_signed_prekey(own_, 1, test::at(9), rng_);
  EXILE_ASSERT_OK(reopened.store_signed_prekey(spk1b));
  auto replaced = reopened.load_signed_prekey(1);
  ASSERT_TRUE(replaced.has_value() && replaced->has_value());
  EXPECT_EQ((*replaced)->key.public_key(), spk1b.key.public_key());
  EXILE_ASSERT_OK(reopened.remove_signed_prekey(1));
  EXILE_ASSERT_OK(reopened.remove_signed_prekey(1));  // idempotent
  auto none = reopened.load_signed_prekey(1);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(*reopened.signed_prekey_ids(), (std::vector<crypto::PreKeyId>{0xFFFFFFFF}));
}

TEST_P(PreKeyStoreTest, OneTimePreKeysAreLoadedWithoutBeingConsumed) {
  SqlitePreKeyStore store(db());
  const auto opks = crypto::generate_one_time_prekeys(100, 3, rng_);
  for (const auto& opk : opks) EXILE_ASSERT_OK(store.store_one_time_prekey(opk));
  EXPECT_EQ(*store.count_one_time_prekeys(), 3u);
  auto loaded = store.load_one_time_prekey(101);
  ASSERT_TRUE(loaded.has_value() && loaded->has_value());
  EXPECT_TRUE((*loaded)->key.secret().equals(opks[1].key.secret()));
  EXPECT_EQ(*store.count_one_time_prekeys(), 3u);
  EXILE_ASSERT_OK(store.remove_one_time_prekey(101));
  EXILE_ASSERT_OK(store.remove_one_time_prekey(555));
  EXPECT_EQ(*store.count_one_time_prekeys(), 2u);
  auto gone = store.load_one_time_prekey(101);
  ASSERT_TRUE(gone.has_value());
  EXPECT_FALSE(gone->has_value());
  // Signed and one-time ids are separate namespaces.
  EXILE_ASSERT_OK(
      store.store_signed_prekey(crypto::generate_signed_prekey(own_, 100, test::at(), rng_)));
  EXPECT_EQ(*store.count_one_time_prekeys(), 2u);
}

EXILE_STORE_TEST_SUITE(IdentityStoreTest);
EXILE_STORE_TEST_SUITE(PreKeyStoreTest);

}  // namespace
}  // namespace exile::store
