// RelayConnection's state machine and request bookkeeping (relay_connection.h: STATES,
// REQUESTS). The public commands that feed it are in relay_connection.cpp.
//
// Invariants:
//   - every request in requests_ is unsent (its handle in unsent_, request_id 0), on the wire
//     (request_id != 0, in_flight_[request_id] == handle), or waiting for a deferred completion
//     (neither);
//   - requests are written only in state Ready, when keys_ holds this connection's Hello;
//   - each request's auth_keys and each remembered subscription hold one keys_ reference.
#include <QPointer>
#include <QRandomGenerator>
#include <QWebSocket>
#include <algorithm>
#include <utility>

#include "common/log.h"
#include "relay/client/detail/relay_request.h"
#include "relay/client/relay_connection.h"
#include "relay/wire/batch.h"

namespace exile::relay::client {

namespace wire = relay::wire;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kLog = "relay.client";
// Below the relay's 1,024 (relay-protocol.md §6), so that BUSY means a slow relay, not us.
constexpr std::size_t kMaxInFlight = 512;

bool is_transient(ErrorCode code) {
  return code == ErrorCode::RelayInternal || code == ErrorCode::RelayBusy ||
         code == ErrorCode::RelayRateLimited || code == ErrorCode::RelayShuttingDown;
}

bool matches(detail::Expect expect, const detail::Reply& reply) {
  switch (expect) {
    case detail::Expect::Ok: return std::holds_alternative<detail::OkReply>(reply);
    case detail::Expect::Ids: return std::holds_alternative<detail::IdsReply>(reply);
    case detail::Expect::Bundle: return std::holds_alternative<detail::BundleReply>(reply);
    case detail::Expect::Pong: return std::holds_alternative<detail::PongReply>(reply);
  }
  return false;
}

ByteView view_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

// ---- lifecycle -----------------------------------------------------------------------------

void RelayConnection::start() {
  if (state_ != State::Idle) return;
  failures_ = 0;
  openSocket();
}

void RelayConnection::stop() {
  if (state_ == State::Idle && requests_.empty()) return;
  const bool was_ready = state_ == State::Ready;
  state_ = State::Idle;
  reconnect_timer_.stop();
  handshake_timer_.stop();
  ping_timer_.stop();
  closeSocket();
  keys_->end_session();
  failAll(ErrorCode::RelayStopped);
  if (was_ready) Q_EMIT disconnected();
}

void RelayConnection::reconnect() {
  switch (state_) {
    case State::Idle: start(); return;
    case State::Backoff:
      failures_ = 0;
      reconnect_timer_.start(0);
      return;
    case State::Connecting:
    case State::Ready: onConnectionLost(std::nullopt); return;
  }
}

void RelayConnection::openSocket() {
  closeSocket();
  state_ = State::Connecting;
  auto* socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
  socket_ = socket;
  // A message from the relay is a batch of frames (relay-protocol.md §1), sent as one frame.
  socket->setMaxAllowedIncomingFrameSize(wire::kMaxServerMessageBytes);
  socket->setMaxAllowedIncomingMessageSize(wire::kMaxServerMessageBytes);
  if (options_.tls) socket->setSslConfiguration(*options_.tls);
  connect(socket, &QWebSocket::binaryMessageReceived, this, [this, socket](const QByteArray& m) {
    if (socket == socket_) onBinaryMessage(m);
  });
  connect(socket, &QWebSocket::textMessageReceived, this, [this, socket] {
    if (socket == socket_) onConnectionLost(ErrorCode::RelayProtocolViolation);
  });
  connect(socket, &QWebSocket::disconnected, this, [this, socket] {
    if (socket == socket_) onConnectionLost(ErrorCode::RelayConnectFailed);
  });
  // A certificate that does not verify is never ignored: the handshake fails (an SSL error
  // code), and the reason is kept apart from other failures, since only the user can change it
  // (trust, or the URL).
  connect(socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
          [this, socket](QAbstractSocket::SocketError code) {
            if (socket != socket_) return;
            const bool tls = code == QAbstractSocket::SslHandshakeFailedError ||
                             code == QAbstractSocket::SslInternalError ||
                             code == QAbstractSocket::SslInvalidUserDataError;
            onConnectionLost(tls ? ErrorCode::RelayTlsFailed : ErrorCode::RelayConnectFailed);
          });
  handshake_timer_.start(options_.request_timeout);
  log::write(log::Level::Debug, kLog, "connecting, attempt ", failures_ + 1);
  socket->open(options_.url);
}

void RelayConnection::closeSocket() {
  if (socket_ == nullptr) return;
  QWebSocket* socket = std::exchange(socket_, nullptr);
  socket->disconnect(this);
  socket->abort();
  socket->deleteLater();
}

void RelayConnection::onConnectionLost(std::optional<ErrorCode> reason) {
  if (state_ == State::Idle || state_ == State::Backoff) return;
  const bool was_ready = state_ == State::Ready;
  closeSocket();
  keys_->end_session();
  handshake_timer_.stop();
  ping_timer_.stop();
  state_ = State::Backoff;

  std::vector<std::uint64_t> lost;
  for (const auto& [request_id, handle] : in_flight_) {
    Request& request = *requests_.at(handle);
    request.request_id = 0;
    request.attempt_deadline.reset();
    if (request.survives_reconnect) {
      unsent_.insert(handle);
    } else {
      lost.push_back(handle);
    }
  }
  in_flight_.clear();
  for (const std::uint64_t handle : unsent_) {
    if (requests_.at(handle)->connection_bound) lost.push_back(handle);
  }

  std::chrono::milliseconds delay{0};
  if (reason) {
    delay = relayBackoffDelay(options_.backoff, failures_,
                              QRandomGenerator::global()->generateDouble());
    ++failures_;
  } else {
    failures_ = 0;
  }
  reconnect_timer_.start(delay);
  log::write(log::Level::Info, kLog, "connection closed (",
             reason ? to_string(*reason) : std::string_view("reconnect"), "), retry in ",
             delay.count(), " ms");

  for (const std::uint64_t handle : lost) {
    complete(handle, std::unexpected(Error(ErrorCode::RelayConnectionLost)));
  }
  if (was_ready) Q_EMIT disconnected();
  if (reason && !(was_ready && *reason == ErrorCode::RelayConnectFailed)) Q_EMIT error(*reason);
}

// ---- frames from the relay -----------------------------------------------------------------

void RelayConnection::onBinaryMessage(const QByteArray& message) {
  const ByteView bytes(reinterpret_cast<const std::uint8_t*>(message.constData()),
                       static_cast<std::size_t>(message.size()));
  auto decoded = detail::decode_server_batch(bytes);
  if (auto* failure = std::get_if<detail::DecodeFailure>(&decoded)) {
    onConnectionLost(*failure == detail::DecodeFailure::UnsupportedVersion
                         ? ErrorCode::RelayUnsupportedVersion
                         : ErrorCode::RelayProtocolViolation);
    return;
  }

  // One frame, as if it had come alone. True if it answered a request.
  auto handle_frame = [this](detail::ServerFrame& frame) -> bool {
    if (auto* push = std::get_if<detail::Push>(&frame.body)) {
      if (auto* hello = std::get_if<detail::HelloFrame>(push)) {
        onHello(*hello);
        return false;
      }
      if (state_ != State::Ready) {
        onConnectionLost(ErrorCode::RelayProtocolViolation);
        return false;
      }
      if (auto* msg = std::get_if<detail::MsgPush>(push)) {
        if (!subscriptions_.contains(msg->recv_id)) return false;  // unsubscribed meanwhile
        Q_EMIT messageReceived(msg->recv_id, msg->msg_id,
                               from_millis(static_cast<std::int64_t>(msg->timestamp_ms)),
                               std::move(msg->body));
      } else if (auto* end = std::get_if<detail::EndPush>(push)) {
        if (!subscriptions_.contains(end->recv_id)) return false;
        forgetSubscription(end->recv_id);
        Q_EMIT subscriptionEnded(end->recv_id);
      }
      return false;
    }

    if (state_ != State::Ready) {
      onConnectionLost(ErrorCode::RelayProtocolViolation);
      return false;
    }
    auto found = in_flight_.find(frame.request_id);
    if (found == in_flight_.end()) return false;  // its request timed out meanwhile
    const std::uint64_t handle = found->second;
    in_flight_.erase(found);
    Request& request = *requests_.at(handle);
    request.request_id = 0;
    request.attempt_deadline.reset();

    auto& reply = std::get<detail::Reply>(frame.body);
    if (auto* refusal = std::get_if<detail::ErrorReply>(&reply)) {
      Error failure = detail::error_of(*refusal);
      if (request.retry_transient && is_transient(failure.code)) {
        request.not_before =
            Clock::now() + std::max(failure.retry_after.value_or(0ms), options_.backoff.initial);
        unsent_.insert(handle);
        sweep_timer_.start();
        return false;
      }
      complete(handle, std::unexpected(std::move(failure)));
    } else if (!matches(request.expect, reply)) {
      complete(handle, std::unexpected(Error(ErrorCode::RelayProtocolViolation)));
      Q_EMIT error(ErrorCode::RelayProtocolViolation);
    } else {
      complete(handle, std::move(reply));
    }
    return true;
  };

  // A frame's handler may end this connection (a protocol violation; stop() or reconnect()
  // from a signal or a completion), or this object: the rest of the batch is dropped then.
  const QPointer<RelayConnection> alive(this);
  QWebSocket* const socket = socket_;
  bool answered = false;
  for (detail::ServerFrame& frame : std::get<std::vector<detail::ServerFrame>>(decoded)) {
    answered = handle_frame(frame) || answered;
    if (alive.isNull() || socket_ != socket) return;
  }
  if (answered) flush();  // in-flight slots were freed
}

void RelayConnection::onHello(const detail::HelloFrame& hello) {
  if (state_ != State::Connecting || !wire::acceptable_queue_key(hello.session_key)) {
    onConnectionLost(ErrorCode::RelayProtocolViolation);
    return;
  }
  handshake_timer_.stop();
  keys_->begin_session(hello.session_key, hello.session_nonce);
  max_body_bytes_ = hello.max_body_bytes == 0
                        ? wire::kMaxBodyBytes
                        : std::min<std::size_t>(hello.max_body_bytes, wire::kMaxBodyBytes);
  ping_interval_ = std::max(options_.ping_interval, 100ms);
  if (hello.idle_timeout_seconds > 0) {
    ping_interval_ = std::min<std::chrono::milliseconds>(
        ping_interval_, std::chrono::seconds(hello.idle_timeout_seconds) / 2);
  }
  state_ = State::Ready;
  failures_ = 0;
  log::write(log::Level::Info, kLog, "connected, renewing ", subscriptions_.size(),
             " subscriptions");

  std::vector<wire::QueueId> remembered;
  for (const auto& [recv_id, subscription] : subscriptions_) {
    if (subscription.claimed_by == 0) remembered.push_back(recv_id);
  }
  resubscribe(std::move(remembered));
  flush();
  restartPingTimer();
  Q_EMIT connected();
}

void RelayConnection::restartPingTimer() {
  if (state_ == State::Ready) ping_timer_.start(ping_interval_);
}

// ---- requests ------------------------------------------------------------------------------

std::uint64_t RelayConnection::submit(std::unique_ptr<Request> request) {
  const std::uint64_t handle = request->handle;
  unsent_.insert(handle);
  requests_.emplace(handle, std::move(request));
  if (!sweep_timer_.isActive()) sweep_timer_.start();
  flushSoon();
  return handle;
}

void RelayConnection::flushSoon() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  QTimer::singleShot(0, this, [this] {
    flush_scheduled_ = false;
    flush();
  });
}

