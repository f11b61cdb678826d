// connect_relay(): the real RelayTransport, a RelayConnection (relay/client/relay_connection.h)
// behind the engine's seam (relay_transport.h). Each call forwards to the connection's call of
// the same meaning, unchanged; the contract is the connection's. Nothing else happens here.
//
// The one thing the adapter adds: its destructor cuts the signal connections before stopping,
// so a connection that was Ready does not call the listener from inside the destructor (stop()
// emits disconnected() at once) while its owner is being torn down.
#include <QObject>
#include <QString>
#include <QUrl>
#include <array>
#include <utility>

#include "engine/relay_transport.h"

namespace exile::engine {
namespace {

using relay::client::RelayConnection;

class RelayConnectionTransport final : public RelayTransport {
 public:
  explicit RelayConnectionTransport(std::unique_ptr<RelayConnection> connection)
      : connection_(std::move(connection)) {}

  ~RelayConnectionTransport() override {
    for (auto& link : links_) QObject::disconnect(link);
    connection_->stop();
  }

  RelayConnectionTransport(const RelayConnectionTransport&) = delete;
  RelayConnectionTransport& operator=(const RelayConnectionTransport&) = delete;

  void start(Listener& listener) override {
    RelayConnection* connection = connection_.get();
    Listener* to = &listener;
    links_ = {
        QObject::connect(connection, &RelayConnection::connected, connection,
                         [to] { to->relay_connected(); }),
        QObject::connect(connection, &RelayConnection::disconnected, connection,
                         [to] { to->relay_disconnected(); }),
        QObject::connect(
            connection, &RelayConnection::messageReceived, connection,
            [to](relay::wire::QueueId recv_id, quint64 msg_id, UnixMillis timestamp, Bytes body) {
              to->relay_message(recv_id, msg_id, timestamp, std::move(body));
            }),
        QObject::connect(
            connection, &RelayConnection::subscriptionEnded, connection,
            [to](relay::wire::QueueId recv_id) { to->relay_subscription_ended(recv_id); }),
    };
    connection_->start();
  }

  [[nodiscard]] bool connected() const override { return connection_->isConnected(); }

  void create_queue(const relay::wire::KeyPair& recipient, bool contact_address,
                    RelayCallback<QueueIds> done) override {
    connection_->createQueue(recipient, contact_address, std::move(done));
  }

  void secure_queue(const relay::wire::QueueId& recv_id, const relay::wire::KeyPair& recipient,
                    const relay::wire::PublicKey& sender_key, RelayCallback<void> done) override {
    connection_->secureQueue(recv_id, recipient, sender_key, std::move(done));
  }

  void send(const relay::wire::QueueId& send_id, const ClientMessageId& client_msg_id,
            ByteView body, const relay::wire::KeyPair* sender,
            RelayCallback<SendReceipt> done) override {
    connection_->send(send_id, client_msg_id, body, sender, std::move(done));
  }

  void subscribe(std::vector<QueueSubscription> queues, RelayCallback<void> done) override {
    connection_->subscribe(std::move(queues), std::move(done));
  }

  void ack(const relay::wire::QueueId& recv_id, std::uint64_t msg_id,
           RelayCallback<void> done) override {
    connection_->ack(recv_id, msg_id, std::move(done));
  }

  void delete_queue(const relay::wire::QueueId& recv_id, const relay::wire::KeyPair& recipient,
                    RelayCallback<void> done) override {
    connection_->deleteQueue(recv_id, recipient, std::move(done));
  }

  void put_bundle(const relay::wire::QueueId& recv_id, const relay::wire::KeyPair& recipient,
                  ByteView bundle, std::vector<Bytes> one_time_keys, bool replace_one_time_keys,
                  RelayCallback<std::uint32_t> done) override {
    connection_->putBundle(recv_id, recipient, bundle, std::move(one_time_keys),
                           replace_one_time_keys, std::move(done));
  }

  void get_bundle(const relay::wire::QueueId& send_id, RelayCallback<PrekeyBundle> done) override {
    connection_->getBundle(send_id, std::move(done));
  }

 private:
  std::unique_ptr<RelayConnection> connection_;  // never null
  std::array<QMetaObject::Connection, 4> links_;
};

}  // namespace

Result<std::unique_ptr<RelayTransport>> connect_relay(const std::string& relay_url) {
  RelayConnection::Options options;
  options.url = QUrl(QString::fromStdString(relay_url));
  auto connection = RelayConnection::create(std::move(options));
  if (!connection) return fail(connection.error());
  return std::make_unique<RelayConnectionTransport>(std::move(*connection));
}

}  // namespace exile::engine
