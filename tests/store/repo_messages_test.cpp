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

std::int64_t scalar_of(Database& db, std::string_view sql) {
  auto statement = db.prepare(sql);
  EXPECT_TRUE(statement.has_value());
  if (!statement) return -1;
  auto row = statement->step();
  EXPECT_TRUE(row.has_value() && *row);
  return statement->column_int64(0);
}

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

NewMessage outgoing_message(ChatId chat, std::uint8_t uid, std::string_view body,
                            std::int64_t offset_millis = 0) {
  NewMessage message = text_message(chat, uid, body, offset_millis);
  message.direction = Direction::Outgoing;
  message.state = MessageState::Queued;
  return message;
}

TEST_P(MessageRepositoryTest, KindsStatesAndEnvelopesRoundTrip) {
  MessageRepository messages(db());
  const MessageId text = *messages.insert(outgoing_message(chat_, 1, "hello"));
  NewMessage timer = text_message(chat_, 2, "");
  timer.kind = MessageKind::TimerChanged;
  timer.timer_seconds = 30;
  const MessageId timer_id = *messages.insert(timer);
  const Bytes envelope(77, 0xEE);
  NewMessage broken = text_message(chat_, 3, "");
  broken.kind = MessageKind::Undecryptable;
  broken.envelope = envelope;
  const MessageId broken_id = *messages.insert(broken);
  NewMessage legacy = text_message(chat_, 4, "written before states");
  legacy.direction = Direction::Outgoing;  // state left at its default
  const MessageId legacy_id = *messages.insert(legacy);
  NewMessage read = text_message(chat_, 5, "read here");
  read.state = MessageState::Read;
  const MessageId read_id = *messages.insert(read);

  reopen();
  MessageRepository reopened(db());
  auto latest = reopened.latest(chat_, 10);
  ASSERT_TRUE(latest.has_value()) << latest.error();
  ASSERT_EQ(latest->size(), 5u);
  const StoredMessage& t = (*latest)[0];
  EXPECT_EQ(t.id, text);
  EXPECT_EQ(t.kind, MessageKind::Text);
  EXPECT_EQ(t.state, MessageState::Queued);
  EXPECT_TRUE(t.envelope.empty());
  const StoredMessage& tc = (*latest)[1];
  EXPECT_EQ(tc.id, timer_id);
  EXPECT_EQ(tc.kind, MessageKind::TimerChanged);
  EXPECT_EQ(tc.state, MessageState::Received);
  EXPECT_EQ(tc.timer_seconds, 30u);
  EXPECT_TRUE(tc.body.empty());
  auto undecryptable = reopened.find(broken_id);
  ASSERT_TRUE(undecryptable.has_value() && undecryptable->has_value());
  EXPECT_EQ((*undecryptable)->kind, MessageKind::Undecryptable);
  EXPECT_EQ((*undecryptable)->envelope, envelope);
  EXPECT_EQ(reopened.find(legacy_id)->value().state, MessageState::Sent);
  EXPECT_EQ(reopened.find(read_id)->value().state, MessageState::Read);
  EXPECT_EQ(scalar_of(db(), "SELECT count(*) FROM messages WHERE envelope IS NULL"), 4);

  // What insert() refuses, storing nothing.
  auto expect_invalid = [&](NewMessage message, const char* what) {
    SCOPED_TRACE(what);
    auto result = reopened.insert(message);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
  };
  for (const MessageState state :
       {MessageState::Queued, MessageState::Sent, MessageState::Delivered, MessageState::Failed}) {
    NewMessage incoming = text_message(chat_, 10, "x");
    incoming.state = state;
    expect_invalid(incoming, "incoming in an outgoing state");
  }
  NewMessage bad_outgoing = outgoing_message(chat_, 10, "x");
  bad_outgoing.state = static_cast<MessageState>(7);
  expect_invalid(bad_outgoing, "no such state");
  NewMessage timer_with_body = timer;
  timer_with_body.uid = test::make_uid(10);
  timer_with_body.body = "text";
  expect_invalid(timer_with_body, "timer change with a body");
  NewMessage broken_with_body = broken;
  broken_with_body.uid = test::make_uid(10);
  broken_with_body.body = "text";
  expect_invalid(broken_with_body, "undecryptable with a body");
  NewMessage text_with_envelope = text_message(chat_, 10, "x");
  text_with_envelope.envelope = envelope;
  expect_invalid(text_with_envelope, "text with an envelope");
  NewMessage bad_kind = text_message(chat_, 10, "");
  bad_kind.kind = static_cast<MessageKind>(4);
  auto refused = reopened.insert(bad_kind);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::Constraint);
  EXPECT_EQ(reopened.latest(chat_, 10)->size(), 5u);
}

