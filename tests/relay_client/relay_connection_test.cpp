// RelayConnection (src/relay/client/relay_connection.h) against the real exile-relay process
// (tests/support/relay_process.h), and against a scripted fake relay for what the real one
// cannot be made to do on demand (stay silent; check the authenticator on the relay's side).
//
// Every wait is bounded: kWait for answers, and each helper fails the test rather than hang.
#include "relay/client/relay_connection.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sodium.h>

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/log.h"
#include "relay.pb.h"
#include "relay/wire/batch.h"
#include "support/qt_relay_test.h"
#include "support/relay_keys.h"
#include "support/relay_process.h"

namespace exile::relay::client {
namespace {

namespace wire = relay::wire;
namespace pb = relay::pb;
using namespace std::chrono_literals;

using test::new_key_pair;

constexpr int kWait = 15000;  // ms: the longest any single step may take

// What a test-level wait returns when the callback never came (not an Error the connection
// can produce: no failure of it has this index).
constexpr std::uint32_t kNoAnswer = 0xFFFFFFFF;

template <class T, class Call>
Result<T> await(Call&& call, int wait_ms = kWait) {
  Error no_answer(ErrorCode::RelayConnectFailed);
  no_answer.index = kNoAnswer;
  return test::await_answer<T>(std::forward<Call>(call), wait_ms, std::move(no_answer));
}

template <std::size_t N>
std::array<std::uint8_t, N> random_array() {
  std::array<std::uint8_t, N> out{};
  randombytes_buf(out.data(), out.size());
  return out;
}

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

wire::KeyPair clone(const wire::KeyPair& pair) {
  return wire::KeyPair{pair.public_key, pair.secret_key.clone()};
}

std::vector<QueueSubscription> one_queue(const wire::QueueId& recv_id,
                                         const wire::KeyPair& recipient) {
  std::vector<QueueSubscription> queues;
  queues.push_back(QueueSubscription{recv_id, clone(recipient)});
  return queues;
}

struct Received {
  wire::QueueId recv_id{};
  std::uint64_t msg_id = 0;
  UnixMillis timestamp{};
  Bytes body;
};

// Records a connection's signals.
struct Recorder {
  explicit Recorder(RelayConnection& connection) {
    QObject::connect(&connection, &RelayConnection::messageReceived, &connection,
                     [this](wire::QueueId recv_id, quint64 msg_id, UnixMillis at, Bytes body) {
                       messages.push_back({recv_id, msg_id, at, std::move(body)});
                     });
    QObject::connect(&connection, &RelayConnection::connected, &connection, [this] { ++connects; });
    QObject::connect(&connection, &RelayConnection::disconnected, &connection,
                     [this] { ++disconnects; });
    QObject::connect(&connection, &RelayConnection::subscriptionEnded, &connection,
                     [this](wire::QueueId recv_id) { ended.push_back(recv_id); });
    QObject::connect(&connection, &RelayConnection::error, &connection,
                     [this](ErrorCode code) { errors.push_back(code); });
  }
  [[nodiscard]] std::size_t count(const Bytes& body) const {
    return static_cast<std::size_t>(
        std::ranges::count_if(messages, [&](const Received& m) { return m.body == body; }));
  }
  bool waitFor(const Bytes& body, std::size_t copies = 1) {
    return QTest::qWaitFor([&] { return count(body) >= copies; }, kWait);
  }

  std::vector<Received> messages;
  std::vector<wire::QueueId> ended;
  std::vector<ErrorCode> errors;
  int connects = 0;
  int disconnects = 0;
};

RelayConnection::Options fast_options(const QUrl& url) {
  RelayConnection::Options options;
  options.url = url;
  options.backoff.initial = 100ms;
  options.backoff.max = 1s;
  options.request_timeout = 10s;
  return options;
}

// ---- against the real relay ----------------------------------------------------------------

class RelayConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.isValid());
    test::RelayProcess::Options options;
    options.data_dir = std::filesystem::path(dir_.path().toStdString()) / "relay";
    relay_ = std::make_unique<test::RelayProcess>(std::move(options));
    ASSERT_TRUE(relay_->start()) << relay_->error();
  }

  QUrl url() const { return QUrl(QString::fromStdString(relay_->url())); }

  std::unique_ptr<RelayConnection> open() {
    auto made = RelayConnection::create(fast_options(url()));
    EXPECT_TRUE(made.has_value());
    if (!made) return nullptr;
    auto connection = std::move(*made);
    connection->start();
    EXPECT_TRUE(QTest::qWaitFor([&] { return connection->isConnected(); }, kWait));
    return connection;
  }

  // A queue owned by `owner`, secured with `sender` unless it is null.
  QueueIds makeQueue(RelayConnection& owner, const wire::KeyPair& recipient,
                     const wire::KeyPair* sender) {
    auto ids = await<QueueIds>([&](auto done) { owner.createQueue(recipient, false, done); });
    EXPECT_TRUE(ids.has_value());
    if (!ids) return {};
    if (sender != nullptr) {
      auto secured = await<void>(
          [&](auto done) { owner.secureQueue(ids->recv_id, recipient, sender->public_key, done); });
      EXPECT_TRUE(secured.has_value());
    }
    return *ids;
  }

  Result<SendReceipt> sendNow(RelayConnection& connection, const wire::QueueId& send_id,
                              const ClientMessageId& msg_id, const Bytes& body,
                              const wire::KeyPair* sender) {
    return await<SendReceipt>(
        [&](auto done) { connection.send(send_id, msg_id, body, sender, done); });
  }

  QTemporaryDir dir_;
  std::unique_ptr<test::RelayProcess> relay_;
};