void RelayConnection::completeLater(std::function<void()> call) {
  QTimer::singleShot(0, this, std::move(call));
}

void RelayConnection::complete(std::uint64_t handle, Result<detail::Reply> result) {
  auto found = requests_.find(handle);
  if (found == requests_.end()) return;
  std::unique_ptr<Request> request = std::move(found->second);
  requests_.erase(found);
  unsent_.erase(handle);
  if (request->request_id != 0) in_flight_.erase(request->request_id);
  for (const auto& key : request->auth_keys) keys_->release(key);
  if (request->on_done) request->on_done(std::move(result));
}

void RelayConnection::failAll(ErrorCode code) {
  auto pending = std::exchange(requests_, {});
  unsent_.clear();
  in_flight_.clear();
  for (auto& [handle, request] : pending) {
    for (const auto& key : request->auth_keys) keys_->release(key);
  }
  for (auto& [handle, request] : pending) {
    if (request->on_done) request->on_done(std::unexpected(Error(code)));
  }
}

// Writes every request due, packed into ClientBatches (relay-protocol.md §1).
void RelayConnection::flush() {
  if (state_ != State::Ready || socket_ == nullptr) return;
  const auto now = Clock::now();
  bool wrote = false;
  std::vector<std::uint64_t> unusable;
  std::string batch;
  std::size_t frames = 0;
  auto write_batch = [&] {
    if (frames == 0) return;
    socket_->sendBinaryMessage(QByteArray::fromStdString(batch));
    batch.clear();
    frames = 0;
  };
  for (auto it = unsent_.begin(); it != unsent_.end() && in_flight_.size() < kMaxInFlight;) {
    Request& request = *requests_.at(*it);
    if (request.not_before > now) {
      ++it;
      continue;
    }
    const std::uint64_t request_id = next_id_++;
    std::vector<wire::Authenticator> tags;
    tags.reserve(request.auth_keys.size());
    for (const auto& key : request.auth_keys) {
      auto tag = keys_->authenticate(key, request_id, view_of(request.command));
      if (!tag) break;
      tags.push_back(*tag);
    }
    if (tags.size() != request.auth_keys.size()) {
      unusable.push_back(*it);
      it = unsent_.erase(it);
      continue;
    }
    const std::string frame = detail::encode_client_frame(request_id, request.command, tags);
    if (!wire::client_batch_has_room(batch.size(), frames, frame.size())) write_batch();
    wire::append_batch_record(batch, frame);
    ++frames;
    request.request_id = request_id;
    request.attempt_deadline = now + options_.request_timeout;
    in_flight_.emplace(request_id, *it);
    it = unsent_.erase(it);
    wrote = true;
  }
  write_batch();
  if (wrote) restartPingTimer();
  for (const std::uint64_t handle : unusable) {
    completeLater(
        [this, handle] { complete(handle, std::unexpected(Error(ErrorCode::InvalidArgument))); });
  }
}