TEST_P(MessageRepositoryTest, StatesMoveOnlyAlongAllowedSteps) {
  MessageRepository messages(db());
  const MessageId out = *messages.insert(outgoing_message(chat_, 1, "out"));
  const MessageId in = *messages.insert(text_message(chat_, 2, "in"));
  auto set_raw = [&](MessageId id, int state) {
    auto done = sqlite::execute(db(), "UPDATE messages SET state = ?2 WHERE id = ?1", id,
                                std::int64_t{state});
    ASSERT_TRUE(done.has_value());
  };
  // allowed[from][to] for outgoing messages (states 1..5); incoming only Received -> Read.
  const bool allowed[7][7] = {
      {},
      {false, false, true, true, true, true, false},     // Queued -> Sent, Delivered, Read, Failed
      {false, false, false, true, true, false, false},   // Sent -> Delivered, Read
      {false, false, false, false, true, false, false},  // Delivered -> Read
      {},                                                // Read: final
      {false, true, false, false, false, false, false},  // Failed -> Queued
      {},
  };
  for (int from = 1; from <= 5; ++from) {
    for (int to = 1; to <= 6; ++to) {
      SCOPED_TRACE("outgoing " + std::to_string(from) + " -> " + std::to_string(to));
      set_raw(out, from);
      auto moved = messages.advance_state(out, static_cast<MessageState>(to));
      ASSERT_TRUE(moved.has_value()) << moved.error();
      EXPECT_EQ(*moved, allowed[from][to]);
      EXPECT_EQ(static_cast<int>(messages.find(out)->value().state), *moved ? to : from);
    }
  }
  for (const int from : {4, 6}) {
    for (int to = 1; to <= 6; ++to) {
      SCOPED_TRACE("incoming " + std::to_string(from) + " -> " + std::to_string(to));
      set_raw(in, from);
      auto moved = messages.advance_state(in, static_cast<MessageState>(to));
      ASSERT_TRUE(moved.has_value());
      EXPECT_EQ(*moved, from == 6 && to == 4);
    }
  }
  auto missing = messages.advance_state(in + 100, MessageState::Read);
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(*missing);

  // The receipts move the state too: delivered from Queued or Sent, read from anything.
  set_raw(out, 2);
  ASSERT_TRUE(*messages.mark_delivered(out, at(5)));
  EXPECT_EQ(messages.find(out)->value().state, MessageState::Delivered);
  ASSERT_TRUE(*messages.mark_read(out, at(6)));
  EXPECT_EQ(messages.find(out)->value().state, MessageState::Read);
  set_raw(in, 6);
  ASSERT_TRUE(*messages.mark_delivered(in, at(5)));
  EXPECT_EQ(messages.find(in)->value().state, MessageState::Received);
  ASSERT_TRUE(*messages.mark_read(in, at(6)));
  EXPECT_EQ(messages.find(in)->value().state, MessageState::Read);
}

