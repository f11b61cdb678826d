// The atomic operations: both parts or neither. Failures are injected with constraint
// violations raised by the second part, after the first part has been written.
#include "store/atomic_ops.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "common/rng.h"
#include "store/repo_chats.h"
#include "store/repo_contacts.h"
#include "store/repo_identity.h"
#include "store/repo_outbox.h"
#include "store/repo_queues.h"
#include "store/repo_sessions.h"
#include "store/support/schema_fixture.h"

namespace exile::store {
namespace {

using test::at;
using test::make_session;
using test::state_of;
using test::text_message;

class AtomicOpsTest : public test::StoreTest {
 protected:
  void SetUp() override {
    test::StoreTest::SetUp();
    chat_ = add_alice_chat();
    ASSERT_NE(chat_, 0);
    DeterministicRng rng(11);
    SqlitePreKeyStore prekeys(db());
    for (const auto& opk : crypto::generate_one_time_prekeys(100, 2, rng)) {
      EXILE_ASSERT_OK(prekeys.store_one_time_prekey(opk));
    }
  }

  std::optional<Bytes> stored_state(const crypto::SessionId& id) {
    SqliteSessionStore sessions(db());
    auto loaded = sessions.load_session(id);
    EXPECT_TRUE(loaded.has_value());
    if (!loaded || !*loaded) return std::nullopt;
    return state_of(**loaded);
  }

  std::size_t message_count() {
    MessageRepository messages(db());
    auto latest = messages.latest(chat_, 1000);
    EXPECT_TRUE(latest.has_value());
    return latest ? latest->size() : 0;
  }

  bool has_opk(crypto::PreKeyId id) {
    SqlitePreKeyStore prekeys(db());
    auto key = prekeys.load_one_time_prekey(id);
    EXPECT_TRUE(key.has_value());
    return key && key->has_value();
  }

  ChatId chat_ = 0;
};

TEST_P(AtomicOpsTest, StoresSessionAndMessageTogether) {
  const crypto::Session advanced = make_session(1, 1);
  auto id = store_decrypted_message(db(), "s1", advanced, text_message(chat_, 1, "hello"));
  ASSERT_TRUE(id.has_value()) << id.error();
  reopen();
  EXPECT_EQ(stored_state("s1"), state_of(advanced));
  MessageRepository messages(db());
  auto stored = messages.find(*id);
  ASSERT_TRUE(stored.has_value() && stored->has_value());
  EXPECT_EQ((*stored)->body, "hello");
}

TEST_P(AtomicOpsTest, FailedMessageInsertRollsBackTheSessionAdvance) {
  const crypto::Session before = make_session(1, 1);
  ASSERT_TRUE(store_decrypted_message(db(), "s1", before, text_message(chat_, 1, "one")));
  // The same uid again: the session is written first, then the insert violates UNIQUE.
  const crypto::Session advanced = make_session(1, 2);
  auto result = store_decrypted_message(db(), "s1", advanced, text_message(chat_, 1, "two"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::Constraint);
  EXPECT_EQ(stored_state("s1"), state_of(before));
  EXPECT_EQ(message_count(), 1u);
  // A message for a chat that does not exist (foreign key): no session is created either.
  auto orphan =
      store_decrypted_message(db(), "s9", make_session(9), text_message(chat_ + 100, 5, "x"));
  ASSERT_FALSE(orphan.has_value());
  EXPECT_EQ(orphan.error().code, ErrorCode::Constraint);
  EXPECT_FALSE(stored_state("s9").has_value());
  // The connection is usable afterwards, outside any transaction.
  ASSERT_TRUE(store_decrypted_message(db(), "s1", advanced, text_message(chat_, 2, "two")));
  EXPECT_EQ(stored_state("s1"), state_of(advanced));
}

TEST_P(AtomicOpsTest, TakeOneTimePreKeyDeletesItAndRecordsItsUse) {
  SqlitePreKeyStore prekeys(db());
  auto expected = prekeys.load_one_time_prekey(100);
  ASSERT_TRUE(expected.has_value() && expected->has_value());
  auto taken = take_one_time_prekey(db(), 100, "s1", at(5));
  ASSERT_TRUE(taken.has_value() && taken->has_value()) << taken.error();
  EXPECT_TRUE((*taken)->key.secret().equals((*expected)->key.secret()));
  EXPECT_FALSE(has_opk(100));
  EXPECT_TRUE(has_opk(101));
  auto statement =
      db().prepare("SELECT session_id, used_at FROM one_time_prekey_uses WHERE prekey_id = 100");
  ASSERT_TRUE(statement.has_value());
  ASSERT_TRUE(*statement->step());
  EXPECT_EQ(statement->column_text(0), "s1");
  EXPECT_EQ(statement->column_int64(1), test::kNowMillis + 5);
  auto again = take_one_time_prekey(db(), 100, "s2", at(6));
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->has_value());
}

TEST_P(AtomicOpsTest, FailedUseRecordKeepsTheOneTimePreKey) {
  // A use already recorded for id 101: the delete succeeds, then the record violates the key.
  EXILE_ASSERT_OK(db().exec(
      "INSERT INTO one_time_prekey_uses(prekey_id, session_id, used_at) VALUES (101, 'old', 1)"));
  auto taken = take_one_time_prekey(db(), 101, "s1", at());
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().code, ErrorCode::Constraint);
  EXPECT_TRUE(has_opk(101));
}

TEST_P(AtomicOpsTest, AcceptedSessionConsumesItsPreKeyOnlyWithTheMessage) {
  const crypto::Session session = make_session(2);
  ASSERT_TRUE(store_decrypted_message(db(), "s1", make_session(1), text_message(chat_, 1, "x")));
  // First message whose insert fails: neither the session nor the OPK consumption stays.
  auto failed =
      store_accepted_session(db(), "s2", session, text_message(chat_, 1, "dup"), 100, at());
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::Constraint);
  EXPECT_TRUE(has_opk(100));
  EXPECT_FALSE(stored_state("s2").has_value());

