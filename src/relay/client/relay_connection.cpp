// RelayConnection's public commands: each builds one request (relay_connection.h, REQUESTS)
// and hands it to the state machine in detail/relay_connection_io.cpp.
#include "relay/client/relay_connection.h"

#include <QHostAddress>
#include <QThreadPool>
#include <algorithm>
#include <cmath>
#include <mutex>
#include <utility>

#include "relay/client/detail/relay_request.h"

namespace exile::relay::client {

namespace wire = relay::wire;
using namespace std::chrono_literals;

namespace {

// Adapts a RelayCallback<void> to the raw completion.
std::function<void(Result<detail::Reply>)> done_void(RelayCallback<void> done) {
  return [done = std::move(done)](Result<detail::Reply> result) {
    if (!done) return;
    if (!result) return done(std::unexpected(result.error()));
    done(Result<void>{});
  };
}

}  // namespace

std::chrono::milliseconds relayBackoffDelay(const RelayBackoff& backoff, unsigned failures,
                                            double unit_random) {
  const double initial = static_cast<double>(std::max(backoff.initial, 1ms).count());
  const double cap = static_cast<double>(std::max(backoff.max, backoff.initial).count());
  const double base = std::min(cap, initial * std::pow(2.0, std::min(failures, 40u)));
  const double jitter = std::clamp(backoff.jitter, 0.0, 1.0);
  const double factor = 1.0 + jitter * (2.0 * std::clamp(unit_random, 0.0, 1.0) - 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(base * factor)));
}

std::optional<ErrorCode> RelayConnection::checkUrl(const QUrl& url) {
  if (!url.isValid() || url.host().isEmpty()) return ErrorCode::RelayInvalidUrl;
  const QString scheme = url.scheme().toLower();
  if (scheme == QLatin1String("wss")) return std::nullopt;
  if (scheme != QLatin1String("ws")) return ErrorCode::RelayInvalidUrl;
  const QString host = url.host();
  if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0) return std::nullopt;
  QHostAddress address;
  if (address.setAddress(host) && address.isLoopback()) return std::nullopt;
  return ErrorCode::RelayInsecureUrl;
}

Result<std::unique_ptr<RelayConnection>> RelayConnection::create(Options options) {
  if (auto refused = checkUrl(options.url)) return fail(Error(*refused));
  return std::unique_ptr<RelayConnection>(new RelayConnection(std::move(options)));
}

RelayConnection::RelayConnection(Options options)
    : options_(std::move(options)), keys_(std::make_unique<detail::RelayKeyring>()) {
  options_.request_timeout = std::max(options_.request_timeout, 1ms);
  ping_interval_ = std::max(options_.ping_interval, 100ms);
  reconnect_timer_.setSingleShot(true);
  handshake_timer_.setSingleShot(true);
  ping_timer_.setSingleShot(true);
  sweep_timer_.setInterval(std::clamp(options_.request_timeout / 8, 5ms, 250ms));
  connect(&reconnect_timer_, &QTimer::timeout, this, &RelayConnection::openSocket);
  connect(&handshake_timer_, &QTimer::timeout, this,
          [this] { onConnectionLost(ErrorCode::RelayTimeout); });
  connect(&sweep_timer_, &QTimer::timeout, this, &RelayConnection::sweep);
  connect(&ping_timer_, &QTimer::timeout, this, [this] {
    if (state_ != State::Ready) return;
    auto ping = std::make_unique<Request>();
    ping->handle = next_id_++;
    ping->expect = detail::Expect::Pong;
    ping->command = detail::encode_ping();
    ping->connection_bound = true;
    submit(std::move(ping));
  });
}

void RelayConnection::preloadTls() {
  static std::once_flag once;
  std::call_once(once, [] {
    QThreadPool::globalInstance()->start([] { (void)QSslConfiguration::defaultConfiguration(); });
  });
}

RelayConnection::~RelayConnection() {
  closeSocket();
  // Pending callbacks are dropped uncalled (see the header); their keys go with keys_.
}

// ---- commands ------------------------------------------------------------------------------

std::unique_ptr<RelayConnection::Request> RelayConnection::newRequest() {
  auto request = std::make_unique<Request>();
  request->handle = next_id_++;
  request->deadline = Clock::now() + options_.request_timeout;
  return request;
}

void RelayConnection::failLater(Error failure, std::function<void(Error)> fail) {
  if (!fail) return;
  completeLater([failure, fail = std::move(fail)] { fail(failure); });
}

