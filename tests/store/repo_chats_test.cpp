#include "store/repo_chats.h"

#include <gtest/gtest.h>

#include "store/repo_contacts.h"
#include "store/support/schema_fixture.h"

namespace exile::store {
namespace {

class ChatRepositoryTest : public test::StoreTest {
 protected:
  void SetUp() override {
    test::StoreTest::SetUp();
    ContactRepository contacts(db());
    EXILE_ASSERT_OK(contacts.add("alice", "Alice", test::at()));
  }
};

TEST_P(ChatRepositoryTest, CreateFindBySessionAndContact) {
  ChatRepository chats(db());
  auto first = chats.create("alice", "s1", test::at(1));
  auto second = chats.create("alice", "s2", test::at(2));
  ASSERT_TRUE(first.has_value() && second.has_value());
  auto by_session = chats.find_by_session("s2");
  ASSERT_TRUE(by_session.has_value() && by_session->has_value());
  EXPECT_EQ((*by_session)->id, *second);
  EXPECT_EQ((*by_session)->contact, "alice");
  EXPECT_FALSE((*by_session)->timer_seconds.has_value());
  EXPECT_EQ((*by_session)->created_at, test::at(2));
  auto all = chats.for_contact("alice");
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].session, "s1");

  auto same_session = chats.create("alice", "s1", test::at());
  ASSERT_FALSE(same_session.has_value());
  EXPECT_EQ(same_session.error().code, ErrorCode::Constraint);
  auto unknown_contact = chats.create("nobody", "s3", test::at());
  ASSERT_FALSE(unknown_contact.has_value());
  EXPECT_EQ(unknown_contact.error().code, ErrorCode::Constraint);
}

TEST_P(ChatRepositoryTest, TimerIsOffOrSecondsInRange) {
  ChatRepository chats(db());
  auto chat = chats.create("alice", "s1", test::at());
  ASSERT_TRUE(chat.has_value());
  EXILE_ASSERT_OK(chats.set_timer(*chat, 30));
  reopen();
  ChatRepository reopened(db());
  EXPECT_EQ((*reopened.find(*chat))->timer_seconds, std::optional<std::uint32_t>(30));
  EXILE_ASSERT_OK(reopened.set_timer(*chat, kMaxTimerSeconds));
  EXILE_ASSERT_OK(reopened.set_timer(*chat, std::nullopt));
  EXPECT_FALSE((*reopened.find(*chat))->timer_seconds.has_value());
  for (std::uint32_t bad : {0u, kMinTimerSeconds - 1, kMaxTimerSeconds + 1}) {
    auto result = reopened.set_timer(*chat, bad);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
  }
  auto missing = reopened.set_timer(*chat + 100, 60);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

TEST_P(ChatRepositoryTest, Remove) {
  ChatRepository chats(db());
  auto chat = chats.create("alice", "s1", test::at());
  ASSERT_TRUE(chat.has_value());
  EXILE_ASSERT_OK(chats.remove(*chat));
  EXPECT_FALSE(chats.find(*chat)->has_value());
  EXILE_ASSERT_OK(chats.remove(*chat));
}

EXILE_STORE_TEST_SUITE(ChatRepositoryTest);

}  // namespace
}  // namespace exile::store