// Captures every log line (debug included) for as long as it lives.
struct LogCapture {
  LogCapture() {
    log::set_level(log::Level::Debug);
    log::set_sink([this](log::Level, std::string_view category, std::string_view line) {
      lines.push_back(std::string(category) + ": " + std::string(line));
    });
  }
  ~LogCapture() {
    log::set_sink(nullptr);
    log::set_level(log::Level::Info);
  }
  // True if no line holds `secret` raw or in hex.
  [[nodiscard]] bool clean_of(ByteView secret) const {
    const std::string raw(secret.begin(), secret.end());
    const std::string hex = to_hex(secret);
    return std::ranges::none_of(lines, [&](const std::string& line) {
      return line.find(raw) != std::string::npos || line.find(hex) != std::string::npos;
    });
  }
  std::vector<std::string> lines;
};

TEST_F(RelayConnectionTest, CreateSecureSendReceiveAck) {
  LogCapture logs;
  auto alice = open();
  auto bob = open();
  ASSERT_TRUE(alice && bob);
  Recorder inbox(*alice);
  const auto recipient = new_key_pair();
  const auto sender = new_key_pair();
  const QueueIds ids = makeQueue(*alice, recipient, &sender);
  EXPECT_NE(ids.recv_id, ids.send_id);
  ASSERT_TRUE(await<void>([&](auto done) {
                alice->subscribe(one_queue(ids.recv_id, recipient), done);
              }).has_value());

  const Bytes body = bytes_of("ciphertext 1");
  const auto msg_id = random_array<kClientMessageIdBytes>();
  auto sent = sendNow(*bob, ids.send_id, msg_id, body, &sender);
  ASSERT_TRUE(sent.has_value());
  EXPECT_FALSE(sent->duplicate);
  ASSERT_TRUE(inbox.waitFor(body));
  const Received first = inbox.messages.front();
  EXPECT_EQ(first.recv_id, ids.recv_id);
  EXPECT_GE(first.msg_id, 1u);
  EXPECT_GT(to_millis(first.timestamp), 1'600'000'000'000);

  // A retry of the same client_msg_id is answered duplicate and stores nothing.
  auto again = sendNow(*bob, ids.send_id, msg_id, body, &sender);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->duplicate);
  // A secured queue refuses a SEND without the sender's tag.
  auto unsigned_send =
      sendNow(*bob, ids.send_id, random_array<kClientMessageIdBytes>(), body, nullptr);
  ASSERT_FALSE(unsigned_send.has_value());
  EXPECT_EQ(unsigned_send.error().code, ErrorCode::RelayAuth);
  // A second KEY is refused.
  auto resecure = await<void>(
      [&](auto done) { alice->secureQueue(ids.recv_id, recipient, sender.public_key, done); });
  ASSERT_FALSE(resecure.has_value());
  EXPECT_EQ(resecure.error().code, ErrorCode::RelayAlreadySecured);

  ASSERT_TRUE(
      await<void>([&](auto done) { alice->ack(ids.recv_id, first.msg_id, done); }).has_value());
  // Acked: a new connection does not get it again; the next message comes after it.
  alice->reconnect();
  ASSERT_TRUE(QTest::qWaitFor([&] { return inbox.connects == 1 && alice->isConnected(); }, kWait));
  const Bytes marker = bytes_of("marker");
  ASSERT_TRUE(sendNow(*bob, ids.send_id, random_array<kClientMessageIdBytes>(), marker, &sender)
                  .has_value());
  ASSERT_TRUE(inbox.waitFor(marker));
  EXPECT_EQ(inbox.count(body), 1u);
  EXPECT_GT(inbox.messages.back().msg_id, first.msg_id);

  // The client's log lines name events and counts, never ids, keys or bodies.
  EXPECT_FALSE(logs.lines.empty());
  EXPECT_TRUE(logs.clean_of(ids.recv_id));
  EXPECT_TRUE(logs.clean_of(ids.send_id));
  EXPECT_TRUE(logs.clean_of(msg_id));
  EXPECT_TRUE(logs.clean_of(recipient.public_key));
  EXPECT_TRUE(logs.clean_of(sender.public_key));
  EXPECT_TRUE(logs.clean_of(recipient.secret_key.view()));
  EXPECT_TRUE(logs.clean_of(body));
}

