// RelayConnection: the client end of the relay protocol (docs/relay-protocol.md,
// proto/relay.proto) over one QWebSocket. It moves ciphertext only: bodies, bundles and
// one-time keys are opaque bytes to it, and plaintext never reaches it.
//
// THREAD. A RelayConnection lives on one thread (the engine's) and never blocks it. Every
// callback and signal is delivered on that thread. Callbacks are never called from inside the
// call that submitted them. Destroying the connection drops pending callbacks without calling
// them; do not destroy it from inside one of its callbacks or signals (use deleteLater()).
//
// STATES (the functions that move between them):
//   Idle ──start()──▶ Connecting ──socket open + Hello (onHello)──▶ Ready
//   Connecting/Ready ──close, error, protocol violation or dead connection (onConnectionLost)──▶
//     Backoff ──timer (openSocket)──▶ Connecting
//   any ──stop()──▶ Idle;   Ready ──reconnect()──▶ Connecting at once
// Backoff waits initial · 2^n (n = failed attempts since the last Hello), capped at `max`, each
// delay scaled by a random factor in [1 − jitter, 1 + jitter].
//
// REQUESTS. Each call queues one command. Commands are written once the connection is Ready,
// each attempt under a fresh request_id and with authenticators from the current Hello (the
// command keys are cached per queue public key and dropped on every reconnect). The callback
// receives the answer or an Error (ErrorCode::Relay*, common/error.h):
//   - send(), ack(), subscribe(): idempotent at the relay, so they survive reconnects: a
//     command whose connection closes before the answer is written again on the next one (a
//     SEND with the same client_msg_id; the relay answers a repeat Ok{duplicate}). The relay's
//     transient errors (INTERNAL, BUSY, RATE_LIMITED, SHUTTING_DOWN) are retried too.
//   - the others fail with ConnectionLost if their connection closes after they were written
//     (they may or may not have been executed), and report every relay error.
//   - Deadlines: send() has Options::send_timeout (0: none, retried until answered or stop());
//     every other request fails with Timeout once Options::request_timeout has passed since it
//     was submitted. A retried command unanswered for request_timeout on a live connection
//     marks the connection dead: it is closed and reopened.
// SUBSCRIPTIONS. subscribe() remembers the queues (and their key pairs) until unsubscribe(),
// deleteQueue(), or the relay ends them (End, or AUTH when resubscribing: subscriptionEnded()).
// After every Hello the remembered queues are subscribed again, in batches of 1,000.
// messageReceived() is emitted for remembered queues only. Ack only after the message is
// committed locally; an unacked message comes again after a reconnect, with the same msg_id.
//
// KEEPALIVE. After ping_interval without a written frame, a PING is sent; if it is not answered
// within request_timeout, the connection is treated as dead.
//
// PRIVACY. Nothing here logs or formats ids, keys or bodies: logs carry event kinds, counts
// and error codes only. Queue secret keys are kept as SecureBuffer clones.
#pragma once

#include <QObject>
#include <QSslConfiguration>
#include <QTimer>
#include <QUrl>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/result.h"
#include "relay/wire/wire.h"

class QWebSocket;

namespace exile::relay::client {

namespace detail {   // private to the connection's sources
struct HelloFrame;   // detail/relay_codec.h
struct Reply;        // detail/relay_codec.h
class RelayKeyring;  // detail/relay_keyring.h
}  // namespace detail

// Results and failures are exile::Result / exile::Error (common/error.h): the relay's codes
// (ErrorCode::Relay* 400-412) and this client's (450-459, and InvalidArgument). An Error from
// the relay carries its retry_after (RATE_LIMITED) and index (SUB: which queue of the batch).
//
// Called once, on the connection's thread; may be empty (fire and forget).
template <class T>
using RelayCallback = std::function<void(Result<T>)>;

struct QueueIds {
  relay::wire::QueueId recv_id{};
  relay::wire::QueueId send_id{};
};

struct SendReceipt {
  bool duplicate = false;  // the relay already held this client_msg_id: nothing was stored
};

struct PrekeyBundle {
  Bytes bundle;
  Bytes one_time_key;  // empty when the address has none left
};

// A queue to subscribe, with the recipient key pair that authenticates it (moved in: the
// connection keeps it for resubscribing).
struct QueueSubscription {
  relay::wire::QueueId recv_id{};
  relay::wire::KeyPair recipient;
};

struct RelayBackoff {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{60'000};
  double jitter = 0.2;  // each delay is scaled by a factor in [1 − jitter, 1 + jitter]
};

// The delay before reconnect attempt `failures` (0 for the first), for `unit_random` in [0, 1).
[[nodiscard]] std::chrono::milliseconds relayBackoffDelay(const RelayBackoff& backoff,
                                                          unsigned failures, double unit_random);

class RelayConnection final : public QObject {
  Q_OBJECT

