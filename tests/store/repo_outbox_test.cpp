#include "store/repo_outbox.h"

#include <gtest/gtest.h>

#include "store/repo_contacts.h"
#include "store/support/schema_fixture.h"

namespace exile::store {
namespace {

using test::at;

ClientMessageId client_id(std::uint8_t n) {
  ClientMessageId id{};
  id.fill(n);
  return id;
}

class OutboxRepositoryTest : public test::StoreTest {
 protected:
  void SetUp() override {
    test::StoreTest::SetUp();
    chat_ = add_alice_chat();
    ASSERT_NE(chat_, 0);
    const Bytes send_id(8, 0x01);
    QueueRepository queues(db());
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
  ChatId chat_ = 0;
  QueueRowId queue_ = 0;
};

TEST_P(OutboxRepositoryTest, DueOrderRetriesAndRemoval) {
  OutboxRepository outbox(db());
  const Bytes envelope1(100, 0xE1);
  const Bytes envelope2(50, 0xE2);
  auto first = outbox.enqueue(queue_, std::nullopt, client_id(1), envelope1, at(10));
  auto second = outbox.enqueue(queue_, std::nullopt, client_id(2), envelope2, at(20));
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(*outbox.size(), 2u);
  EXPECT_EQ(*outbox.next_attempt_time(), at(10));
  EXPECT_TRUE(outbox.due(at(5), 10)->empty());

  reopen();
  OutboxRepository reopened(db());
  auto due = reopened.due(at(20), 10);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].id, *first);
  EXPECT_EQ((*due)[0].envelope, envelope1);
  EXPECT_EQ((*due)[0].client_msg_id, client_id(1));
  EXPECT_EQ((*due)[0].attempts, 0u);
  EXPECT_EQ((*due)[0].queue, queue_);

  EXILE_ASSERT_OK(reopened.record_failure(*first, at(1000)));
  EXILE_ASSERT_OK(reopened.record_failure(*first, at(3000)));
  // The second item waits behind the first: a queue goes out in order.
  auto after = reopened.due(at(2000), 10);
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(after->empty());
  auto later = reopened.due(at(3000), 1);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ(later->front().id, *first);
  EXILE_ASSERT_OK(reopened.remove(*second));
  auto retried = reopened.due(at(3000), 10);
  ASSERT_EQ(retried->size(), 1u);
  EXPECT_EQ(retried->front().attempts, 2u);
  EXPECT_EQ(retried->front().next_attempt_at, at(3000));
  auto missing = reopened.record_failure(*second, at(1));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

TEST_P(OutboxRepositoryTest, AQueueGoesOutInOrderAcrossFailuresAndOtherQueuesDoNotWait) {
  QueueRepository queues(db());
  auto other_queue = queues.add({.chat = std::nullopt,
                                 .role = QueueRole::Send,
                                 .relay_url = "wss://b.example",
                                 .recv_id = {},
                                 .send_id = Bytes(8, 0x02),
                                 .auth_public = {},
                                 .auth_secret = {}},
                                at());
  ASSERT_TRUE(other_queue.has_value()) << other_queue.error();
  OutboxRepository outbox(db());
  const Bytes envelope(30, 0x5A);
  auto a1 = outbox.enqueue(queue_, std::nullopt, client_id(1), envelope, at(0));
  auto a2 = outbox.enqueue(queue_, std::nullopt, client_id(2), envelope, at(1));
  auto a3 = outbox.enqueue(queue_, std::nullopt, client_id(3), envelope, at(2));
  auto b1 = outbox.enqueue(*other_queue, std::nullopt, client_id(4), envelope, at(3));
  ASSERT_TRUE(a1 && a2 && a3 && b1);
  // a2 fails and waits until 500; a3 behind it waits too, a1 ahead of it does not.
  EXILE_ASSERT_OK(outbox.record_failure(*a2, at(500)));
  // A new item of the queue written while it waits goes after them, however early it is.
  auto a4 = outbox.enqueue(queue_, std::nullopt, client_id(5), envelope, at(10));
  ASSERT_TRUE(a4.has_value());
  EXPECT_EQ(outbox.find(*a4)->value().next_attempt_at, at(500));
  auto due = outbox.due(at(100), 10);
  ASSERT_TRUE(due.has_value()) << due.error();
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].id, *a1);
  EXPECT_EQ((*due)[1].id, *b1);
  // a3 failing with a shorter backoff does not let it overtake a2.
  EXILE_ASSERT_OK(outbox.record_failure(*a3, at(200)));
  EXPECT_EQ(outbox.find(*a3)->value().next_attempt_at, at(500));
  due = outbox.due(at(500), 10);
  ASSERT_TRUE(due.has_value());
  std::vector<OutboxId> order;
  for (const auto& item : *due) {
    if (item.queue == queue_) order.push_back(item.id);
  }
  EXPECT_EQ(order, (std::vector<OutboxId>{*a1, *a2, *a3, *a4}));
}

