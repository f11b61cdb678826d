// RelayTransport: the engine's seam to one relay (docs/architecture.md, "The engine"). The real
// one is RelayConnection (relay/client/relay_connection.h), adapted by connect_relay(); a test
// may hand the engine another through Environment::relays, e.g. one that drops connections on
// purpose. Its contract is RelayConnection's, restated for an implementer:
//
//  - Everything happens on the engine thread: the engine calls in on it, and every callback and
//    Listener call comes back on it, never from inside the call that caused it.
//  - send(), ack() and subscribe() survive reconnects (retried with the same client message id);
//    the others may fail with RelayConnectionLost, and the engine retries them itself.
//  - Remembered subscriptions are renewed after each reconnect; messages arrive for subscribed
//    queues only, at least once, until acked.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/result.h"
#include "relay/client/relay_connection.h"
#include "relay/wire/wire.h"

namespace exile::engine {

using relay::client::PrekeyBundle;
using relay::client::QueueIds;
using relay::client::QueueSubscription;
using relay::client::RelayCallback;
using relay::client::SendReceipt;

class RelayTransport {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void relay_connected() = 0;
    virtual void relay_disconnected() = 0;
    virtual void relay_message(const relay::wire::QueueId& recv_id, std::uint64_t msg_id,
                               UnixMillis timestamp, Bytes body) = 0;
    virtual void relay_subscription_ended(const relay::wire::QueueId& recv_id) = 0;
  };

  virtual ~RelayTransport() = default;

  // Connects, and keeps reconnecting until the transport is destroyed. `listener` outlives it.
  virtual void start(Listener& listener) = 0;
  [[nodiscard]] virtual bool connected() const = 0;

  virtual void create_queue(const relay::wire::KeyPair& recipient, bool contact_address,
                            RelayCallback<QueueIds> done) = 0;
  virtual void secure_queue(const relay::wire::QueueId& recv_id,
                            const relay::wire::KeyPair& recipient,
                            const relay::wire::PublicKey& sender_key, RelayCallback<void> done) = 0;
  virtual void send(const relay::wire::QueueId& send_id, const ClientMessageId& client_msg_id,
                    ByteView body, const relay::wire::KeyPair* sender,
                    RelayCallback<SendReceipt> done) = 0;
  virtual void subscribe(std::vector<QueueSubscription> queues, RelayCallback<void> done) = 0;
  virtual void ack(const relay::wire::QueueId& recv_id, std::uint64_t msg_id,
                   RelayCallback<void> done) = 0;
  virtual void delete_queue(const relay::wire::QueueId& recv_id,
                            const relay::wire::KeyPair& recipient, RelayCallback<void> done) = 0;
  virtual void put_bundle(const relay::wire::QueueId& recv_id,
                          const relay::wire::KeyPair& recipient, ByteView bundle,
                          std::vector<Bytes> one_time_keys, bool replace_one_time_keys,
                          RelayCallback<std::uint32_t> done) = 0;
  virtual void get_bundle(const relay::wire::QueueId& send_id,
                          RelayCallback<PrekeyBundle> done) = 0;
};

// The real transport: a RelayConnection to `relay_url`, made on the calling (engine) thread.
// RelayInsecureUrl or RelayInvalidUrl when the URL is refused.
[[nodiscard]] Result<std::unique_ptr<RelayTransport>> connect_relay(const std::string& relay_url);

}  // namespace exile::engine
