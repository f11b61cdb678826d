// The relay's storage interface: queues, their messages, and address bundles. One backend is
// built now (SqliteQueueStore: embedded, WAL, group commit); PostgreSQL comes later and must fit
// the same interface. The server never touches SQL: it calls this.
//
// Threading: every method may be called from any thread, concurrently. Methods that return a
// Result block the caller (the server calls them from its store thread pool, never from an
// io_context thread). append() and ack() are asynchronous: they queue the request, a writer
// commits queued requests together (group commit), and `done` runs after the commit is durable
// (on the writer's thread; it must not block).
//
// What a backend stores (and all it stores): random queue ids, the queues' public keys, message
// bodies (ciphertext) with arrival time and the sender's client_msg_id, address bundles and
// one-time keys (opaque). Nothing about who owns a queue.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "relay/wire/wire.h"

namespace exile::relay {

using wire::PublicKey;
using wire::QueueId;

struct QueueRecord {
  QueueId recv_id{};
  QueueId send_id{};
  PublicKey recipient_key{};
  std::optional<PublicKey> sender_key;  // set by KEY; never for an address queue
  bool contact_address = false;
  std::uint64_t created_ms = 0;
};

struct StoredMessage {
  std::uint64_t msg_id = 0;        // per queue, increasing from 1
  std::uint64_t timestamp_ms = 0;  // arrival at the relay
  Bytes body;
};

struct Quota {
  std::uint32_t max_messages = 0;  // stored (unacked) messages per queue
  std::uint64_t max_bytes = 0;     // their bodies' total size
};

enum class AppendStatus {
  Stored,       // committed: msg_id and timestamp_ms are set
  Duplicate,    // this queue already has (or recently had) this client_msg_id: nothing stored
  QueueFull,    // the quota would be exceeded: nothing stored
  NoSuchQueue,  // deleted meanwhile
};

struct AppendResult {
  AppendStatus status = AppendStatus::Stored;
  QueueId recv_id{};  // of the queue appended to (for the push to its subscriber)
  std::uint64_t msg_id = 0;
  std::uint64_t timestamp_ms = 0;
};

struct AppendRequest {
  QueueId send_id{};
  ClientMessageId client_msg_id{};
  Bytes body;
  std::uint64_t now_ms = 0;
  Quota quota;
  // The queue has a subscriber now: a backend may hold the message for its ACK instead of
  // writing it (relay-protocol.md §5, "Held for the ACK"). Then `done` runs once the message is
  // acked or, if no ACK comes within the backend's hold time, once it is stored.
  bool hold = false;
  // Runs once the message has its msg_id and may be pushed, always before `done` (for Stored),
  // on the store's thread; must not block. For a held message this is when its number (not
  // yet the message) is durable; otherwise just before `done`.
  std::function<void(const AppendResult&)> on_numbered;
};

// The dedup window's clock (relay-protocol.md §5, §10). A backend records only the hour in which
// a client_msg_id was acked, expired or held (unix ms / kDedupHourMs), not the exact time, and
// forgets the id once that whole hour lies before the `dedup_cutoff_ms` given to expire(): an id
// is remembered for 24 to 25 hours when the cutoff is 24 hours back.
inline constexpr std::uint64_t kDedupHourMs = 3'600'000;
constexpr std::uint64_t dedup_hour(std::uint64_t unix_ms) { return unix_ms / kDedupHourMs; }
// Whether an id released at `released_ms` is past the window that ends at `dedup_cutoff_ms`.
constexpr bool dedup_window_over(std::uint64_t released_ms, std::uint64_t dedup_cutoff_ms) {
  return dedup_hour(released_ms) < dedup_hour(dedup_cutoff_ms);
}

struct TakenBundle {
  Bytes bundle;
  std::optional<Bytes> one_time_key;  // removed from the store in the same transaction
};

struct StoreCounts {
  std::uint64_t queues = 0;
  std::uint64_t messages = 0;  // stored, not yet acked or expired
  std::uint64_t message_bytes = 0;
};

class QueueStore {
 public:
  virtual ~QueueStore() = default;

  // A new queue. Constraint if either id is taken (the caller draws new ids and retries).
  [[nodiscard]] virtual Result<void> create_queue(const QueueRecord& queue) = 0;
  [[nodiscard]] virtual Result<std::optional<QueueRecord>> find_by_recv_id(const QueueId& id) = 0;
  [[nodiscard]] virtual Result<std::optional<QueueRecord>> find_by_send_id(const QueueId& id) = 0;
  // Calls `visit` with the ids of every queue, and whether it is an address queue, in no
  // particular order (the relay's id index at start: queue_index.h). Blocking; `visit` must not
  // call the store.
  [[nodiscard]] virtual Result<void> each_queue_id(
      const std::function<void(const QueueId& recv_id, const QueueId& send_id,
                               bool contact_address)>& visit) = 0;
  // Sets the sender key if none is set: true; false if the queue was already secured. NotFound
  // if there is no such queue.
  [[nodiscard]] virtual Result<bool> secure_queue(const QueueId& recv_id,
                                                  const PublicKey& sender_key) = 0;
  // Deletes the queue, its messages, dedup records, bundle and one-time keys: true. Ok with false
  // if absent (so of two racing deletes of one queue exactly one returns true).
  [[nodiscard]] virtual Result<bool> delete_queue(const QueueId& recv_id) = 0;

  // Group-committed append (see the threading note above). `done` runs exactly once, and for
  // Stored after `request.on_numbered`.
  virtual void append(AppendRequest request, std::function<void(Result<AppendResult>)> done) = 0;
  // Group-committed delete of one message; Ok if it is already gone. `done` runs exactly once.
  virtual void ack(const QueueId& recv_id, std::uint64_t msg_id,
                   std::function<void(Result<void>)> done) = 0;
  // Stored messages of a queue with msg_id > after, oldest first, at most `limit`.
  [[nodiscard]] virtual Result<std::vector<StoredMessage>> pending(const QueueId& recv_id,
                                                                   std::uint64_t after,
                                                                   std::size_t limit) = 0;

  // Address bundles. put: replaces the bundle if `bundle` is non-empty, drops stored one-time
  // keys if `replace_one_time_keys`, then adds `one_time_keys`; returns how many are stored.
  [[nodiscard]] virtual Result<std::uint32_t> put_bundle(const QueueId& recv_id,
                                                         const Bytes& bundle,
                                                         const std::vector<Bytes>& one_time_keys,
                                                         bool replace_one_time_keys) = 0;
  // The bundle under an address's send_id, with one one-time key removed atomically: two
  // concurrent calls never return the same key. nullopt if no bundle.
  [[nodiscard]] virtual Result<std::optional<TakenBundle>> take_bundle(const QueueId& send_id) = 0;

  // Removes messages that arrived before `message_cutoff_ms` (TTL), and the client_msg_id
  // records of acked or expired messages past the dedup window that ends at `dedup_cutoff_ms`
  // (dedup_window_over above; relay-protocol.md §5). Returns how many messages were removed.
  [[nodiscard]] virtual Result<std::uint64_t> expire(std::uint64_t message_cutoff_ms,
                                                     std::uint64_t dedup_cutoff_ms) = 0;

  [[nodiscard]] virtual Result<StoreCounts> counts() = 0;

  // Finishes every queued append/ack (their `done` callbacks run), then stops accepting new
  // ones (they complete with an error). Called on shutdown; idempotent.
  virtual void drain() = 0;
};

}  // namespace exile::relay