void RelayConnection::sweep() {
  const auto now = Clock::now();
  std::vector<std::uint64_t> expired;
  bool dead = false;
  for (const auto& [handle, request] : requests_) {
    if (request->deadline && *request->deadline <= now) {
      expired.push_back(handle);
    } else if (request->request_id != 0 && request->attempt_deadline &&
               *request->attempt_deadline <= now &&
               (request->survives_reconnect || request->connection_bound)) {
      dead = true;
    }
  }
  for (const std::uint64_t handle : expired) {
    complete(handle, std::unexpected(Error(ErrorCode::RelayTimeout)));
  }
  if (dead && state_ == State::Ready) {
    log::write(log::Level::Info, kLog, "no answer in time: the connection is dead");
    onConnectionLost(ErrorCode::RelayTimeout);
  }
  flush();
  if (requests_.empty()) sweep_timer_.stop();
}

void RelayConnection::resubscribe(std::vector<wire::QueueId> recv_ids) {
  for (std::size_t first = 0; first < recv_ids.size(); first += wire::kMaxSubBatch) {
    const std::size_t count = std::min(wire::kMaxSubBatch, recv_ids.size() - first);
    std::vector<wire::QueueId> batch(recv_ids.begin() + static_cast<std::ptrdiff_t>(first),
                                     recv_ids.begin() + static_cast<std::ptrdiff_t>(first + count));
    auto request = std::make_unique<Request>();
    request->handle = next_id_++;
    request->command = detail::encode_sub(batch);
    for (const auto& recv_id : batch) {
      const wire::PublicKey& key = subscriptions_.at(recv_id).recipient_key;
      (void)keys_->retain(key);
      request->auth_keys.push_back(key);
    }
    request->connection_bound = true;
    request->retry_transient = true;
    request->on_done = [this, batch](Result<detail::Reply> result) {
      // Done, or not answered: the next Hello subscribes it again.
      if (result || !detail::is_relay_answer(result.error().code)) return;
      const Error& failure = result.error();
      if (failure.index >= batch.size()) {
        Q_EMIT error(failure.code);
        return;
      }
      // All or none: drop the queue the relay refused and subscribe the rest again.
      const wire::QueueId refused = batch[failure.index];
      std::vector<wire::QueueId> rest;
      for (const auto& recv_id : batch) {
        auto found = subscriptions_.find(recv_id);
        if (recv_id != refused && found != subscriptions_.end() && found->second.claimed_by == 0) {
          rest.push_back(recv_id);
        }
      }
      if (subscriptions_.contains(refused)) {
        forgetSubscription(refused);
        Q_EMIT subscriptionEnded(refused);
      }
      if (failure.code != ErrorCode::RelayAuth) Q_EMIT error(failure.code);
      if (state_ == State::Ready) resubscribe(std::move(rest));
    };
    submit(std::move(request));
  }
}

void RelayConnection::forgetSubscription(const wire::QueueId& recv_id) {
  auto found = subscriptions_.find(recv_id);
  if (found == subscriptions_.end()) return;
  keys_->release(found->second.recipient_key);
  subscriptions_.erase(found);
}

}  // namespace exile::relay::client