TEST_P(OutboxRepositoryTest, ClientMessageIdIsUniqueAndMessageDeletionKeepsTheEnvelope) {
  OutboxRepository outbox(db());
  MessageRepository messages(db());
  NewMessage message = test::text_message(chat_, 1, "outgoing");
  message.direction = Direction::Outgoing;
  auto message_id = messages.insert(message);
  ASSERT_TRUE(message_id.has_value());
  const Bytes envelope(10, 0xAB);
  ASSERT_TRUE(outbox.enqueue(queue_, *message_id, client_id(7), envelope, at()).has_value());
  auto duplicate = outbox.enqueue(queue_, std::nullopt, client_id(7), envelope, at());
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, ErrorCode::Constraint);
  EXPECT_EQ(outbox.due(at(), 10)->front().message, message_id.value());
  ASSERT_TRUE(*messages.remove(*message_id));
  auto due = outbox.due(at(), 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_FALSE(due->front().message.has_value());
}

TEST_P(OutboxRepositoryTest, RoutePendingItemsWaitForTheirRoute) {
  QueueRepository queues(db());
  auto pending = queues.add({.chat = chat_,
                             .role = QueueRole::Send,
                             .relay_url = "",
                             .recv_id = {},
                             .send_id = {},
                             .auth_public = {},
                             .auth_secret = {}},
                            at());
  ASSERT_TRUE(pending.has_value()) << pending.error();
  OutboxRepository outbox(db());
  const Bytes envelope(20, 0x0E);
  auto waiting = outbox.enqueue(*pending, std::nullopt, client_id(1), envelope, at(0));
  ASSERT_TRUE(waiting.has_value());
  auto routed = outbox.enqueue(queue_, std::nullopt, client_id(2), envelope, at(10));
  ASSERT_TRUE(routed.has_value());

  auto due = outbox.due(at(100), 10);
  ASSERT_TRUE(due.has_value()) << due.error();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().id, *routed);
  EXPECT_EQ(outbox.next_attempt_time()->value(), at(10));
  EXPECT_EQ(*outbox.size(), 2u);
  ASSERT_TRUE(outbox.remove(*routed).has_value());
  EXPECT_FALSE(outbox.next_attempt_time()->has_value());
  EXPECT_TRUE(outbox.due(at(100), 10)->empty());

  EXILE_ASSERT_OK(queues.set_route(*pending, "wss://b.example", Bytes(8, 0x02)));
  due = outbox.due(at(100), 10);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().id, *waiting);
  EXPECT_EQ(due->front().queue, *pending);
  EXPECT_EQ(outbox.next_attempt_time()->value(), at(0));
}

TEST_P(OutboxRepositoryTest, FindAndForMessage) {
  OutboxRepository outbox(db());
  MessageRepository messages(db());
  NewMessage message = test::text_message(chat_, 1, "outgoing");
  message.direction = Direction::Outgoing;
  message.state = MessageState::Queued;
  auto message_id = messages.insert(message);
  ASSERT_TRUE(message_id.has_value());
  const Bytes envelope1(10, 0xA1);
  const Bytes envelope2(11, 0xA2);
  auto first = outbox.enqueue(queue_, *message_id, client_id(1), envelope1, at(5));
  auto receipt = outbox.enqueue(queue_, std::nullopt, client_id(2), envelope2, at(6));
  auto second = outbox.enqueue(queue_, *message_id, client_id(3), envelope2, at(7));
  ASSERT_TRUE(first.has_value() && receipt.has_value() && second.has_value());
  ASSERT_TRUE(outbox.record_failure(*first, at(1000)).has_value());

  auto found = outbox.find(*first);
  ASSERT_TRUE(found.has_value() && found->has_value()) << found.error();
  EXPECT_EQ((*found)->queue, queue_);
  EXPECT_EQ((*found)->message, *message_id);
  EXPECT_EQ((*found)->client_msg_id, client_id(1));
  EXPECT_EQ((*found)->envelope, envelope1);
  EXPECT_EQ((*found)->attempts, 1u);
  EXPECT_EQ((*found)->next_attempt_at, at(1000));
  EXPECT_EQ((*found)->created_at, at(5));
  EXPECT_FALSE(outbox.find(*second + 100)->has_value());
  EXPECT_FALSE(outbox.find(*receipt)->value().message.has_value());

  auto carrying = outbox.for_message(*message_id);
  ASSERT_TRUE(carrying.has_value()) << carrying.error();
  ASSERT_EQ(carrying->size(), 2u);
  EXPECT_EQ((*carrying)[0].id, *first);
  EXPECT_EQ((*carrying)[1].id, *second);
  EXPECT_TRUE(outbox.for_message(*message_id + 100)->empty());
}

EXILE_STORE_TEST_SUITE(OutboxRepositoryTest);

}  // namespace
}  // namespace exile::store