TEST_F(RelayConnectionTest, UnackedMessageIsDeliveredAgainAfterReconnect) {
  auto alice = open();
  auto bob = open();
  ASSERT_TRUE(alice && bob);
  Recorder inbox(*alice);
  const auto recipient = new_key_pair();
  const QueueIds ids = makeQueue(*alice, recipient, nullptr);
  ASSERT_TRUE(await<void>([&](auto done) {
                alice->subscribe(one_queue(ids.recv_id, recipient), done);
              }).has_value());
  const Bytes body = bytes_of("not acked yet");
  ASSERT_TRUE(
      sendNow(*bob, ids.send_id, random_array<kClientMessageIdBytes>(), body, nullptr).has_value());
  ASSERT_TRUE(inbox.waitFor(body));

  alice->reconnect();  // resubscribes on its own
  ASSERT_TRUE(inbox.waitFor(body, 2));
  EXPECT_EQ(inbox.disconnects, 1);
  EXPECT_EQ(inbox.messages[0].msg_id, inbox.messages[1].msg_id);

  ASSERT_TRUE(await<void>([&](auto done) {
                alice->ack(ids.recv_id, inbox.messages[1].msg_id, done);
              }).has_value());
  alice->reconnect();
  const Bytes marker = bytes_of("marker");
  ASSERT_TRUE(sendNow(*bob, ids.send_id, random_array<kClientMessageIdBytes>(), marker, nullptr)
                  .has_value());
  ASSERT_TRUE(inbox.waitFor(marker));
  EXPECT_EQ(inbox.count(body), 2u);
}

TEST_F(RelayConnectionTest, SendInFlightSurvivesRelayKillAndRestart) {
  auto alice = open();
  auto bob = open();
  ASSERT_TRUE(alice && bob);
  Recorder inbox(*alice);
  Recorder outbox(*bob);
  const auto recipient = new_key_pair();
  const auto sender = new_key_pair();
  const QueueIds ids = makeQueue(*alice, recipient, &sender);
  ASSERT_TRUE(await<void>([&](auto done) {
                alice->subscribe(one_queue(ids.recv_id, recipient), done);
              }).has_value());

  // Freeze the relay so that the SEND is written but cannot be answered, then kill it.
  ASSERT_EQ(::kill(relay_->pid(), SIGSTOP), 0);
  const Bytes body = bytes_of("in flight");
  const auto msg_id = random_array<kClientMessageIdBytes>();
  auto sent = std::make_shared<std::optional<Result<SendReceipt>>>();
  bob->send(ids.send_id, msg_id, body, &sender,
            [sent](Result<SendReceipt> result) { *sent = std::move(result); });
  QTest::qWait(200);  // let the frame reach the socket
  EXPECT_FALSE(sent->has_value());
  relay_->kill();
  ASSERT_TRUE(
      QTest::qWaitFor([&] { return outbox.disconnects == 1 && inbox.disconnects == 1; }, kWait));
  EXPECT_FALSE(sent->has_value());  // not answered: kept for the next connection
  // While the relay is down, the connection keeps trying (with backoff).
  ASSERT_TRUE(QTest::qWaitFor(
      [&] { return std::ranges::count(outbox.errors, ErrorCode::RelayConnectFailed) >= 2; },
      kWait));
  EXPECT_FALSE(bob->isConnected());

  ASSERT_TRUE(relay_->start()) << relay_->error();
  ASSERT_TRUE(QTest::qWaitFor([&] { return sent->has_value(); }, kWait));
  ASSERT_TRUE(sent->value().has_value()) << to_string(sent->value().error().code);
  EXPECT_EQ(outbox.connects, 1);

  // Alice reconnected and resubscribed by herself; the message arrives once.
  ASSERT_TRUE(inbox.waitFor(body));
  ASSERT_TRUE(await<void>([&](auto done) {
                alice->ack(ids.recv_id, inbox.messages.back().msg_id, done);
              }).has_value());
  // The relay still knows the client_msg_id after its restart.
  auto again = sendNow(*bob, ids.send_id, msg_id, body, &sender);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->duplicate);
  const Bytes marker = bytes_of("marker");
  ASSERT_TRUE(sendNow(*bob, ids.send_id, random_array<kClientMessageIdBytes>(), marker, &sender)
                  .has_value());
  ASSERT_TRUE(inbox.waitFor(marker));
  EXPECT_EQ(inbox.count(body), 1u);
  EXPECT_TRUE(inbox.ended.empty());
}

