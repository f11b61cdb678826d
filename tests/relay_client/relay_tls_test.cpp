// RelayConnection over wss:// against the real exile-relay process serving TLS
// (tests/support/relay_process.h with --tls-cert/--tls-key), with a fresh self-signed
// certificate (tests/support/self_signed_cert.h) that a trusting client takes as its only CA.
//
// Every wait is bounded: kWait for what must happen, kRefusedFor for how long a refused client
// is watched not to connect.
#include <gtest/gtest.h>
#include <sodium.h>

#include <QSslCertificate>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslError>
#include <QSslSocket>
#include <QTest>
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "relay/client/relay_connection.h"
#include "support/qt_relay_test.h"
#include "support/relay_keys.h"
#include "support/relay_process.h"
#include "support/self_signed_cert.h"
#include "support/temp_dir.h"

namespace exile::relay::client {
namespace {

namespace wire = relay::wire;
using namespace std::chrono_literals;

using test::new_key_pair;

constexpr int kWait = 5000;        // ms: the longest any single step may take
constexpr int kRefusedFor = 2000;  // ms: a refused client is watched this long

template <class T, class Call>
Result<T> await(Call&& call, int wait_ms = kWait) {
  return test::await_answer<T>(std::forward<Call>(call), wait_ms, Error(ErrorCode::RelayTimeout));
}

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

ClientMessageId random_msg_id() {
  ClientMessageId id{};
  randombytes_buf(id.data(), id.size());
  return id;
}

// Records a connection's signals.
struct Events {
  explicit Events(RelayConnection& connection) {
    QObject::connect(&connection, &RelayConnection::messageReceived, &connection,
                     [this](wire::QueueId, quint64 msg_id, UnixMillis, Bytes body) {
                       received.emplace_back(msg_id, std::move(body));
                     });
    QObject::connect(&connection, &RelayConnection::connected, &connection, [this] { ++connects; });
    QObject::connect(&connection, &RelayConnection::error, &connection,
                     [this](ErrorCode code) { errors.push_back(code); });
  }
  [[nodiscard]] std::size_t count(ErrorCode code) const {
    return static_cast<std::size_t>(std::ranges::count(errors, code));
  }
  [[nodiscard]] std::size_t count(const Bytes& body) const {
    return static_cast<std::size_t>(
        std::ranges::count_if(received, [&](const auto& m) { return m.second == body; }));
  }

  std::vector<std::pair<std::uint64_t, Bytes>> received;
  std::vector<ErrorCode> errors;
  int connects = 0;
};

class RelayTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = test::make_self_signed_cert(dir_.file("tls"));
    ASSERT_TRUE(made.has_value()) << made.error();
    const auto certs = QSslCertificate::fromPath(QString::fromStdString(made->cert.string()));
    ASSERT_EQ(certs.size(), 1);
    cert_ = certs.front();
    ASSERT_FALSE(cert_.isNull());
    EXPECT_TRUE(cert_.isSelfSigned());

    test::RelayProcess::Options options;
    options.data_dir = dir_.file("relay");
    options.tls_cert = made->cert;
    options.tls_key = made->key;
    options.extra_args = {"--log-level", "debug"};  // for the "connection ended" lines
    relay_ = std::make_unique<test::RelayProcess>(std::move(options));
    ASSERT_TRUE(relay_->start()) << relay_->error();
    ASSERT_TRUE(relay_->url().starts_with("wss://")) << relay_->url();
  }

  // The system's defaults, with the test certificate as the only CA.
  QSslConfiguration trusting() const {
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates({cert_});
    return tls;
  }

  std::unique_ptr<RelayConnection> make(const std::string& url,
                                        std::optional<QSslConfiguration> tls) {
    RelayConnection::Options options;
    options.url = QUrl(QString::fromStdString(url));
    options.tls = std::move(tls);
    options.backoff.initial = 100ms;
    options.backoff.max = 500ms;
    options.request_timeout = 3s;
    auto made = RelayConnection::create(std::move(options));
    EXPECT_TRUE(made.has_value());
    return made ? std::move(*made) : nullptr;
  }

  // A started connection that trusts the test certificate, once it is Ready.
  std::unique_ptr<RelayConnection> openTrusting() {
    auto connection = make(relay_->url(), trusting());
    if (!connection) return nullptr;
    connection->start();
    EXPECT_TRUE(QTest::qWaitFor([&] { return connection->isConnected(); }, kWait))
        << "a client trusting the relay's certificate did not connect";
    return connection;
  }

  // Starts `connection` and checks that it never gets a Hello while it is watched, and that
  // its attempts fail with `reason`, and only with it.
  void expectRefused(RelayConnection& connection, ErrorCode reason) {
    Events events(connection);
    connection.start();
    EXPECT_FALSE(QTest::qWaitFor([&] { return connection.isConnected(); }, kRefusedFor))
        << "connected";
    EXPECT_EQ(events.connects, 0);
    EXPECT_GE(events.count(reason), 2u)
        << "it should fail as " << to_string(reason) << ", and retry";
    EXPECT_EQ(events.count(reason), events.errors.size()) << "failed for other reasons too";
    connection.stop();
  }

