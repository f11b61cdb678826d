// connect_relay() (src/engine/relay_transport.h): the real transport against a real exile-relay
// child process (tests/support/relay_process.h). Each call and each Listener event must reach
// the relay and come back unchanged; the relay's and the connection's own behaviour is tested
// in tests/relay_client.
//
// Every wait is bounded: kWait for answers.
#include "engine/relay_transport.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "crypto/contact_bundle.h"
#include "support/qt_relay_test.h"
#include "support/relay_keys.h"
#include "support/relay_process.h"

namespace exile::engine {
namespace {

namespace wire = relay::wire;
using test::new_key_pair;

constexpr int kWait = 15000;  // ms: the longest any single step may take

template <class T, class Call>
Result<T> await(Call&& call) {
  // Not an error the transport gives for anything these tests do.
  return test::await_answer<T>(std::forward<Call>(call), kWait,
                               Error(ErrorCode::RelayConnectFailed));
}

ClientMessageId new_message_id() {
  ClientMessageId id{};
  randombytes_buf(id.data(), id.size());
  return id;
}

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

std::vector<QueueSubscription> one_queue(const wire::QueueId& recv_id,
                                         const wire::KeyPair& recipient) {
  std::vector<QueueSubscription> queues;
  queues.push_back(QueueSubscription{recv_id, recipient.clone()});
  return queues;
}

struct Received {
  wire::QueueId recv_id{};
  std::uint64_t msg_id = 0;
  UnixMillis timestamp{};
  Bytes body;
};

// Records every Listener call.
struct Recorder final : RelayTransport::Listener {
  void relay_connected() override { ++connects; }
  void relay_disconnected() override { ++disconnects; }
  void relay_message(const wire::QueueId& recv_id, std::uint64_t msg_id, UnixMillis timestamp,
                     Bytes body) override {
    messages.push_back({recv_id, msg_id, timestamp, std::move(body)});
  }
  void relay_subscription_ended(const wire::QueueId& recv_id) override { ended.push_back(recv_id); }

  [[nodiscard]] std::size_t count(const Bytes& body) const {
    return static_cast<std::size_t>(
        std::ranges::count_if(messages, [&](const Received& m) { return m.body == body; }));
  }
  bool wait_for(const Bytes& body) {
    return QTest::qWaitFor([&] { return count(body) >= 1; }, kWait);
  }

  std::vector<Received> messages;
  std::vector<wire::QueueId> ended;
  int connects = 0;
  int disconnects = 0;
};

class RelayTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.isValid());
    test::RelayProcess::Options options;
    options.data_dir = std::filesystem::path(dir_.path().toStdString()) / "relay";
    relay_ = std::make_unique<test::RelayProcess>(std::move(options));
    ASSERT_TRUE(relay_->start()) << relay_->error();
  }

  // A started transport, connected, reporting to `listener`.
  std::unique_ptr<RelayTransport> open(Recorder& listener) {
    auto made = connect_relay(relay_->url());
    EXPECT_TRUE(made.has_value());
    if (!made) return nullptr;
    auto transport = std::move(*made);
    transport->start(listener);
    EXPECT_TRUE(QTest::qWaitFor([&] { return transport->connected(); }, kWait));
    EXPECT_EQ(listener.connects, 1);
    return transport;
  }

  QTemporaryDir dir_;
  std::unique_ptr<test::RelayProcess> relay_;
};

