#include "store/repo_queues.h"

#include <gtest/gtest.h>

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

EXILE_STORE_TEST_SUITE(QueueRepositoryTest);

}  // namespace
}  // namespace exile::store