TEST_F(RelayConnectionTest, SubscriptionTakenOverOrDeletedEnds) {
  auto alice = open();
  auto laptop = open();
  ASSERT_TRUE(alice && laptop);
  Recorder phone_events(*alice);
  Recorder laptop_events(*laptop);
  const auto recipient = new_key_pair();
  const QueueIds ids = makeQueue(*alice, recipient, nullptr);
  ASSERT_TRUE(await<void>([&](auto done) {
                alice->subscribe(one_queue(ids.recv_id, recipient), done);
              }).has_value());
  ASSERT_TRUE(await<void>([&](auto done) {
                laptop->subscribe(one_queue(ids.recv_id, recipient), done);
              }).has_value());
  ASSERT_TRUE(QTest::qWaitFor([&] { return phone_events.ended.size() == 1; }, kWait));
  EXPECT_EQ(phone_events.ended[0], ids.recv_id);
  // Forgotten by the phone: acking there is refused locally.
  auto ack = await<void>([&](auto done) { alice->ack(ids.recv_id, 1, done); });
  ASSERT_FALSE(ack.has_value());
  EXPECT_EQ(ack.error().code, ErrorCode::RelayNotSubscribed);

  ASSERT_TRUE(await<void>([&](auto done) {
                alice->deleteQueue(ids.recv_id, recipient, done);
              }).has_value());
  ASSERT_TRUE(QTest::qWaitFor([&] { return laptop_events.ended.size() == 1; }, kWait));
  // The queue is gone: its key no longer authenticates anything.
  auto resub =
      await<void>([&](auto done) { laptop->subscribe(one_queue(ids.recv_id, recipient), done); });
  ASSERT_FALSE(resub.has_value());
  EXPECT_EQ(resub.error().code, ErrorCode::RelayAuth);
  EXPECT_EQ(resub.error().index, 0u);
  // Refused by the relay, so not remembered: acking is refused locally, and the connection
  // neither subscribes it again nor reports it ended a second time.
  auto stale_ack = await<void>([&](auto done) { laptop->ack(ids.recv_id, 1, done); });
  ASSERT_FALSE(stale_ack.has_value());
  EXPECT_EQ(stale_ack.error().code, ErrorCode::RelayNotSubscribed);
  QTest::qWait(200);  // time for a SUB written again to be answered
  EXPECT_EQ(laptop_events.ended.size(), 1u);
}

TEST_F(RelayConnectionTest, AddressBundleHandsOutEachOneTimeKeyOnce) {
  auto owner = open();
  auto stranger = open();
  ASSERT_TRUE(owner && stranger);
  const auto recipient = new_key_pair();
  auto ids = await<QueueIds>([&](auto done) { owner->createQueue(recipient, true, done); });
  ASSERT_TRUE(ids.has_value());
  auto secure = await<void>([&](auto done) {
    owner->secureQueue(ids->recv_id, recipient, new_key_pair().public_key, done);
  });
  ASSERT_FALSE(secure.has_value());
  EXPECT_EQ(secure.error().code, ErrorCode::RelayNotAllowed);

  const Bytes bundle = bytes_of("bundle bytes");
  auto left = await<std::uint32_t>([&](auto done) {
    owner->putBundle(ids->recv_id, recipient, bundle, {bytes_of("otk-1"), bytes_of("otk-2")}, false,
                     done);
  });
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 2u);
  std::vector<Bytes> handed_out;
  for (int i = 0; i < 3; ++i) {
    auto got = await<PrekeyBundle>([&](auto done) { stranger->getBundle(ids->send_id, done); });
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->bundle, bundle);
    handed_out.push_back(got->one_time_key);
  }
  std::ranges::sort(handed_out);
  EXPECT_EQ(handed_out, (std::vector<Bytes>{Bytes{}, bytes_of("otk-1"), bytes_of("otk-2")}));

  auto missing = await<PrekeyBundle>(
      [&](auto done) { stranger->getBundle(random_array<wire::kQueueIdBytes>(), done); });
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::RelayNotFound);
}

TEST(RelayConnectionKeepaliveTest, IdleConnectionOutlivesTheRelaysIdleTimeout) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  test::RelayProcess::Options relay_options;
  relay_options.data_dir = std::filesystem::path(dir.path().toStdString()) / "relay";
  relay_options.extra_args = {"--idle-timeout", "2s"};
  test::RelayProcess relay(std::move(relay_options));
  ASSERT_TRUE(relay.start()) << relay.error();

  // ping_interval is 30 s, but Hello says the relay drops a connection idle for 2 s: the
  // connection pings at half that.
  auto made = RelayConnection::create(fast_options(QUrl(QString::fromStdString(relay.url()))));
  ASSERT_TRUE(made.has_value());
  RelayConnection& connection = **made;
  Recorder events(connection);
  connection.start();
  ASSERT_TRUE(QTest::qWaitFor([&] { return connection.isConnected(); }, kWait));
  QTest::qWait(5000);
  EXPECT_TRUE(connection.isConnected());
  EXPECT_EQ(events.disconnects, 0);
  EXPECT_EQ(events.connects, 1);
}