TEST_F(RelayTransportTest, QueueSubscribeSendReceiveAck) {
  Recorder alice_events;
  Recorder bob_events;
  auto alice = open(alice_events);
  auto bob = open(bob_events);
  ASSERT_TRUE(alice && bob);
  const auto recipient = new_key_pair();
  const auto sender = new_key_pair();

  auto ids = await<QueueIds>([&](auto done) { alice->create_queue(recipient, false, done); });
  ASSERT_TRUE(ids.has_value()) << ids.error();
  ASSERT_TRUE(await<void>([&](auto done) {
                alice->secure_queue(ids->recv_id, recipient, sender.public_key, done);
              }).has_value());
  ASSERT_TRUE(await<void>([&](auto done) {
                alice->subscribe(one_queue(ids->recv_id, recipient), done);
              }).has_value());

  // Secured: the sender's key pair must reach the relay with the SEND.
  const Bytes body = bytes_of("ciphertext");
  const ClientMessageId msg_id = new_message_id();
  auto unsigned_send = await<SendReceipt>(
      [&](auto done) { bob->send(ids->send_id, new_message_id(), body, nullptr, done); });
  ASSERT_FALSE(unsigned_send.has_value());
  EXPECT_EQ(unsigned_send.error().code, ErrorCode::RelayAuth);
  auto sent =
      await<SendReceipt>([&](auto done) { bob->send(ids->send_id, msg_id, body, &sender, done); });
  ASSERT_TRUE(sent.has_value()) << sent.error();
  EXPECT_FALSE(sent->duplicate);
  auto again =
      await<SendReceipt>([&](auto done) { bob->send(ids->send_id, msg_id, body, &sender, done); });
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->duplicate);

  ASSERT_TRUE(alice_events.wait_for(body));
  ASSERT_EQ(alice_events.messages.size(), 1u);
  const Received got = alice_events.messages.front();
  EXPECT_EQ(got.recv_id, ids->recv_id);
  EXPECT_GE(got.msg_id, 1u);
  EXPECT_GT(to_millis(got.timestamp), 1'600'000'000'000);
  EXPECT_TRUE(bob_events.messages.empty());

  ASSERT_TRUE(
      await<void>([&](auto done) { alice->ack(ids->recv_id, got.msg_id, done); }).has_value());

  // Acked: a new transport subscribing the queue gets only what came after.
  alice.reset();
  Recorder later_events;
  auto later = open(later_events);
  ASSERT_TRUE(later);
  ASSERT_TRUE(await<void>([&](auto done) {
                later->subscribe(one_queue(ids->recv_id, recipient), done);
              }).has_value());
  const Bytes marker = bytes_of("marker");
  ASSERT_TRUE(await<SendReceipt>([&](auto done) {
                bob->send(ids->send_id, new_message_id(), marker, &sender, done);
              }).has_value());
  ASSERT_TRUE(later_events.wait_for(marker));
  EXPECT_EQ(later_events.count(body), 0u);

  // Deleted: the queue is gone for the sender (AUTH: the relay does not say whether an id
  // exists, docs/relay-protocol.md §3).
  ASSERT_TRUE(await<void>([&](auto done) {
                later->delete_queue(ids->recv_id, recipient, done);
              }).has_value());
  auto after_delete = await<SendReceipt>(
      [&](auto done) { bob->send(ids->send_id, new_message_id(), marker, &sender, done); });
  ASSERT_FALSE(after_delete.has_value());
  EXPECT_EQ(after_delete.error().code, ErrorCode::RelayAuth);
}

TEST_F(RelayTransportTest, ANewSubscriberEndsTheOldOne) {
  Recorder first_events;
  Recorder second_events;
  auto first = open(first_events);
  auto second = open(second_events);
  ASSERT_TRUE(first && second);
  const auto recipient = new_key_pair();
  auto ids = await<QueueIds>([&](auto done) { first->create_queue(recipient, false, done); });
  ASSERT_TRUE(ids.has_value());
  ASSERT_TRUE(await<void>([&](auto done) {
                first->subscribe(one_queue(ids->recv_id, recipient), done);
              }).has_value());
  ASSERT_TRUE(await<void>([&](auto done) {
                second->subscribe(one_queue(ids->recv_id, recipient), done);
              }).has_value());
  ASSERT_TRUE(QTest::qWaitFor([&] { return !first_events.ended.empty(); }, kWait));
  EXPECT_EQ(first_events.ended, std::vector<wire::QueueId>{ids->recv_id});
  EXPECT_TRUE(second_events.ended.empty());
}

