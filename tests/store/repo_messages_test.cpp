#include "store/repo_messages.h"

#include <gtest/gtest.h>

#include <string>

#include "store/repo_chats.h"
#include "store/repo_contacts.h"
#include "store/support/schema_fixture.h"

namespace exile::store {
namespace {

using test::at;
using test::text_message;

class MessageRepositoryTest : public test::StoreTest {
 protected:
  void SetUp() override {
    test::StoreTest::SetUp();
    ContactRepository contacts(db());
    EXILE_ASSERT_OK(contacts.add("alice", "Alice", at()));
    ChatRepository chats(db());
    auto first = chats.create("alice", "s1", at());
    auto second = chats.create("alice", "s2", at());
    ASSERT_TRUE(first.has_value() && second.has_value());
    chat_ = *first;
    other_chat_ = *second;
  }

  // Tokens present anywhere in the FTS5 index b-tree (segments and doclists).
  bool index_contains(std::string_view token) {
    auto statement = db().prepare("SELECT count(*) FROM messages_fts_data WHERE instr(block, ?1)");
    EXPECT_TRUE(statement.has_value());
    statement->bind(1, as_bytes(token));
    auto row = statement->step();
    EXPECT_TRUE(row.has_value() && *row);
    return statement->column_int64(0) > 0;
  }