// ---- without a relay -----------------------------------------------------------------------

TEST(RelayConnectionUrlTest, PlainWebSocketOnlyToLoopback) {
  auto refused = [](const char* url) { return RelayConnection::checkUrl(QUrl(url)); };
  EXPECT_EQ(refused("ws://relay.example.org/"), ErrorCode::RelayInsecureUrl);
  EXPECT_EQ(refused("ws://192.168.1.10:8080/"), ErrorCode::RelayInsecureUrl);
  EXPECT_EQ(refused("ws://[2001:db8::1]/"), ErrorCode::RelayInsecureUrl);
  EXPECT_EQ(refused("ws://127.0.0.1:443/"), std::nullopt);
  EXPECT_EQ(refused("ws://[::1]:443/"), std::nullopt);
  EXPECT_EQ(refused("ws://localhost:443/"), std::nullopt);
  EXPECT_EQ(refused("wss://relay.example.org/"), std::nullopt);
  EXPECT_EQ(refused("https://relay.example.org/"), ErrorCode::RelayInvalidUrl);
  EXPECT_EQ(refused("ws:///path"), ErrorCode::RelayInvalidUrl);

  RelayConnection::Options options;
  options.url = QUrl("ws://relay.example.org/");
  auto made = RelayConnection::create(options);
  ASSERT_FALSE(made.has_value());
  EXPECT_EQ(made.error().code, ErrorCode::RelayInsecureUrl);
}

TEST(RelayConnectionBackoffTest, DoublesUpToTheCapWithBoundedJitter) {
  const RelayBackoff backoff{500ms, 60s, 0.2};
  EXPECT_EQ(relayBackoffDelay(backoff, 0, 0.5), 500ms);
  EXPECT_EQ(relayBackoffDelay(backoff, 1, 0.5), 1000ms);
  EXPECT_EQ(relayBackoffDelay(backoff, 3, 0.5), 4000ms);
  EXPECT_EQ(relayBackoffDelay(backoff, 0, 0.0), 400ms);
  EXPECT_EQ(relayBackoffDelay(backoff, 0, 1.0), 600ms);
  EXPECT_EQ(relayBackoffDelay(backoff, 20, 0.5), 60s);
  EXPECT_EQ(relayBackoffDelay(backoff, 1000, 1.0), 72s);
}

TEST(RelayConnectionLocalTest, RequestsRefusedBeforeSendingFailAsynchronously) {
  auto made = RelayConnection::create(fast_options(QUrl("ws://127.0.0.1:9/")));
  ASSERT_TRUE(made.has_value());
  RelayConnection& connection = **made;
  const auto queue = random_array<wire::kQueueIdBytes>();

  bool called = false;
  connection.ack(queue, 1, [&](Result<void> result) {
    called = true;
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::RelayNotSubscribed);
  });
  EXPECT_FALSE(called);  // never from inside the call
  EXPECT_TRUE(QTest::qWaitFor([&] { return called; }, kWait));

  const Bytes huge(wire::kMaxBodyBytes + 1, 0x42);
  auto too_large = await<SendReceipt>([&](auto done) {
    connection.send(queue, random_array<kClientMessageIdBytes>(), huge, nullptr, done);
  });
  ASSERT_FALSE(too_large.has_value());
  EXPECT_EQ(too_large.error().code, ErrorCode::RelayTooLarge);

  auto empty = await<void>([&](auto done) { connection.subscribe({}, done); });
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::InvalidArgument);

  // Queued while not started; stop() fails it.
  std::optional<Result<QueueIds>> pending;
  connection.createQueue(new_key_pair(), false,
                         [&](Result<QueueIds> result) { pending = std::move(result); });
  connection.stop();
  ASSERT_TRUE(pending.has_value());
  ASSERT_FALSE(pending->has_value());
  EXPECT_EQ(pending->error().code, ErrorCode::RelayStopped);
}

// ---- against a scripted relay --------------------------------------------------------------

