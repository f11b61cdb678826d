#include "store/repo_chats.h"

#include <gtest/gtest.h>

#include <array>

#include "store/repo_contacts.h"
#include "store/repo_messages.h"
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

TEST_P(ChatRepositoryTest, StatesAndPeerSenderKey) {
  ChatRepository chats(db());
  auto active = chats.create("alice", "s1", test::at(1));
  auto requested = chats.create("alice", "s2", ChatState::Requested, test::at(2));
  auto pending = chats.create("alice", "s3", ChatState::Pending, test::at(3));
  ASSERT_TRUE(active.has_value() && requested.has_value() && pending.has_value());

  auto all = chats.list();
  ASSERT_TRUE(all.has_value()) << all.error();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].state, ChatState::Active);
  EXPECT_EQ((*all)[1].state, ChatState::Requested);
  EXPECT_EQ((*all)[2].state, ChatState::Pending);
  EXPECT_FALSE((*all)[2].peer_sender_key.has_value());

  std::array<std::uint8_t, 32> key{};
  key.fill(0x5A);
  key[31] = 7;
  EXILE_ASSERT_OK(chats.set_peer_sender_key(*pending, ByteView(key)));
  reopen();
  ChatRepository reopened(db());
  auto found = reopened.find(*pending);
  ASSERT_TRUE(found.has_value() && found->has_value());
  ASSERT_TRUE((*found)->peer_sender_key.has_value());
  EXPECT_EQ(*(*found)->peer_sender_key, key);
  const Bytes short_key(31, 1);
  auto bad = reopened.set_peer_sender_key(*pending, ByteView(short_key));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
  auto missing_key = reopened.set_peer_sender_key(*pending + 100, ByteView(key));
  ASSERT_FALSE(missing_key.has_value());
  EXPECT_EQ(missing_key.error().code, ErrorCode::NotFound);
  EXILE_ASSERT_OK(reopened.set_peer_sender_key(*pending, std::nullopt));
  EXPECT_FALSE(reopened.find(*pending)->value().peer_sender_key.has_value());
  auto missing_clear = reopened.set_peer_sender_key(*pending + 100, std::nullopt);
  ASSERT_FALSE(missing_clear.has_value());
  EXPECT_EQ(missing_clear.error().code, ErrorCode::NotFound);

  auto pendings = reopened.with_state(ChatState::Pending);
  ASSERT_TRUE(pendings.has_value());
  ASSERT_EQ(pendings->size(), 1u);
  EXPECT_EQ(pendings->front().id, *pending);
  EXILE_ASSERT_OK(reopened.set_state(*pending, ChatState::Active));
  EXILE_ASSERT_OK(reopened.set_state(*requested, ChatState::Active));
  auto actives = reopened.with_state(ChatState::Active);
  ASSERT_TRUE(actives.has_value());
  ASSERT_EQ(actives->size(), 3u);
  EXPECT_EQ((*actives)[0].id, *active);
  EXPECT_EQ((*actives)[2].id, *pending);
  EXPECT_TRUE(reopened.with_state(ChatState::Pending)->empty());
  auto missing_state = reopened.set_state(*pending + 100, ChatState::Active);
  ASSERT_FALSE(missing_state.has_value());
  EXPECT_EQ(missing_state.error().code, ErrorCode::NotFound);
  auto invalid_state = reopened.set_state(*pending, static_cast<ChatState>(9));
  ASSERT_FALSE(invalid_state.has_value());
  EXPECT_EQ(invalid_state.error().code, ErrorCode::Constraint);
}

TEST_P(ChatRepositoryTest, SummariesNameTheContactLastMessageAndUnreadCount) {
  ContactRepository contacts(db());
  EXILE_ASSERT_OK(contacts.add("bob", "Bob", test::at()));
  EXILE_ASSERT_OK(
      db().exec("UPDATE contacts SET identity_key = zeroblob(32), verified = 1 WHERE id = 'bob'"));
  ChatRepository chats(db());
  MessageRepository messages(db());
  // a (alice): "first" incoming unread (received at 10), "last" outgoing (40), then "seen"
  // incoming read (9): inserted last, so a's last message although its time is earliest.
  // b (bob): one incoming message (20). c (alice) and d (bob): empty, created at 30 and 5.
  const ChatId a = *chats.create("alice", "sa", test::at(1));
  const ChatId b = *chats.create("bob", "sb", test::at(2));
  const ChatId c = *chats.create("alice", "sc", test::at(30));
  const ChatId d = *chats.create("bob", "sd", test::at(5));
  ASSERT_TRUE(messages.insert(test::text_message(a, 1, "first", 10)).has_value());
  ASSERT_TRUE(messages.insert(test::text_message(b, 2, "bob's", 20)).has_value());
  NewMessage outgoing = test::text_message(a, 3, "last", 40);
  outgoing.direction = Direction::Outgoing;
  outgoing.state = MessageState::Queued;
  ASSERT_TRUE(messages.insert(outgoing).has_value());
  NewMessage read = test::text_message(a, 4, "seen", 9);
  read.state = MessageState::Read;
  ASSERT_TRUE(messages.insert(read).has_value());

  auto summaries = chats.summaries();
  ASSERT_TRUE(summaries.has_value()) << summaries.error();
  ASSERT_EQ(summaries->size(), 4u);
  // With messages: a, b (last ids 4, 2). Empty: c, d (created 30, 5). c was created after a's
  // last message was received (9): before a. d was created before b's (20): after b.
  EXPECT_EQ((*summaries)[0].chat.id, c);
  EXPECT_EQ((*summaries)[1].chat.id, a);
  EXPECT_EQ((*summaries)[2].chat.id, b);
  EXPECT_EQ((*summaries)[3].chat.id, d);

  const ChatSummaryRow& empty = (*summaries)[0];
  EXPECT_EQ(empty.contact_name, "Alice");
  EXPECT_FALSE(empty.verified);
  EXPECT_FALSE(empty.last_message.has_value());
  EXPECT_EQ(empty.unread, 0u);
  const ChatSummaryRow& alice = (*summaries)[1];
  ASSERT_TRUE(alice.last_message.has_value());
  EXPECT_EQ(alice.last_message->body, "seen");
  EXPECT_EQ(alice.unread, 1u);  // "first": not the outgoing one, not the read one
  const ChatSummaryRow& bob = (*summaries)[2];
  EXPECT_EQ(bob.contact_name, "Bob");
  EXPECT_TRUE(bob.verified);
  ASSERT_TRUE(bob.last_message.has_value());
  EXPECT_EQ(bob.last_message->body, "bob's");
  EXPECT_EQ(bob.unread, 1u);
  EXPECT_EQ((*summaries)[3].chat.state, ChatState::Active);

  // A new message moves its chat to the top of those with messages.
  ASSERT_TRUE(messages.insert(test::text_message(b, 5, "again", 50)).has_value());
  auto after = chats.summaries();
  ASSERT_TRUE(after.has_value());
  ASSERT_EQ(after->size(), 4u);
  EXPECT_EQ((*after)[0].chat.id, b);
  EXPECT_EQ((*after)[0].unread, 2u);
  EXPECT_EQ((*after)[1].chat.id, c);
  EXPECT_EQ((*after)[2].chat.id, a);
  EXPECT_EQ((*after)[3].chat.id, d);
}

EXILE_STORE_TEST_SUITE(ChatRepositoryTest);

}  // namespace
}  // namespace exile::store