  ChatId chat_ = 0;
  ChatId other_chat_ = 0;
};

TEST_P(MessageRepositoryTest, InsertAndLoadLatestInDisplayOrder) {
  MessageRepository messages(db());
  for (std::uint8_t i = 0; i < 60; ++i) {
    auto id = messages.insert(text_message(chat_, i, "message " + std::to_string(i), i));
    ASSERT_TRUE(id.has_value()) << id.error();
  }
  ASSERT_TRUE(messages.insert(text_message(other_chat_, 0, "elsewhere")).has_value());
  reopen();
  MessageRepository reopened(db());
  auto latest = reopened.latest(chat_, 50);
  ASSERT_TRUE(latest.has_value());
  ASSERT_EQ(latest->size(), 50u);
  EXPECT_EQ(latest->front().body, "message 10");
  EXPECT_EQ(latest->back().body, "message 59");
  EXPECT_EQ(latest->back().uid, test::make_uid(59));
  EXPECT_EQ(latest->back().sent_at, at(59));
  EXPECT_EQ(latest->back().direction, Direction::Incoming);
  auto older = reopened.before(chat_, latest->front().id, 50);
  ASSERT_TRUE(older.has_value());
  ASSERT_EQ(older->size(), 10u);
  EXPECT_EQ(older->front().body, "message 0");
  EXPECT_EQ(older->back().body, "message 9");
  // The statement cache gives the same answer twice.
  EXPECT_EQ(reopened.latest(chat_, 3)->size(), 3u);
  EXPECT_EQ(reopened.latest(chat_, 3)->back().body, "message 59");
}

TEST_P(MessageRepositoryTest, RedeliveredUidIsRejectedPerChat) {
  MessageRepository messages(db());
  ASSERT_TRUE(messages.insert(text_message(chat_, 1, "once")).has_value());
  auto again = messages.insert(text_message(chat_, 1, "once"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::Constraint);
  EXPECT_EQ(again.error().message.find("once"), std::string::npos);  // no user content
  EXPECT_TRUE(messages.insert(text_message(other_chat_, 1, "once")).has_value());
  auto found = messages.find_by_uid(chat_, test::make_uid(1));
  ASSERT_TRUE(found.has_value() && found->has_value());
}

TEST_P(MessageRepositoryTest, DeliveredAndReadAreMarkedOnce) {
  MessageRepository messages(db());
  auto id = messages.insert(text_message(chat_, 1, "hi"));
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(*messages.mark_delivered(*id, at(10)));
  EXPECT_FALSE(*messages.mark_delivered(*id, at(20)));
  EXPECT_TRUE(*messages.mark_read(*id, at(30)));
  EXPECT_FALSE(*messages.mark_read(*id, at(40)));
  EXPECT_FALSE(*messages.mark_read(*id + 1000, at(40)));
  auto stored = messages.find(*id);
  ASSERT_TRUE(stored.has_value() && stored->has_value());
  EXPECT_EQ((*stored)->delivered_at, at(10));
  EXPECT_EQ((*stored)->read_at, at(30));
  EXPECT_FALSE((*stored)->expires_at.has_value());  // no timer
}

TEST_P(MessageRepositoryTest, TimerStartsWhenReadAndExpiredMessagesGo) {
  MessageRepository messages(db());
  NewMessage timed = text_message(chat_, 1, "secret plans");
  timed.timer_seconds = 5;
  auto timed_id = messages.insert(timed);
  auto plain_id = messages.insert(text_message(chat_, 2, "plain plans"));
  ASSERT_TRUE(timed_id.has_value() && plain_id.has_value());
  EXPECT_FALSE(messages.next_expiry()->has_value());
  EXPECT_EQ(*messages.delete_expired(at(1'000'000)), 0u);  // unread: countdown not started
  ASSERT_TRUE(*messages.mark_read(*timed_id, at(100)));
  EXPECT_EQ(*messages.next_expiry(), at(5'100));
  EXPECT_EQ(*messages.delete_expired(at(5'099)), 0u);
  EXPECT_EQ(*messages.delete_expired(at(5'100)), 1u);
  EXPECT_FALSE(messages.find(*timed_id)->has_value());
  EXPECT_TRUE(messages.find(*plain_id)->has_value());
  EXPECT_TRUE(messages.search("secret", std::nullopt, 10)->empty());
  EXPECT_EQ(messages.search("plans", std::nullopt, 10)->size(), 1u);
}

TEST_P(MessageRepositoryTest, SearchFindsWordsPrefixesAndFoldsCaseAndAccents) {
  MessageRepository messages(db());
  ASSERT_TRUE(messages.insert(text_message(chat_, 1, "Meet me at the Café tomorrow")).has_value());
  ASSERT_TRUE(messages.insert(text_message(chat_, 2, "the cafe was closed")).has_value());
  ASSERT_TRUE(messages.insert(text_message(other_chat_, 3, "cafeteria food")).has_value());
  EXPECT_EQ(messages.search("cafe", std::nullopt, 10)->size(), 2u);
  EXPECT_EQ(messages.search("CAFÉ", std::nullopt, 10)->size(), 2u);
  EXPECT_EQ(messages.search("cafe*", std::nullopt, 10)->size(), 3u);
  EXPECT_EQ(messages.search("cafe*", other_chat_, 10)->size(), 1u);
  EXPECT_EQ(messages.search("cafe tomorrow", std::nullopt, 10)->size(), 1u);
  EXPECT_EQ(messages.search("cafe", std::nullopt, 1)->size(), 1u);
  EXPECT_TRUE(messages.search("nothing", std::nullopt, 10)->empty());
  EXPECT_TRUE(messages.search("   ", std::nullopt, 10)->empty());
}

TEST_P(MessageRepositoryTest, SearchSyntaxInUserInputIsSearchedNotExecuted) {
  MessageRepository messages(db());
  ASSERT_TRUE(messages.insert(text_message(chat_, 1, "say \"hello\" OR NOT")).has_value());
  for (const char* query : {"\"", "hello\"", "OR", "NOT hello", "body:hello", "(", "*", "a*b",
                            "NEAR(hello", "^hello", "-hello"}) {
    auto result = messages.search(query, std::nullopt, 10);
    EXPECT_TRUE(result.has_value()) << query << ": " << result.error();
  }
  EXPECT_EQ(messages.search("\"hello\"", std::nullopt, 10)->size(), 1u);
  EXPECT_EQ(fts_query_for(" a\"b  c* "), "\"a\"\"b\" \"c\"*");
}

TEST_P(MessageRepositoryTest, DeletingRemovesFromTheIndexAndPurgeDropsTokens) {
  MessageRepository messages(db());
  auto id = messages.insert(text_message(chat_, 1, "zebracorn sighting"));
  ASSERT_TRUE(messages.insert(text_message(chat_, 2, "ordinary words")).has_value());
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(messages.search("zebracorn", std::nullopt, 10)->size(), 1u);
  EXPECT_TRUE(index_contains("zebracorn"));
  EXPECT_TRUE(*messages.remove(*id));
  EXPECT_FALSE(*messages.remove(*id));
  EXPECT_TRUE(messages.search("zebracorn", std::nullopt, 10)->empty());
  EXILE_ASSERT_OK(messages.purge_search_index());
  EXPECT_FALSE(index_contains("zebracorn"));
  EXPECT_TRUE(index_contains("ordinary"));
  auto integrity = db().exec("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')");
  EXPECT_TRUE(integrity.has_value()) << integrity.error();
}

EXILE_STORE_TEST_SUITE(MessageRepositoryTest);

}  // namespace
}  // namespace exile::store