  auto accepted =
      store_accepted_session(db(), "s2", session, text_message(chat_, 2, "first"), 100, at());
  ASSERT_TRUE(accepted.has_value()) << accepted.error();
  EXPECT_FALSE(has_opk(100));
  EXPECT_EQ(stored_state("s2"), state_of(session));

  // A replay naming the used OPK: refused, nothing stored.
  auto replay = store_accepted_session(db(), "s3", make_session(3),
                                       text_message(chat_, 3, "replay"), 100, at());
  ASSERT_FALSE(replay.has_value());
  EXPECT_EQ(replay.error().code, ErrorCode::UnknownPreKey);
  EXPECT_FALSE(stored_state("s3").has_value());
  EXPECT_EQ(message_count(), 2u);
}

class StoreOutgoingTest : public AtomicOpsTest {
 protected:
  void SetUp() override {
    AtomicOpsTest::SetUp();
    QueueRepository queues(db());
    const Bytes send_id(8, 0x01);
    auto queue = queues.add({.chat = chat_,
                             .role = QueueRole::Send,
                             .relay_url = "wss://relay.example",
                             .recv_id = {},
                             .send_id = send_id,
                             .auth_public = {},
                             .auth_secret = {}},
                            at());
    ASSERT_TRUE(queue.has_value()) << queue.error();
    queue_ = *queue;
  }

  static ClientMessageId client_id(std::uint8_t n) {
    ClientMessageId id{};
    id.fill(n);
    return id;
  }

  NewMessage outgoing(std::uint8_t uid, std::string_view body) {
    NewMessage message = text_message(chat_, uid, body);
    message.direction = Direction::Outgoing;
    message.state = MessageState::Queued;
    return message;
  }

  std::int64_t count(std::string_view table) {
    auto statement = db().prepare("SELECT count(*) FROM " + std::string(table));
    EXPECT_TRUE(statement.has_value());
    if (!statement) return -1;
    EXPECT_TRUE(*statement->step());
    return statement->column_int64(0);
  }

  QueueRowId queue_ = 0;
  const Bytes envelope_ = Bytes(40, 0xE0);
};