 public:
  struct Options {
    QUrl url;                              // wss://host[:port]/…, or ws:// to loopback only
    std::optional<QSslConfiguration> tls;  // wss:// only; default: the system's CA store
    RelayBackoff backoff;
    std::chrono::milliseconds request_timeout{30'000};
    std::chrono::milliseconds send_timeout{0};  // 0: retried until answered or stop()
    std::chrono::milliseconds ping_interval{30'000};
  };

  // The connection, not yet started; InsecureUrl or InvalidUrl if the URL is refused.
  [[nodiscard]] static Result<std::unique_ptr<RelayConnection>> create(Options options);
  // Why `url` would be refused, if it would.
  [[nodiscard]] static std::optional<ErrorCode> checkUrl(const QUrl& url);
  // Loads Qt's TLS backend (its plugin, OpenSSL, the default configuration) on a pooled thread,
  // once per process. Otherwise the first QWebSocket of the process loads it, on the thread that
  // makes it, even for a ws:// URL: about 8 ms on the engine's thread at its start, while the
  // app waits there for its first reads. The engine calls this before an unlock's Argon2id, so
  // that the sockets made right after find it loaded. Thread-safe.
  static void preloadTls();

  ~RelayConnection() override;
  RelayConnection(const RelayConnection&) = delete;
  RelayConnection& operator=(const RelayConnection&) = delete;

  void start();      // connect, and keep reconnecting until stop()
  void stop();       // close; every pending request fails with Stopped; subscriptions kept
  void reconnect();  // close the current connection and open a new one at once
  [[nodiscard]] bool isConnected() const { return state_ == State::Ready; }

  void createQueue(const relay::wire::KeyPair& recipient, bool contactAddress,
                   RelayCallback<QueueIds> done);
  void secureQueue(const relay::wire::QueueId& recvId, const relay::wire::KeyPair& recipient,
                   const relay::wire::PublicKey& senderKey, RelayCallback<void> done);
  // `sender` authenticates a SEND to a secured queue; nullptr for an unsecured or address queue.
  void send(const relay::wire::QueueId& sendId, const ClientMessageId& clientMsgId, ByteView body,
            const relay::wire::KeyPair* sender, RelayCallback<SendReceipt> done);
  // At most 1,000 queues per call (relay-protocol.md §4); all are subscribed or none is. A
  // relay error (e.g. AUTH at Error::index) forgets them all; Timeout, ConnectionLost or
  // Stopped keep them remembered, to be subscribed on the next connection.
  void subscribe(std::vector<QueueSubscription> queues, RelayCallback<void> done);
  void unsubscribe(const relay::wire::QueueId& recvId, RelayCallback<void> done);
  // The queue must be subscribed here (its key pair authenticates the ACK).
  void ack(const relay::wire::QueueId& recvId, std::uint64_t msgId, RelayCallback<void> done);
  // Also forgets the queue's subscription here (no subscriptionEnded for it).
  void deleteQueue(const relay::wire::QueueId& recvId, const relay::wire::KeyPair& recipient,
                   RelayCallback<void> done);
  // Answers the number of one-time keys the address holds now.
  void putBundle(const relay::wire::QueueId& recvId, const relay::wire::KeyPair& recipient,
                 ByteView bundle, std::vector<Bytes> oneTimeKeys, bool replaceOneTimeKeys,
                 RelayCallback<std::uint32_t> done);
  void getBundle(const relay::wire::QueueId& sendId, RelayCallback<PrekeyBundle> done);

 Q_SIGNALS:
  void connected();     // a Hello arrived; remembered subscriptions are being renewed
  void disconnected();  // a Ready connection closed (reconnecting follows unless stopped)
  void messageReceived(exile::relay::wire::QueueId recvId, quint64 msgId,
                       exile::UnixMillis timestamp, exile::Bytes body);
  void subscriptionEnded(exile::relay::wire::QueueId recvId);
  // Connection-level problems; a request's own failure goes to its callback only.
  void error(exile::ErrorCode code);

 private:
  enum class State { Idle, Connecting, Ready, Backoff };
  struct Request;
  struct Subscription {
    relay::wire::PublicKey recipient_key{};
    std::uint64_t claimed_by = 0;  // the subscribe() request not answered yet, if any
  };
  using Clock = std::chrono::steady_clock;

  explicit RelayConnection(Options options);

  std::unique_ptr<Request> newRequest();
  std::uint64_t submit(std::unique_ptr<Request> request);
  void failLater(Error failure, std::function<void(Error)> fail);
  void completeLater(std::function<void()> call);
  void complete(std::uint64_t handle, Result<detail::Reply> result);
  void openSocket();
  void closeSocket();
  void onConnectionLost(std::optional<ErrorCode> reason);
  void onBinaryMessage(const QByteArray& message);
  void onHello(const detail::HelloFrame& hello);
  void resubscribe(std::vector<relay::wire::QueueId> recvIds);
  void flush();
  void flushSoon();  // flush() once the event loop turns: requests submitted meanwhile share it
  void sweep();
  void restartPingTimer();
  void failAll(ErrorCode code);
  void forgetSubscription(const relay::wire::QueueId& recvId);

  Options options_;
  State state_ = State::Idle;
  QWebSocket* socket_ = nullptr;  // a child; replaced on every connection attempt
  QTimer reconnect_timer_{this};
  QTimer handshake_timer_{this};  // Connecting: socket open and Hello within request_timeout
  QTimer ping_timer_{this};
  QTimer sweep_timer_{this};  // deadlines and delayed retries, while requests are pending
  unsigned failures_ = 0;     // failed attempts since the last Hello
  std::size_t max_body_bytes_ = relay::wire::kMaxBodyBytes;
  std::chrono::milliseconds ping_interval_{30'000};

  bool flush_scheduled_ = false;
  std::uint64_t next_id_ = 1;  // request handles and wire request ids share one counter
  std::map<std::uint64_t, std::unique_ptr<Request>> requests_;  // by handle: submission order
  std::set<std::uint64_t> unsent_;                              // handles, to be written
  std::map<std::uint64_t, std::uint64_t> in_flight_;            // wire request_id → handle
  std::map<relay::wire::QueueId, Subscription> subscriptions_;
  std::unique_ptr<detail::RelayKeyring> keys_;  // never null
};

}  // namespace exile::relay::client