// Says Hello with its own session key, then hands every ClientFrame of every ClientBatch to
// `on_frame` (default: no answer at all).
class FakeRelay : public QObject {
 public:
  FakeRelay() : server_(QStringLiteral("fake"), QWebSocketServer::NonSecureMode) {
    randombytes_buf(nonce_.data(), nonce_.size());
    EXPECT_TRUE(server_.listen(QHostAddress::LocalHost, 0));
    connect(&server_, &QWebSocketServer::newConnection, this, [this] {
      while (QWebSocket* socket = server_.nextPendingConnection()) accept(socket);
    });
  }
  QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(server_.serverPort())); }

  // Each message from a relay is a ServerBatch (relay-protocol.md §1): one frame here.
  void reply(QWebSocket* socket, const pb::ServerFrame& frame) {
    pb::ServerBatch batch;
    *batch.add_frames() = frame;
    socket->sendBinaryMessage(QByteArray::fromStdString(batch.SerializeAsString()));
  }
  // The relay's K for queue key `queue` on this fake's session.
  wire::CommandKey commandKey(const wire::PublicKey& queue) const {
    auto key = wire::relay_command_key(session_.secret_key, session_.public_key, nonce_, queue);
    EXPECT_TRUE(key.has_value());
    return std::move(*key);
  }

  std::function<void(QWebSocket*, const pb::ClientFrame&)> on_frame;
  int connections = 0;
  int messages = 0;
  int frames = 0;

 private:
  void accept(QWebSocket* socket) {
    ++connections;
    socket->setParent(this);
    pb::ServerFrame hello;
    hello.mutable_hello()->set_version(wire::kProtocolVersion);
    hello.mutable_hello()->set_session_key(
        std::string(session_.public_key.begin(), session_.public_key.end()));
    hello.mutable_hello()->set_session_nonce(std::string(nonce_.begin(), nonce_.end()));
    reply(socket, hello);
    connect(
        socket, &QWebSocket::binaryMessageReceived, this,
        [this, socket](const QByteArray& message) {
          ++messages;
          // The batch's records one by one, as the relay reads them (and as protobuf would).
          const ByteView bytes(reinterpret_cast<const std::uint8_t*>(message.constData()),
                               static_cast<std::size_t>(message.size()));
          wire::BatchReader reader(bytes);
          int in_batch = 0;
          while (auto record = reader.next()) {
            ++frames;
            ++in_batch;
            pb::ClientFrame frame;
            ASSERT_TRUE(frame.ParseFromArray(record->data(), static_cast<int>(record->size())));
            if (on_frame) on_frame(socket, frame);
          }
          ASSERT_FALSE(reader.malformed());
          ASSERT_GE(in_batch, 1);
          ASSERT_LE(in_batch, static_cast<int>(wire::kMaxClientBatchFrames));
          pb::ClientBatch batch;
          ASSERT_TRUE(batch.ParseFromArray(message.constData(), static_cast<int>(message.size())));
          ASSERT_EQ(batch.frames_size(), in_batch);
        });
  }

  QWebSocketServer server_;
  wire::KeyPair session_ = new_key_pair();
  wire::SessionNonce nonce_{};
};

TEST(RelayConnectionFakeTest, CommandsCarryTheQueueKeysAuthenticator) {
  FakeRelay fake;
  const auto recipient = new_key_pair();
  bool verified = false;
  fake.on_frame = [&](QWebSocket* socket, const pb::ClientFrame& frame) {
    pb::Command command;
    ASSERT_TRUE(command.ParseFromString(frame.command()));
    ASSERT_TRUE(command.has_new_queue());
    ASSERT_EQ(frame.authenticators_size(), 1);
    const auto key = fake.commandKey(recipient.public_key);
    const std::string& tag = frame.authenticators(0);
    verified = wire::verify(key, frame.request_id(), as_bytes(frame.command()), as_bytes(tag));
    EXPECT_FALSE(
        wire::verify(key, frame.request_id() + 1, as_bytes(frame.command()), as_bytes(tag)));
    pb::ServerFrame answer;
    answer.set_request_id(frame.request_id());
    answer.mutable_ids()->set_recv_id(std::string(16, 'r'));
    answer.mutable_ids()->set_send_id(std::string(16, 's'));
    fake.reply(socket, answer);
  };
  auto made = RelayConnection::create(fast_options(fake.url()));
  ASSERT_TRUE(made.has_value());
  (*made)->start();
  auto ids = await<QueueIds>([&](auto done) { (*made)->createQueue(recipient, false, done); });
  ASSERT_TRUE(ids.has_value());
  EXPECT_TRUE(verified);
  EXPECT_EQ(ids->recv_id[0], 'r');
  EXPECT_EQ(ids->send_id[0], 's');
}

