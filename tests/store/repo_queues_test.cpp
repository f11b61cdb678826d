#include "store/repo_queues.h"

#include <gtest/gtest.h>

#include <optional>
#include <string_view>
#include <utility>

#include "store/repo_chats.h"
#include "store/repo_contacts.h"
#include "store/support/schema_fixture.h"

namespace exile::store {
namespace {

using test::at;

Bytes bytes_of(std::string_view text) {
  const ByteView view = as_bytes(text);
  return Bytes(view.begin(), view.end());
}

class QueueRepositoryTest : public test::StoreTest {
 protected:
  void SetUp() override {
    test::StoreTest::SetUp();
    chat_ = add_alice_chat();
    ASSERT_NE(chat_, 0);
  }
  ChatId chat_ = 0;
  const Bytes recv_ = bytes_of("recv-id-1");
  const Bytes send_ = bytes_of("send-id-1");
  const Bytes pub_ = Bytes(32, 0x11);
  const Bytes secret_ = Bytes(64, 0x22);
};

TEST_P(QueueRepositoryTest, AddFindRouteAndSecure) {
  QueueRepository queues(db());
  NewRelayQueue receive{.chat = chat_,
                        .role = QueueRole::Receive,
                        .relay_url = "wss://a.example",
                        .recv_id = recv_,
                        .send_id = send_,
                        .auth_public = pub_,
                        .auth_secret = secret_};
  auto id = queues.add(receive, at(1));
  ASSERT_TRUE(id.has_value()) << id.error();
  NewRelayQueue send{.chat = chat_,
                     .role = QueueRole::Send,
                     .relay_url = "wss://b.example",
                     .recv_id = {},
                     .send_id = send_,
                     .auth_public = pub_,
                     .auth_secret = secret_};
  auto send_id = queues.add(send, at(2));
  ASSERT_TRUE(send_id.has_value());
  const Bytes address_recv = bytes_of("address-recv");  // ByteView fields borrow: keep alive
  const Bytes address_send = bytes_of("address-send");
  NewRelayQueue address{.chat = std::nullopt,
                        .role = QueueRole::Address,
                        .relay_url = "wss://a.example",
                        .recv_id = address_recv,
                        .send_id = address_send,
                        .auth_public = pub_,
                        .auth_secret = secret_};
  ASSERT_TRUE(queues.add(address, at(3)).has_value());

  reopen();
  QueueRepository reopened(db());
  auto routed = reopened.find_by_recv_id("wss://a.example", recv_);
  ASSERT_TRUE(routed.has_value() && routed->has_value());
  const RelayQueue& queue = **routed;
  EXPECT_EQ(queue.id, *id);
  EXPECT_EQ(queue.chat, chat_);
  EXPECT_EQ(queue.role, QueueRole::Receive);
  EXPECT_EQ(queue.send_id, send_);
  EXPECT_EQ(queue.auth_public, pub_);
  EXPECT_TRUE(constant_time_equal(view(queue.auth_secret), secret_));
  EXPECT_FALSE(queue.secured);
  EXPECT_TRUE(queue.peer_auth_key.empty());
  EXPECT_EQ(queue.created_at, at(1));
  EXPECT_FALSE(reopened.find_by_recv_id("wss://b.example", recv_)->has_value());

  EXPECT_EQ(reopened.receiving_on("wss://a.example")->size(), 2u);
  EXPECT_TRUE(reopened.receiving_on("wss://b.example")->empty());
  EXPECT_EQ(reopened.for_chat(chat_)->size(), 2u);
  EXPECT_EQ(*reopened.relays(), (std::vector<std::string>{"wss://a.example", "wss://b.example"}));

  const Bytes peer(32, 0x33);
  EXILE_ASSERT_OK(reopened.mark_secured(*id, peer));
  auto secured = reopened.find(*id);
  ASSERT_TRUE(secured.has_value() && secured->has_value());
  EXPECT_TRUE((*secured)->secured);
  EXPECT_EQ((*secured)->peer_auth_key, peer);
  auto missing = reopened.mark_secured(*id + 100, peer);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

TEST_P(QueueRepositoryTest, RecvIdIsUniquePerRelayAndQueuesGoWithTheirChat) {
  QueueRepository queues(db());
  NewRelayQueue receive{.chat = chat_,
                        .role = QueueRole::Receive,
                        .relay_url = "wss://a.example",
                        .recv_id = recv_,
                        .send_id = send_,
                        .auth_public = pub_,
                        .auth_secret = secret_};
  ASSERT_TRUE(queues.add(receive, at()).has_value());
  auto duplicate = queues.add(receive, at());
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, ErrorCode::Constraint);
  receive.relay_url = "wss://other.example";
  ASSERT_TRUE(queues.add(receive, at()).has_value());
  ChatRepository chats(db());
  EXILE_ASSERT_OK(chats.remove(chat_));
  EXPECT_TRUE(queues.relays()->empty());
}

TEST_P(QueueRepositoryTest, RoutePendingSendQueueGetsItsRouteLater) {
  QueueRepository queues(db());
  // Alice's Send row made with her sender key before the peer's reply named the queue.
  auto pending = queues.add({.chat = chat_,
                             .role = QueueRole::Send,
                             .relay_url = "",
                             .recv_id = {},
                             .send_id = {},
                             .auth_public = pub_,
                             .auth_secret = secret_},
                            at(1));
  ASSERT_TRUE(pending.has_value()) << pending.error();
  auto stored = queues.find(*pending);
  ASSERT_TRUE(stored.has_value() && stored->has_value());
  EXPECT_TRUE((*stored)->send_id.empty());
  EXPECT_EQ((*stored)->relay_url, "");
  {
    auto null_send = db().prepare("SELECT send_id IS NULL FROM relay_queues WHERE id = ?1");
    ASSERT_TRUE(null_send.has_value());
    null_send->bind(1, *pending);
    ASSERT_TRUE(*null_send->step());
    EXPECT_EQ(null_send->column_int64(0), 1);
  }  // the statement goes before reopen() closes the connection

  EXILE_ASSERT_OK(queues.set_route(*pending, "wss://b.example", send_));
  reopen();
  QueueRepository reopened(db());
  auto routed = reopened.find(*pending);
  ASSERT_TRUE(routed.has_value() && routed->has_value());
  EXPECT_EQ((*routed)->relay_url, "wss://b.example");
  EXPECT_EQ((*routed)->send_id, send_);
  EXPECT_EQ((*routed)->auth_public, pub_);
  EXPECT_EQ((*routed)->role, QueueRole::Send);

  auto missing = reopened.set_route(*pending + 100, "wss://b.example", send_);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  for (const auto& [url, id] : {std::pair<std::string_view, ByteView>{"", ByteView(send_)},
                                std::pair<std::string_view, ByteView>{"wss://b.example", {}}}) {
    auto invalid = reopened.set_route(*pending, url, id);
    ASSERT_FALSE(invalid.has_value());
    EXPECT_EQ(invalid.error().code, ErrorCode::InvalidArgument);
  }
  EXPECT_EQ(reopened.find(*pending)->value().relay_url, "wss://b.example");

  // A pending row made with a guessed relay gets the one the reply names.
  auto guessed = reopened.add({.chat = chat_,
                               .role = QueueRole::Send,
                               .relay_url = "wss://guess.example",
                               .recv_id = {},
                               .send_id = {},
                               .auth_public = pub_,
                               .auth_secret = secret_},
                              at(3));
  ASSERT_TRUE(guessed.has_value()) << guessed.error();
  EXILE_ASSERT_OK(reopened.set_route(*guessed, "wss://c.example", recv_));
  EXPECT_EQ(reopened.find(*guessed)->value().relay_url, "wss://c.example");
  EXPECT_EQ(reopened.find(*guessed)->value().send_id, recv_);
}

TEST_P(QueueRepositoryTest, FindForChatAndAddressQueues) {
  QueueRepository queues(db());
  ChatRepository chats(db());
  auto other_chat = chats.create("alice", "s2", at());
  ASSERT_TRUE(other_chat.has_value());
  auto add = [&](std::optional<ChatId> chat, QueueRole role, std::string_view recv) {
    const Bytes recv_id = bytes_of(recv);
    auto id = queues.add({.chat = chat,
                          .role = role,
                          .relay_url = "wss://a.example",
                          .recv_id = role == QueueRole::Send ? ByteView() : ByteView(recv_id),
                          .send_id = send_,
                          .auth_public = pub_,
                          .auth_secret = secret_},
                         at());
    EXPECT_TRUE(id.has_value());
    return id.value_or(0);
  };
  const QueueRowId address1 = add(std::nullopt, QueueRole::Address, "address-1");
  const QueueRowId send = add(chat_, QueueRole::Send, "");
  const QueueRowId receive1 = add(chat_, QueueRole::Receive, "receive-1");
  const QueueRowId receive2 = add(chat_, QueueRole::Receive, "receive-2");
  const QueueRowId other_receive = add(*other_chat, QueueRole::Receive, "receive-3");
  const QueueRowId address2 = add(std::nullopt, QueueRole::Address, "address-2");
  (void)receive2;

  auto first_receive = queues.find_for_chat(chat_, QueueRole::Receive);
  ASSERT_TRUE(first_receive.has_value() && first_receive->has_value());
  EXPECT_EQ((*first_receive)->id, receive1);
  EXPECT_EQ((*first_receive)->recv_id, bytes_of("receive-1"));
  EXPECT_EQ(queues.find_for_chat(chat_, QueueRole::Send)->value().id, send);
  EXPECT_EQ(queues.find_for_chat(*other_chat, QueueRole::Receive)->value().id, other_receive);
  EXPECT_FALSE(queues.find_for_chat(*other_chat, QueueRole::Send)->has_value());
  EXPECT_FALSE(queues.find_for_chat(chat_, QueueRole::Address)->has_value());

  auto addresses = queues.address_queues();
  ASSERT_TRUE(addresses.has_value()) << addresses.error();
  ASSERT_EQ(addresses->size(), 2u);
  EXPECT_EQ((*addresses)[0].id, address1);
  EXPECT_EQ((*addresses)[1].id, address2);
  EXPECT_FALSE((*addresses)[0].chat.has_value());
  EXPECT_EQ((*addresses)[1].recv_id, bytes_of("address-2"));
}

EXILE_STORE_TEST_SUITE(QueueRepositoryTest);

}  // namespace
}  // namespace exile::store