TEST_P(MessageRepositoryTest, FindByUidFullLooksInOneChat) {
  MessageRepository messages(db());
  const MessageId id = *messages.insert(outgoing_message(chat_, 7, "named"));
  auto found = messages.find_by_uid_full(chat_, test::make_uid(7));
  ASSERT_TRUE(found.has_value() && found->has_value()) << found.error();
  EXPECT_EQ((*found)->id, id);
  EXPECT_EQ((*found)->body, "named");
  EXPECT_EQ((*found)->state, MessageState::Queued);
  auto elsewhere = messages.find_by_uid_full(other_chat_, test::make_uid(7));
  ASSERT_TRUE(elsewhere.has_value());
  EXPECT_FALSE(elsewhere->has_value());
  auto unknown = messages.find_by_uid_full(chat_, test::make_uid(8));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(MessageRepositoryTest, MarkIncomingReadUpToReturnsTheUidsItChanged) {
  MessageRepository messages(db());
  NewMessage timed = text_message(chat_, 1, "timed");
  timed.timer_seconds = 30;
  const MessageId first = *messages.insert(timed);
  ASSERT_TRUE(messages.insert(text_message(chat_, 2, "untimed")).has_value());
  ASSERT_TRUE(messages.insert(outgoing_message(chat_, 3, "mine")).has_value());
  ASSERT_TRUE(messages.insert(text_message(other_chat_, 4, "other chat")).has_value());
  NewMessage timer = text_message(chat_, 5, "");
  timer.kind = MessageKind::TimerChanged;
  timer.timer_seconds = 60;
  const MessageId timer_id = *messages.insert(timer);
  NewMessage already = text_message(chat_, 6, "read before");
  already.state = MessageState::Read;
  ASSERT_TRUE(messages.insert(already).has_value());
  const MessageId later = *messages.insert(text_message(chat_, 7, "later"));
  EXPECT_EQ(*messages.unread_count(chat_), 4u);
  EXPECT_EQ(*messages.unread_count(other_chat_), 1u);

  auto changed = messages.mark_incoming_read_up_to(chat_, later - 1, at(1000));
  ASSERT_TRUE(changed.has_value()) << changed.error();
  const std::vector<MessageUid> expected{test::make_uid(1), test::make_uid(2), test::make_uid(5)};
  ASSERT_EQ(changed->size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*changed)[i].uid, expected[i]);
    EXPECT_EQ(messages.find((*changed)[i].id)->value().uid, expected[i]);  // the id of that uid
  }
  auto timed_now = messages.find(first)->value();
  EXPECT_EQ(timed_now.state, MessageState::Read);
  EXPECT_EQ(timed_now.read_at, at(1000));
  EXPECT_EQ(timed_now.expires_at, at(1000 + 30'000));
  auto untimed_now = messages.find(first + 1)->value();
  EXPECT_EQ(untimed_now.state, MessageState::Read);
  EXPECT_FALSE(untimed_now.expires_at.has_value());
  // A timer change's timer_seconds is the chat's new timer: the notice itself stays.
  auto timer_now = messages.find(timer_id)->value();
  EXPECT_EQ(timer_now.state, MessageState::Read);
  EXPECT_FALSE(timer_now.expires_at.has_value());
  EXPECT_EQ(messages.find(later)->value().state, MessageState::Received);
  EXPECT_EQ(messages.find_by_uid_full(chat_, test::make_uid(3))->value().state,
            MessageState::Queued);
  EXPECT_EQ(*messages.unread_count(chat_), 1u);
  EXPECT_EQ(*messages.unread_count(other_chat_), 1u);

  auto again = messages.mark_incoming_read_up_to(chat_, later - 1, at(2000));
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(messages.find(first)->value().read_at, at(1000));
  auto rest = messages.mark_incoming_read_up_to(chat_, later, at(3000));
  ASSERT_TRUE(rest.has_value());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ(rest->front().uid, test::make_uid(7));
  EXPECT_EQ(rest->front().id, later);
  EXPECT_EQ(*messages.unread_count(chat_), 0u);
}

TEST_P(MessageRepositoryTest, MarkOutgoingReadStartsTheCountdownOnce) {
  MessageRepository messages(db());
  NewMessage timed = outgoing_message(chat_, 1, "timed");
  timed.timer_seconds = 10;
  const MessageId id = *messages.insert(timed);
  ASSERT_TRUE(*messages.advance_state(id, MessageState::Sent));
  auto read = messages.mark_outgoing_read(id, at(500));
  ASSERT_TRUE(read.has_value()) << read.error();
  EXPECT_TRUE(*read);
  auto stored = messages.find(id)->value();
  EXPECT_EQ(stored.state, MessageState::Read);
  EXPECT_EQ(stored.read_at, at(500));
  EXPECT_EQ(stored.expires_at, at(500 + 10'000));
  EXPECT_FALSE(*messages.mark_outgoing_read(id, at(900)));
  EXPECT_EQ(messages.find(id)->value().expires_at, at(500 + 10'000));
  const MessageId incoming = *messages.insert(text_message(chat_, 2, "theirs"));
  EXPECT_FALSE(*messages.mark_outgoing_read(incoming, at(900)));
  EXPECT_EQ(messages.find(incoming)->value().state, MessageState::Received);
  EXPECT_FALSE(*messages.mark_outgoing_read(incoming + 100, at(900)));
  // From Queued directly (the read receipt overtook the relay's OK).
  const MessageId queued = *messages.insert(outgoing_message(chat_, 3, "fast"));
  EXPECT_TRUE(*messages.mark_outgoing_read(queued, at(900)));
  EXPECT_FALSE(messages.find(queued)->value().expires_at.has_value());
}

TEST_P(MessageRepositoryTest, DeleteExpiredListedSaysWhatItDeleted) {
  MessageRepository messages(db());
  std::vector<MessageId> ids;
  for (std::uint8_t i = 0; i < 5; ++i) {
    const std::string body = "vanishing" + std::to_string(i);  // outlives the insert
    NewMessage timed = text_message(i % 2 == 0 ? chat_ : other_chat_, i, body);
    timed.timer_seconds = 10;
    ids.push_back(*messages.insert(timed));
  }
  // Deadlines: ids[3] first, then ids[1], ids[0], ids[4]; ids[2] is never read.
  ASSERT_TRUE(*messages.mark_read(ids[3], at(0)));
  ASSERT_TRUE(*messages.mark_read(ids[1], at(1)));
  ASSERT_TRUE(*messages.mark_read(ids[0], at(2)));
  ASSERT_TRUE(*messages.mark_read(ids[4], at(50'000)));
  auto first = messages.delete_expired_listed(at(20'000), 2);
  ASSERT_TRUE(first.has_value()) << first.error();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].id, ids[1]);
  EXPECT_EQ((*first)[0].chat, other_chat_);
  EXPECT_EQ((*first)[1].id, ids[3]);
  EXPECT_EQ((*first)[1].chat, other_chat_);
  auto second = messages.delete_expired_listed(at(20'000), 2);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].id, ids[0]);
  EXPECT_EQ((*second)[0].chat, chat_);
  EXPECT_TRUE(messages.delete_expired_listed(at(20'000), 2)->empty());
  EXPECT_TRUE(messages.delete_expired_listed(at(100'000), 0)->empty());
  EXPECT_FALSE(messages.find(ids[1])->has_value());
  EXPECT_TRUE(messages.find(ids[2])->has_value());
  EXPECT_TRUE(messages.find(ids[4])->has_value());
  EXPECT_TRUE(messages.search("vanishing1", std::nullopt, 10)->empty());
  EXPECT_EQ(messages.search("vanishing4", std::nullopt, 10)->size(), 1u);
}

// The chat list reads each chat's unread count from chats.unread, which triggers keep (schema
// version 5). Every write that adds, reads, moves or removes an incoming message, including
// refused ones and a chat's cascade, must leave it equal to a count of the messages.
TEST_P(MessageRepositoryTest, EveryWriteKeepsTheChatsUnreadCount) {
  MessageRepository messages(db());
  ChatRepository chats(db());
  std::uint32_t seed = 12345;
  const auto next = [&seed](std::uint32_t below) {
    seed = seed * 1'103'515'245u + 12'345u;
    return (seed >> 8) % below;
  };
  const auto check = [&](int step) {
    auto summaries = chats.summaries();
    ASSERT_TRUE(summaries.has_value()) << summaries.error();
    for (const auto& summary : *summaries) {
      auto counted = messages.unread_count(summary.chat.id);
      ASSERT_TRUE(counted.has_value());
      ASSERT_EQ(summary.unread, *counted) << "chat " << summary.chat.id << " after step " << step;
    }
  };
  std::vector<ChatId> live{chat_, other_chat_};
  std::vector<MessageId> ids;
  for (int step = 0; step < 600; ++step) {
    const ChatId chat = live[next(static_cast<std::uint32_t>(live.size()))];
    const auto uid = static_cast<std::uint8_t>(next(200));  // repeats are refused (UNIQUE)
    const MessageId some = ids.empty() ? 0 : ids[next(static_cast<std::uint32_t>(ids.size()))];
    switch (next(9)) {
      case 0:
      case 1:
      case 2: {
        auto id = messages.insert(text_message(chat, uid, "in", step));
        if (id) ids.push_back(*id);
        break;
      }
      case 3: {
        NewMessage read = text_message(chat, uid, "in, read", step);
        read.state = MessageState::Read;
        if (auto id = messages.insert(read)) ids.push_back(*id);
        if (auto id = messages.insert(outgoing_message(chat, uid, "out", step))) ids.push_back(*id);
        break;
      }
      case 4: (void)messages.mark_read(some, at(step)); break;
      case 5:
        if (!ids.empty()) (void)messages.mark_incoming_read_up_to(chat, some, at(step));
        break;
      case 6: (void)messages.remove(some); break;
      case 7:
        // Moved between chats (no write of the engine does this; the trigger covers it).
        EXILE_ASSERT_OK(db().exec("UPDATE messages SET chat_id = " + std::to_string(chat) +
                                  " WHERE id = " + std::to_string(some)));
        break;
      case 8:
        if (next(20) == 0 && live.size() > 1) {
          // A chat deleted: its messages go by the cascade; a new chat takes its place.
          EXILE_ASSERT_OK(db().exec("DELETE FROM chats WHERE id = " + std::to_string(chat)));
          std::erase(live, chat);
          auto created = chats.create("alice", "s" + std::to_string(100 + step), at());
          ASSERT_TRUE(created.has_value());
          live.push_back(*created);
        } else {
          (void)messages.delete_expired(at(step + 40'000));
        }
        break;
    }
    check(step);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(scalar_of(db(), "SELECT sum(unread) FROM chats"), 0);
}

EXILE_STORE_TEST_SUITE(MessageRepositoryTest);

}  // namespace
}  // namespace exile::store