// The contact address as the engine will use it: the sealed bundle and the encoded one-time
// keys of docs/protocol.md §3.6, through the relay and back.
TEST_F(RelayTransportTest, PutAndGetTheSealedBundleAndOneTimeKeys) {
  Recorder owner_events;
  Recorder stranger_events;
  auto owner = open(owner_events);
  auto stranger = open(stranger_events);
  ASSERT_TRUE(owner && stranger);

  DeterministicRng rng(0x7e57);
  const auto identity = crypto::IdentityKeyPair::generate(rng);
  const auto spk = crypto::generate_signed_prekey(identity, 1, from_millis(0), rng);
  const auto opks = crypto::generate_one_time_prekeys(10, 2, rng);
  SecureBuffer<crypto::kBundleKeyBytes> bundle_key;
  rng.fill(MutableByteView(bundle_key.data(), bundle_key.size()));
  auto sealed = crypto::seal_contact_bundle(crypto::PreKeyBundle::make(identity, spk, nullptr),
                                            bundle_key, rng);
  ASSERT_TRUE(sealed.has_value());
  std::vector<Bytes> one_time_keys;
  for (const auto& opk : opks) {
    one_time_keys.push_back(crypto::encode_one_time_key({opk.id, opk.key.public_key()}));
  }

  const auto recipient = new_key_pair();
  auto ids = await<QueueIds>([&](auto done) { owner->create_queue(recipient, true, done); });
  ASSERT_TRUE(ids.has_value());
  auto left = await<std::uint32_t>([&](auto done) {
    owner->put_bundle(ids->recv_id, recipient, *sealed, one_time_keys, false, done);
  });
  ASSERT_TRUE(left.has_value()) << left.error();
  EXPECT_EQ(*left, 2u);

  std::vector<crypto::PreKeyId> handed_out;
  for (int i = 0; i < 3; ++i) {
    auto got = await<PrekeyBundle>([&](auto done) { stranger->get_bundle(ids->send_id, done); });
    ASSERT_TRUE(got.has_value()) << got.error();
    EXPECT_EQ(got->bundle, *sealed);
    auto opened = crypto::open_contact_bundle(got->bundle, bundle_key);
    ASSERT_TRUE(opened.has_value()) << opened.error();
    EXPECT_EQ(opened->identity, identity.public_key());
    if (got->one_time_key.empty()) continue;
    auto key = crypto::decode_one_time_key(got->one_time_key);
    ASSERT_TRUE(key.has_value());
    handed_out.push_back(key->id);
  }
  std::ranges::sort(handed_out);
  EXPECT_EQ(handed_out, (std::vector<crypto::PreKeyId>{10, 11}));

  // replace_one_time_keys reaches the relay: the stored keys are replaced, not added to.
  left = await<std::uint32_t>([&](auto done) {
    owner->put_bundle(ids->recv_id, recipient, {}, {one_time_keys[0]}, false, done);
  });
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 1u);
  left = await<std::uint32_t>([&](auto done) {
    owner->put_bundle(ids->recv_id, recipient, {}, {one_time_keys[1]}, true, done);
  });
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 1u);
  auto got = await<PrekeyBundle>([&](auto done) { stranger->get_bundle(ids->send_id, done); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->one_time_key, one_time_keys[1]);

  ASSERT_TRUE(await<void>([&](auto done) {
                owner->delete_queue(ids->recv_id, recipient, done);
              }).has_value());
  auto gone = await<PrekeyBundle>([&](auto done) { stranger->get_bundle(ids->send_id, done); });
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::RelayNotFound);
}

TEST_F(RelayTransportTest, ReportsDisconnectAndReconnect) {
  Recorder events;
  auto transport = open(events);
  ASSERT_TRUE(transport);
  relay_->stop();
  ASSERT_TRUE(QTest::qWaitFor([&] { return events.disconnects == 1; }, kWait));
  EXPECT_FALSE(transport->connected());
  ASSERT_TRUE(relay_->start()) << relay_->error();
  // Default backoff: at most 60 s × 1.2 between attempts, but the first retries come sooner.
  ASSERT_TRUE(QTest::qWaitFor([&] { return events.connects == 2; }, 4 * kWait));
  EXPECT_TRUE(transport->connected());
  EXPECT_EQ(events.disconnects, 1);
}

TEST_F(RelayTransportTest, DestroyingItCallsTheListenerNoMore) {
  Recorder events;
  auto transport = open(events);
  ASSERT_TRUE(transport);
  transport.reset();  // stops the connection
  QTest::qWait(200);
  EXPECT_EQ(events.disconnects, 0);
  EXPECT_EQ(events.connects, 1);
}

TEST(RelayTransportUrlTest, RefusedUrlsGiveTheConnectionsErrors) {
  auto refused = [](const std::string& url) {
    auto made = connect_relay(url);
    EXPECT_FALSE(made.has_value()) << url;
    return made ? ErrorCode::Internal : made.error().code;
  };
  EXPECT_EQ(refused("ws://relay.example.org/"), ErrorCode::RelayInsecureUrl);
  EXPECT_EQ(refused("ws://192.168.1.10:8080/"), ErrorCode::RelayInsecureUrl);
  EXPECT_EQ(refused("https://relay.example.org/"), ErrorCode::RelayInvalidUrl);
  EXPECT_EQ(refused(""), ErrorCode::RelayInvalidUrl);
  EXPECT_TRUE(connect_relay("wss://relay.example.org/").has_value());
}

}  // namespace
}  // namespace exile::engine

int main(int argc, char** argv) { return exile::test::run_qt_tests(argc, argv); }