void RelayConnection::createQueue(const wire::KeyPair& recipient, bool contactAddress,
                                  RelayCallback<QueueIds> done) {
  auto request = newRequest();
  request->expect = detail::Expect::Ids;
  request->command = detail::encode_new_queue(recipient.public_key, contactAddress);
  keys_->retain(recipient);
  request->auth_keys.push_back(recipient.public_key);
  request->on_done = [done = std::move(done)](Result<detail::Reply> result) {
    if (!done) return;
    if (!result) return done(std::unexpected(result.error()));
    const auto& ids = std::get<detail::IdsReply>(*result);
    done(QueueIds{ids.recv_id, ids.send_id});
  };
  submit(std::move(request));
}

void RelayConnection::secureQueue(const wire::QueueId& recvId, const wire::KeyPair& recipient,
                                  const wire::PublicKey& senderKey, RelayCallback<void> done) {
  auto request = newRequest();
  request->command = detail::encode_key(recvId, senderKey);
  keys_->retain(recipient);
  request->auth_keys.push_back(recipient.public_key);
  request->on_done = done_void(std::move(done));
  submit(std::move(request));
}

void RelayConnection::send(const wire::QueueId& sendId, const ClientMessageId& clientMsgId,
                           ByteView body, const wire::KeyPair* sender,
                           RelayCallback<SendReceipt> done) {
  if (body.size() > max_body_bytes_) {
    return failLater(Error(ErrorCode::RelayTooLarge),
                     [done](Error f) { done(std::unexpected(std::move(f))); });
  }
  auto request = newRequest();
  request->deadline.reset();
  if (options_.send_timeout > 0ms) request->deadline = Clock::now() + options_.send_timeout;
  request->command = detail::encode_send(sendId, clientMsgId, body);
  if (sender != nullptr) {
    keys_->retain(*sender);
    request->auth_keys.push_back(sender->public_key);
  }
  request->survives_reconnect = true;
  request->retry_transient = true;
  request->on_done = [done = std::move(done)](Result<detail::Reply> result) {
    if (!done) return;
    if (!result) return done(std::unexpected(result.error()));
    done(SendReceipt{std::get<detail::OkReply>(*result).duplicate});
  };
  submit(std::move(request));
}

void RelayConnection::subscribe(std::vector<QueueSubscription> queues, RelayCallback<void> done) {
  if (queues.empty() || queues.size() > wire::kMaxSubBatch) {
    return failLater(Error(ErrorCode::InvalidArgument),
                     [done](Error f) { done(std::unexpected(std::move(f))); });
  }
  auto request = newRequest();
  const std::uint64_t handle = request->handle;
  std::vector<wire::QueueId> recv_ids;
  recv_ids.reserve(queues.size());
  for (const auto& queue : queues) {
    keys_->retain(queue.recipient);  // the subscription's reference
    keys_->retain(queue.recipient);  // the request's
    request->auth_keys.push_back(queue.recipient.public_key);
    forgetSubscription(queue.recv_id);
    subscriptions_[queue.recv_id] = Subscription{queue.recipient.public_key, handle};
    recv_ids.push_back(queue.recv_id);
  }
  request->command = detail::encode_sub(recv_ids);
  request->survives_reconnect = true;
  request->retry_transient = true;
  request->on_done = [this, handle, recv_ids,
                      done = std::move(done)](Result<detail::Reply> result) {
    // Refused by the relay: none is subscribed, none is remembered. Otherwise (answered Ok, or
    // not answered in time) each stays remembered and is renewed on every connection.
    const bool refused = !result && detail::is_relay_answer(result.error().code);
    std::vector<wire::QueueId> unconfirmed;
    for (const auto& recv_id : recv_ids) {
      auto found = subscriptions_.find(recv_id);
      if (found == subscriptions_.end() || found->second.claimed_by != handle) continue;
      if (refused) {
        forgetSubscription(recv_id);
      } else {
        found->second.claimed_by = 0;
        if (!result) unconfirmed.push_back(recv_id);
      }
    }
    // Timed out on a live connection: try again now rather than at the next reconnect.
    if (!unconfirmed.empty() && state_ == State::Ready) resubscribe(std::move(unconfirmed));
    if (!done) return;
    if (!result) return done(std::unexpected(result.error()));
    done(Result<void>{});
  };
  submit(std::move(request));
}

