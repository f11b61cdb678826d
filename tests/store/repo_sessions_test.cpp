// SqliteSessionStore: snapshots of Session::serialize(), same contract as the in-memory store.
#include "store/repo_sessions.h"

#include <gtest/gtest.h>

#include "store/support/schema_fixture.h"

namespace exile::store {
namespace {

using test::make_session;
using test::state_of;

class SessionStoreTest : public test::StoreTest {};

TEST_P(SessionStoreTest, StoresSnapshotsAndLoadsIndependentSessions) {
  SqliteSessionStore store(db());
  auto missing = store.load_session("s1");
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());

  crypto::Session session = make_session(1);
  EXILE_ASSERT_OK(store.store_session("s1", session));
  const Bytes stored_state = state_of(session);
  DeterministicRng rng(3);
  ASSERT_TRUE(session.encrypt(as_bytes("later"), rng).has_value());  // not seen by the store
  ASSERT_NE(state_of(session), stored_state);

  reopen();
  SqliteSessionStore reopened(db());
  auto loaded = reopened.load_session("s1");
  ASSERT_TRUE(loaded.has_value() && loaded->has_value()) << loaded.error();
  EXPECT_EQ(state_of(**loaded), stored_state);
}

TEST_P(SessionStoreTest, ReplaceDeleteAndListInByteOrder) {
  SqliteSessionStore store(db());
  EXILE_ASSERT_OK(store.store_session("b", make_session(1)));
  EXILE_ASSERT_OK(store.store_session("a", make_session(2)));
  EXILE_ASSERT_OK(store.store_session("B", make_session(3)));
  const crypto::Session advanced = make_session(1, 2);
  EXILE_ASSERT_OK(store.store_session("b", advanced));
  auto ids = store.session_ids();
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(*ids, (std::vector<crypto::SessionId>{"B", "a", "b"}));
  auto b = store.load_session("b");
  ASSERT_TRUE(b.has_value() && b->has_value());
  EXPECT_EQ(state_of(**b), state_of(advanced));
  EXILE_ASSERT_OK(store.delete_session("b"));
  EXILE_ASSERT_OK(store.delete_session("nope"));
  EXPECT_EQ(*store.session_ids(), (std::vector<crypto::SessionId>{"B", "a"}));
}

TEST_P(SessionStoreTest, CorruptStateIsReportedNotHidden) {
  EXILE_ASSERT_OK(db().exec("INSERT INTO sessions(id, state) VALUES ('bad', x'00ff00ff')"));
  SqliteSessionStore store(db());
  auto loaded = store.load_session("bad");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_TRUE(loaded.error().code == ErrorCode::StateCorrupt ||
              loaded.error().code == ErrorCode::UnsupportedVersion)
      << loaded.error();
}

EXILE_STORE_TEST_SUITE(SessionStoreTest);

}  // namespace
}  // namespace exile::store