  // Create and secure a queue, subscribe, send, receive, ack; after a reconnect the acked
  // message does not come again.
  void roundTrip() {
    auto alice = openTrusting();
    auto bob = openTrusting();
    ASSERT_TRUE(alice && bob && alice->isConnected() && bob->isConnected());
    Events inbox(*alice);
    const auto recipient = new_key_pair();
    const auto sender = new_key_pair();

    auto ids = await<QueueIds>([&](auto done) { alice->createQueue(recipient, false, done); });
    ASSERT_TRUE(ids.has_value()) << to_string(ids.error().code);
    ASSERT_TRUE(await<void>([&](auto done) {
                  alice->secureQueue(ids->recv_id, recipient, sender.public_key, done);
                }).has_value());
    std::vector<QueueSubscription> queues;
    queues.push_back(QueueSubscription{
        ids->recv_id, wire::KeyPair{recipient.public_key, recipient.secret_key.clone()}});
    ASSERT_TRUE(
        await<void>([&](auto done) { alice->subscribe(std::move(queues), done); }).has_value());

    const Bytes body = bytes_of("ciphertext over TLS");
    auto sent = await<SendReceipt>(
        [&](auto done) { bob->send(ids->send_id, random_msg_id(), body, &sender, done); });
    ASSERT_TRUE(sent.has_value()) << to_string(sent.error().code);
    EXPECT_FALSE(sent->duplicate);
    ASSERT_TRUE(QTest::qWaitFor([&] { return inbox.count(body) == 1; }, kWait));
    const std::uint64_t msg_id = inbox.received.front().first;
    ASSERT_TRUE(
        await<void>([&](auto done) { alice->ack(ids->recv_id, msg_id, done); }).has_value());

    alice->reconnect();
    ASSERT_TRUE(
        QTest::qWaitFor([&] { return inbox.connects == 1 && alice->isConnected(); }, kWait));
    const Bytes marker = bytes_of("marker");
    ASSERT_TRUE(await<SendReceipt>([&](auto done) {
                  bob->send(ids->send_id, random_msg_id(), marker, &sender, done);
                }).has_value());
    ASSERT_TRUE(QTest::qWaitFor([&] { return inbox.count(marker) == 1; }, kWait));
    EXPECT_EQ(inbox.count(body), 1u);
  }

  test::TempDir dir_{"exile-relay-tls"};
  QSslCertificate cert_;
  std::unique_ptr<test::RelayProcess> relay_;
};

TEST_F(RelayTlsTest, RoundTripOverTls) { roundTrip(); }

TEST_F(RelayTlsTest, HandshakeIsTls12OrLaterWithTheRelaysCertificate) {
  QSslSocket socket;
  socket.setSslConfiguration(trusting());
  socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), relay_->port());
  ASSERT_TRUE(socket.waitForEncrypted(kWait)) << socket.errorString().toStdString();
  const QSsl::SslProtocol protocol = socket.sessionProtocol();
  EXPECT_TRUE(protocol == QSsl::TlsV1_2 || protocol == QSsl::TlsV1_3) << int(protocol);
  EXPECT_FALSE(socket.sessionCipher().isNull());
  EXPECT_EQ(socket.peerCertificate(), cert_);
  EXPECT_TRUE(socket.sslHandshakeErrors().isEmpty());
  socket.abort();

  // With the system's CAs, the handshake fails on the certificate, not on the connection.
  QSslSocket untrusting;
  untrusting.connectToHostEncrypted(QStringLiteral("127.0.0.1"), relay_->port());
  EXPECT_FALSE(untrusting.waitForEncrypted(kWait));
  const auto errors = untrusting.sslHandshakeErrors();
  EXPECT_TRUE(std::ranges::any_of(errors, [](const QSslError& e) {
    return e.error() == QSslError::SelfSignedCertificate;
  })) << untrusting.errorString().toStdString();
}

TEST_F(RelayTlsTest, PlainWebSocketToTheTlsPortIsRefused) {
  auto plain = make("ws://127.0.0.1:" + std::to_string(relay_->port()) + "/", std::nullopt);
  ASSERT_TRUE(plain);
  expectRefused(*plain, ErrorCode::RelayConnectFailed);
  EXPECT_NE(relay_->output().find("connection ended (tls handshake)"), std::string::npos)
      << relay_->output();
  roundTrip();  // the relay still serves TLS clients
}

TEST_F(RelayTlsTest, UntrustedCertificateIsRefused) {
  // The system's CA store, which does not hold the test certificate.
  auto system_cas = make(relay_->url(), std::nullopt);
  ASSERT_TRUE(system_cas);
  expectRefused(*system_cas, ErrorCode::RelayTlsFailed);

  // Another certificate with the same name and addresses as the only CA.
  auto other = test::make_self_signed_cert(dir_.file("other"));
  ASSERT_TRUE(other.has_value()) << other.error();
  const auto other_certs = QSslCertificate::fromPath(QString::fromStdString(other->cert.string()));
  ASSERT_EQ(other_certs.size(), 1);
  ASSERT_NE(other_certs.front(), cert_);
  QSslConfiguration other_ca = QSslConfiguration::defaultConfiguration();
  other_ca.setCaCertificates(other_certs);
  auto wrong_ca = make(relay_->url(), other_ca);
  ASSERT_TRUE(wrong_ca);
  expectRefused(*wrong_ca, ErrorCode::RelayTlsFailed);

  roundTrip();  // the relay still serves clients that trust it
}

}  // namespace
}  // namespace exile::relay::client

int main(int argc, char** argv) { return exile::test::run_qt_tests(argc, argv); }