void RelayConnection::unsubscribe(const wire::QueueId& recvId, RelayCallback<void> done) {
  auto found = subscriptions_.find(recvId);
  if (found == subscriptions_.end()) {
    return failLater(Error(ErrorCode::RelayNotSubscribed),
                     [done](Error f) { done(std::unexpected(std::move(f))); });
  }
  const wire::PublicKey key = found->second.recipient_key;
  if (state_ != State::Ready) {  // nothing to undo: the next connection will not subscribe it
    forgetSubscription(recvId);
    if (done) completeLater([done] { done(Result<void>{}); });
    return;
  }
  auto request = newRequest();
  (void)keys_->retain(key);
  forgetSubscription(recvId);
  request->command = detail::encode_unsub(recvId);
  request->auth_keys.push_back(key);
  request->connection_bound = true;
  request->on_done = [done = std::move(done)](Result<detail::Reply> result) {
    if (!done) return;
    // A subscription does not outlive its connection.
    if (!result && result.error().code != ErrorCode::RelayConnectionLost) {
      return done(std::unexpected(result.error()));
    }
    done(Result<void>{});
  };
  submit(std::move(request));
}

void RelayConnection::ack(const wire::QueueId& recvId, std::uint64_t msgId,
                          RelayCallback<void> done) {
  auto found = subscriptions_.find(recvId);
  if (found == subscriptions_.end()) {
    return failLater(Error(ErrorCode::RelayNotSubscribed),
                     [done](Error f) { done(std::unexpected(std::move(f))); });
  }
  auto request = newRequest();
  (void)keys_->retain(found->second.recipient_key);
  request->auth_keys.push_back(found->second.recipient_key);
  request->command = detail::encode_ack(recvId, msgId);
  request->survives_reconnect = true;
  request->retry_transient = true;
  request->on_done = done_void(std::move(done));
  submit(std::move(request));
}

void RelayConnection::deleteQueue(const wire::QueueId& recvId, const wire::KeyPair& recipient,
                                  RelayCallback<void> done) {
  forgetSubscription(recvId);
  auto request = newRequest();
  request->command = detail::encode_del(recvId);
  keys_->retain(recipient);
  request->auth_keys.push_back(recipient.public_key);
  request->on_done = done_void(std::move(done));
  submit(std::move(request));
}

void RelayConnection::putBundle(const wire::QueueId& recvId, const wire::KeyPair& recipient,
                                ByteView bundle, std::vector<Bytes> oneTimeKeys,
                                bool replaceOneTimeKeys, RelayCallback<std::uint32_t> done) {
  const bool key_too_large = std::ranges::any_of(
      oneTimeKeys, [](const Bytes& key) { return key.size() > wire::kMaxOneTimeKeyBytes; });
  const bool key_empty =
      std::ranges::any_of(oneTimeKeys, [](const Bytes& key) { return key.empty(); });
  if (bundle.size() > wire::kMaxBundleBytes || key_too_large) {
    return failLater(Error(ErrorCode::RelayTooLarge),
                     [done](Error f) { done(std::unexpected(std::move(f))); });
  }
  if (oneTimeKeys.size() > wire::kMaxOneTimeKeysPerCommand || key_empty) {
    return failLater(Error(ErrorCode::InvalidArgument),
                     [done](Error f) { done(std::unexpected(std::move(f))); });
  }
  auto request = newRequest();
  request->command = detail::encode_put_bundle(recvId, bundle, oneTimeKeys, replaceOneTimeKeys);
  keys_->retain(recipient);
  request->auth_keys.push_back(recipient.public_key);
  request->on_done = [done = std::move(done)](Result<detail::Reply> result) {
    if (!done) return;
    if (!result) return done(std::unexpected(result.error()));
    done(std::get<detail::OkReply>(*result).one_time_keys_left);
  };
  submit(std::move(request));
}

void RelayConnection::getBundle(const wire::QueueId& sendId, RelayCallback<PrekeyBundle> done) {
  auto request = newRequest();
  request->expect = detail::Expect::Bundle;
  request->command = detail::encode_get_bundle(sendId);
  request->on_done = [done = std::move(done)](Result<detail::Reply> result) {
    if (!done) return;
    if (!result) return done(std::unexpected(result.error()));
    auto& bundle = std::get<detail::BundleReply>(*result);
    done(PrekeyBundle{std::move(bundle.bundle), std::move(bundle.one_time_key)});
  };
  submit(std::move(request));
}

}  // namespace exile::relay::client
