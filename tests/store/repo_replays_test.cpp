#include "store/repo_replays.h"

#include <gtest/gtest.h>

#include "store/support/schema_fixture.h"

namespace exile::store {
namespace {

using test::at;
class ReplayRepositoryTest : public test::StoreTest {};

ReplayId replay_id(std::uint8_t n) {
  ReplayId id{};
  id.fill(0x3C);
  id[31] = n;
  return id;
}

TEST_P(ReplayRepositoryTest, ReplaysAreRememberedOnceAndForgottenByAge) {
  ReplayRepository replays(db());
  auto unseen = replays.seen(replay_id(1));
  ASSERT_TRUE(unseen.has_value()) << unseen.error();
  EXPECT_FALSE(*unseen);
  EXILE_ASSERT_OK(replays.add(replay_id(1), at(100)));
  EXILE_ASSERT_OK(replays.add(replay_id(2), at(200)));
  EXILE_ASSERT_OK(replays.add(replay_id(3), at(300)));
  auto again = replays.add(replay_id(2), at(400));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::Constraint);

  reopen();
  ReplayRepository reopened(db());
  EXPECT_TRUE(*reopened.seen(replay_id(1)));
  EXPECT_TRUE(*reopened.seen(replay_id(2)));
  EXPECT_FALSE(*reopened.seen(replay_id(4)));
  // seen_at < cutoff goes; the one added exactly at the cutoff stays.
  auto forgotten = reopened.forget_before(at(200));
  ASSERT_TRUE(forgotten.has_value()) << forgotten.error();
  EXPECT_EQ(*forgotten, 1u);
  EXPECT_FALSE(*reopened.seen(replay_id(1)));
  EXPECT_TRUE(*reopened.seen(replay_id(2)));
  EXPECT_EQ(*reopened.forget_before(at(1000)), 2u);
  EXPECT_FALSE(*reopened.seen(replay_id(3)));
  EXPECT_EQ(*reopened.forget_before(at(1000)), 0u);
  // A forgotten id can be added again.
  EXILE_ASSERT_OK(reopened.add(replay_id(1), at(2000)));
}

EXILE_STORE_TEST_SUITE(ReplayRepositoryTest);

}  // namespace
}  // namespace exile::store