TEST_P(StoreOutgoingTest, StoresSessionMessageAndOutboxTogether) {
  const crypto::Session advanced = make_session(1, 1);
  OutgoingContent content{.message = outgoing(1, "on its way"),
                          .queue = queue_,
                          .client_msg_id = client_id(1),
                          .envelope = envelope_};
  auto stored = store_outgoing(db(), "s1", advanced, content, at(7));
  ASSERT_TRUE(stored.has_value()) << stored.error();
  ASSERT_TRUE(stored->message.has_value());
  reopen();
  EXPECT_EQ(stored_state("s1"), state_of(advanced));
  MessageRepository messages(db());
  auto message = messages.find(*stored->message);
  ASSERT_TRUE(message.has_value() && message->has_value());
  EXPECT_EQ((*message)->body, "on its way");
  EXPECT_EQ((*message)->state, MessageState::Queued);
  OutboxRepository outbox(db());
  auto item = outbox.find(stored->outbox);
  ASSERT_TRUE(item.has_value() && item->has_value());
  EXPECT_EQ((*item)->message, stored->message);
  EXPECT_EQ((*item)->queue, queue_);
  EXPECT_EQ((*item)->client_msg_id, client_id(1));
  EXPECT_EQ((*item)->envelope, envelope_);
  EXPECT_EQ((*item)->next_attempt_at, at(7));
  EXPECT_EQ((*item)->attempts, 0u);

  // Content without a message row (a receipt): session and outbox only.
  const crypto::Session further = make_session(1, 2);
  OutgoingContent receipt{.message = std::nullopt,
                          .queue = queue_,
                          .client_msg_id = client_id(2),
                          .envelope = envelope_};
  auto receipt_stored = store_outgoing(db(), "s1", further, receipt, at(8));
  ASSERT_TRUE(receipt_stored.has_value()) << receipt_stored.error();
  EXPECT_FALSE(receipt_stored->message.has_value());
  EXPECT_EQ(stored_state("s1"), state_of(further));
  EXPECT_FALSE(outbox.find(receipt_stored->outbox)->value().message.has_value());
  EXPECT_EQ(message_count(), 1u);
  EXPECT_EQ(*outbox.size(), 2u);
}

TEST_P(StoreOutgoingTest, AnyFailureStoresNothing) {
  const crypto::Session before = make_session(1, 1);
  OutgoingContent first{.message = outgoing(1, "first"),
                        .queue = queue_,
                        .client_msg_id = client_id(1),
                        .envelope = envelope_};
  ASSERT_TRUE(store_outgoing(db(), "s1", before, first, at()).has_value());
  const crypto::Session advanced = make_session(1, 2);

  auto expect_nothing_stored = [&](const OutgoingContent& content, ErrorCode code,
                                   const crypto::SessionId& session, const char* what) {
    SCOPED_TRACE(what);
    auto result = store_outgoing(db(), session, advanced, content, at(1));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, code);
    EXPECT_EQ(stored_state("s1"), state_of(before));
    EXPECT_FALSE(stored_state("s9").has_value());
    EXPECT_EQ(count("sessions"), 1);
    EXPECT_EQ(count("messages"), 1);
    EXPECT_EQ(count("outbox"), 1);
  };
  // The message's chat does not exist (the session was written first).
  OutgoingContent no_chat = first;
  no_chat.message->chat = chat_ + 100;
  no_chat.message->uid = test::make_uid(2);
  no_chat.client_msg_id = client_id(2);
  expect_nothing_stored(no_chat, ErrorCode::Constraint, "s1", "unknown chat");
  expect_nothing_stored(no_chat, ErrorCode::Constraint, "s9", "unknown chat, new session");
  // The queue does not exist: session and message were written, then the outbox insert fails.
  OutgoingContent no_queue = first;
  no_queue.message->uid = test::make_uid(2);
  no_queue.client_msg_id = client_id(2);
  no_queue.queue = queue_ + 100;
  expect_nothing_stored(no_queue, ErrorCode::Constraint, "s1", "unknown queue");
  // The client message id is taken.
  OutgoingContent taken = first;
  taken.message->uid = test::make_uid(2);
  expect_nothing_stored(taken, ErrorCode::Constraint, "s1", "client message id taken");
  OutgoingContent taken_receipt = taken;
  taken_receipt.message.reset();
  expect_nothing_stored(taken_receipt, ErrorCode::Constraint, "s1", "receipt, id taken");
  // The message's uid is taken in its chat.
  OutgoingContent same_uid = first;
  same_uid.client_msg_id = client_id(2);
  expect_nothing_stored(same_uid, ErrorCode::Constraint, "s1", "uid taken");
  // A message insert() refuses.
  OutgoingContent invalid = no_queue;
  invalid.queue = queue_;
  invalid.message->direction = Direction::Incoming;
  expect_nothing_stored(invalid, ErrorCode::InvalidArgument, "s1", "invalid message");

  // The connection is usable afterwards, outside any transaction.
  OutgoingContent good = no_queue;
  good.queue = queue_;
  auto stored = store_outgoing(db(), "s1", advanced, good, at(2));
  ASSERT_TRUE(stored.has_value()) << stored.error();
  EXPECT_EQ(stored_state("s1"), state_of(advanced));
  EXPECT_EQ(count("outbox"), 2);
}

EXILE_STORE_TEST_SUITE(AtomicOpsTest);
EXILE_STORE_TEST_SUITE(StoreOutgoingTest);

}  // namespace
}  // namespace exile::store