TEST(RelayConnectionFakeTest, RequestsSubmittedTogetherShareOneMessage) {
  FakeRelay fake;
  std::vector<std::uint64_t> request_ids;
  fake.on_frame = [&](QWebSocket* socket, const pb::ClientFrame& frame) {
    request_ids.push_back(frame.request_id());
    pb::ServerFrame answer;
    answer.set_request_id(frame.request_id());
    answer.mutable_error()->set_code(pb::NOT_FOUND);
    fake.reply(socket, answer);
  };
  auto made = RelayConnection::create(fast_options(fake.url()));
  ASSERT_TRUE(made.has_value());
  RelayConnection& connection = **made;
  connection.start();
  ASSERT_TRUE(QTest::qWaitFor([&] { return connection.isConnected(); }, kWait));
  const int before = fake.messages;
  // 300 requests in one turn of the event loop: two batches (at most 256 frames each).
  constexpr int kRequests = 300;
  int answered = 0;
  int not_found = 0;
  for (int i = 0; i < kRequests; ++i) {
    connection.getBundle(random_array<wire::kQueueIdBytes>(), [&](Result<PrekeyBundle> result) {
      ++answered;
      if (!result && result.error().code == ErrorCode::RelayNotFound) ++not_found;
    });
  }
  ASSERT_TRUE(QTest::qWaitFor([&] { return answered == kRequests; }, kWait));
  EXPECT_EQ(not_found, kRequests);
  EXPECT_EQ(fake.messages - before, 2);
  ASSERT_EQ(request_ids.size(), static_cast<std::size_t>(kRequests));
  EXPECT_TRUE(std::ranges::is_sorted(request_ids)) << "frames out of submission order";
}

TEST(RelayConnectionFakeTest, UnansweredRequestTimesOut) {
  FakeRelay fake;  // never answers
  auto options = fast_options(fake.url());
  options.request_timeout = 300ms;
  auto made = RelayConnection::create(options);
  ASSERT_TRUE(made.has_value());
  RelayConnection& connection = **made;
  Recorder events(connection);
  connection.start();
  ASSERT_TRUE(QTest::qWaitFor([&] { return connection.isConnected(); }, kWait));

  auto ids =
      await<QueueIds>([&](auto done) { connection.createQueue(new_key_pair(), false, done); });
  ASSERT_FALSE(ids.has_value());
  EXPECT_EQ(ids.error().code, ErrorCode::RelayTimeout);
  auto bundle = await<PrekeyBundle>(
      [&](auto done) { connection.getBundle(random_array<wire::kQueueIdBytes>(), done); });
  ASSERT_FALSE(bundle.has_value());
  EXPECT_EQ(bundle.error().code, ErrorCode::RelayTimeout);
  EXPECT_EQ(fake.connections, 1);  // a one-off timeout does not close the connection

  // A SEND is retried, not failed: unanswered, it marks the connection dead, and it is written
  // again on the next one.
  std::optional<Result<SendReceipt>> sent;
  connection.send(random_array<wire::kQueueIdBytes>(), random_array<kClientMessageIdBytes>(),
                  bytes_of("body"), nullptr,
                  [&](Result<SendReceipt> result) { sent = std::move(result); });
  ASSERT_TRUE(QTest::qWaitFor([&] { return fake.connections >= 2 && fake.frames >= 4; }, kWait));
  EXPECT_FALSE(sent.has_value());
  EXPECT_GE(events.disconnects, 1);
  EXPECT_NE(std::ranges::find(events.errors, ErrorCode::RelayTimeout), events.errors.end());
  connection.stop();
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->error().code, ErrorCode::RelayStopped);
}

TEST(RelayConnectionFakeTest, IdleConnectionIsPingedAndDroppedWithoutPong) {
  FakeRelay fake;
  int pings = 0;
  bool answer = true;
  fake.on_frame = [&](QWebSocket* socket, const pb::ClientFrame& frame) {
    pb::Command command;
    ASSERT_TRUE(command.ParseFromString(frame.command()));
    ASSERT_TRUE(command.has_ping());
    EXPECT_EQ(frame.authenticators_size(), 0);
    ++pings;
    if (!answer) return;
    pb::ServerFrame pong;
    pong.set_request_id(frame.request_id());
    pong.mutable_pong();
    fake.reply(socket, pong);
  };
  auto options = fast_options(fake.url());
  options.ping_interval = 100ms;
  options.request_timeout = 500ms;
  auto made = RelayConnection::create(options);
  ASSERT_TRUE(made.has_value());
  Recorder events(**made);
  (*made)->start();
  ASSERT_TRUE(QTest::qWaitFor([&] { return pings >= 3; }, kWait));
  EXPECT_EQ(fake.connections, 1);
  EXPECT_EQ(events.disconnects, 0);

  answer = false;  // a relay that stopped answering is noticed by the next unanswered PING
  ASSERT_TRUE(QTest::qWaitFor([&] { return fake.connections >= 2; }, kWait));
  EXPECT_GE(events.disconnects, 1);
  EXPECT_NE(std::ranges::find(events.errors, ErrorCode::RelayTimeout), events.errors.end());
}

TEST(RelayConnectionFakeTest, TextFrameIsAProtocolViolation) {
  FakeRelay fake;
  fake.on_frame = [](QWebSocket* socket, const pb::ClientFrame&) {
    socket->sendTextMessage(QStringLiteral("hello?"));
  };
  auto made = RelayConnection::create(fast_options(fake.url()));
  ASSERT_TRUE(made.has_value());
  Recorder events(**made);
  (*made)->start();
  auto bundle = await<PrekeyBundle>(
      [&](auto done) { (*made)->getBundle(random_array<wire::kQueueIdBytes>(), done); });
  ASSERT_FALSE(bundle.has_value());
  EXPECT_EQ(bundle.error().code, ErrorCode::RelayConnectionLost);
  EXPECT_NE(std::ranges::find(events.errors, ErrorCode::RelayProtocolViolation),
            events.errors.end());
}

TEST(RelayConnectionFakeTest, RateLimitedSendWaitsRetryAfterThenRetries) {
  FakeRelay fake;
  std::vector<std::int64_t> sent_at;  // ms on `clock`, one per SEND written
  QElapsedTimer clock;
  clock.start();
  fake.on_frame = [&](QWebSocket* socket, const pb::ClientFrame& frame) {
    sent_at.push_back(clock.elapsed());
    pb::ServerFrame answer;
    answer.set_request_id(frame.request_id());
    if (sent_at.size() == 1) {
      answer.mutable_error()->set_code(pb::RATE_LIMITED);
      answer.mutable_error()->set_retry_after_ms(1000);  // far above the backoff's 100 ms
    } else {
      answer.mutable_ok();
    }
    fake.reply(socket, answer);
  };
  auto made = RelayConnection::create(fast_options(fake.url()));
  ASSERT_TRUE(made.has_value());
  (*made)->start();
  auto sent = await<SendReceipt>([&](auto done) {
    (*made)->send(random_array<wire::kQueueIdBytes>(), random_array<kClientMessageIdBytes>(),
                  bytes_of("body"), nullptr, done);
  });
  ASSERT_TRUE(sent.has_value()) << to_string(sent.error().code);
  ASSERT_EQ(sent_at.size(), 2u);
  EXPECT_GE(sent_at[1] - sent_at[0], 1000);  // not before the relay's retry_after
  EXPECT_EQ(fake.connections, 1);
}

TEST(RelayConnectionFakeTest, ResubscribeDropsOnlyTheQueueAtTheRefusalsIndex) {
  FakeRelay fake;
  std::vector<int> sub_sizes;  // recv_ids per SUB written
  std::string refused;         // the recv_id the fake refuses
  fake.on_frame = [&](QWebSocket* socket, const pb::ClientFrame& frame) {
    pb::Command command;
    ASSERT_TRUE(command.ParseFromString(frame.command()));
    pb::ServerFrame answer;
    answer.set_request_id(frame.request_id());
    if (command.has_sub()) sub_sizes.push_back(command.sub().recv_ids_size());
    // The renewal after the reconnect: the second of the two queues is gone.
    if (command.has_sub() && fake.connections == 2 && command.sub().recv_ids_size() == 2) {
      refused = command.sub().recv_ids(1);
      answer.mutable_error()->set_code(pb::AUTH);
      answer.mutable_error()->set_index(1);
    } else {
      answer.mutable_ok();
    }
    fake.reply(socket, answer);
  };
  auto made = RelayConnection::create(fast_options(fake.url()));
  ASSERT_TRUE(made.has_value());
  RelayConnection& connection = **made;
  Recorder events(connection);
  connection.start();
  const auto first = random_array<wire::kQueueIdBytes>();
  const auto second = random_array<wire::kQueueIdBytes>();
  std::vector<QueueSubscription> queues;
  queues.push_back({first, new_key_pair()});
  queues.push_back({second, new_key_pair()});
  ASSERT_TRUE(
      await<void>([&](auto done) { connection.subscribe(std::move(queues), done); }).has_value());

  connection.reconnect();
  ASSERT_TRUE(QTest::qWaitFor([&] { return sub_sizes.size() >= 3; }, kWait));
  EXPECT_EQ(sub_sizes, (std::vector<int>{2, 2, 1}));  // the rest subscribed again alone
  ASSERT_EQ(events.ended.size(), 1u);
  const wire::QueueId& gone_id = events.ended[0];
  EXPECT_EQ(std::string(gone_id.begin(), gone_id.end()), refused);
  const wire::QueueId& kept_id = gone_id == first ? second : first;
  EXPECT_TRUE(events.errors.empty());  // AUTH ends the queue; it is no connection error
  EXPECT_TRUE(await<void>([&](auto done) { connection.ack(kept_id, 1, done); }).has_value());
  auto gone = await<void>([&](auto done) { connection.ack(gone_id, 1, done); });
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::RelayNotSubscribed);
}

}  // namespace
}  // namespace exile::relay::client

int main(int argc, char** argv) { return exile::test::run_qt_tests(argc, argv); }
