// The relay's protocol logic, without sockets (docs/relay-protocol.md §1-§7).
//
// RelayCore: what all connections share: the store, the queue-record cache, the index of
// existing ids (queue_index.h), the subscriber registry, the per-queue rate limits, the
// counters, the clock, and the executor that runs blocking store calls (the store thread pool,
// served fairly between lanes: fair_store_pool.h; each Session posts under a lane of its own).
// Thread-safe.
//
// Session: one connection's state: its session key pair and nonce (Hello), the command keys
// derived on it, its rate buckets, its subscriptions and their push windows. A Session is used
// on one strand only: every method below runs on it, and every asynchronous completion (store
// pool, store writer thread, another connection's End) comes back through SessionIo::post.
// The websocket Connection (connection.h), the unit tests and the fuzz target drive a Session
// the same way: handle_message(bytes) in, serialized ServerFrames out through SessionIo::send.
//
// Command life: handle_message splits the client's batch into frames; handle_frame parses and
// checks each frame (shutdown, rate, BUSY, sizes), then looks the queue up (cache, else the
// store pool), verifies the tag, and runs the command; a command waiting for the store counts
// as in flight. Each frame that parses gets exactly one answer with its request_id. An id that
// the index knows does not exist is refused without a store read.
//
// Refusal floor (docs/relay-protocol.md §3, "Unknown ids and wrong tags take the same time"):
// an AUTH refusal decided at the lookup (no such queue, or a wrong tag), and GET_BUNDLE's
// NOT_FOUND, is sent no sooner than `refusal_floor` after its frame reached handle_frame, through
// SessionIo::post_at (at once when the owner gives none). An unknown id (answered from the
// index), a known queue with a wrong tag whose record is cached, and one whose record is read
// from the store then all take the floor, not their own work's time; the frame counts as in
// flight until its answer is sent.
//
// Push window (per subscribed queue): `pushed_upto` (highest msg_id pushed), `unacked` (≤ 128),
// `backlog` (the store may hold messages above pushed_upto that are not pushed). New commits are
// pushed directly when there is no backlog and room in the window and in the outgoing buffer;
// otherwise backlog is set and messages are read from the store (pending(after = pushed_upto))
// when room comes back (ACK, or the outgoing buffer drained: on_writable()).
//
// Free ACKs (docs/relay-protocol.md §6): `free_acks` holds the pushed, unacked msg_ids whose
// first ACK on this session has not come yet. An ACK naming one takes no token from the command
// bucket and uses it up, whatever its tag: each push is acked free at most once.
//
// SEND holds (docs/relay-protocol.md §5, "Held behind a refusal"): `send_holds_` maps a
// queue's send_id to the first SEND to it refused for a transient reason on this session. SENDs
// to that queue written after the refused one are refused with the same code until one carrying
// the refused client_msg_id reaches the ordered stage (the lookup continuations), which lifts
// the hold. Holds are made where a refusal is decided (handle_frame: rate, BUSY; do_send:
// first-contact rate, lookup or store failure, QUOTA) and checked in write order at the lookup
// continuation, using each frame's place (`seq`). At most `max_send_holds` queues are held.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/rng.h"
#include "relay/array_hash.h"
#include "relay/metrics.h"
#include "relay/queue_cache.h"
#include "relay/queue_index.h"
#include "relay/queue_store.h"
#include "relay/rate_limit.h"
#include "relay/subscriber_registry.h"
#include "relay/wire/batch.h"
#include "relay/wire/wire.h"

namespace exile::relay {

namespace pb {
class ClientFrame;
class Command;
class ServerFrame;
}  // namespace pb

namespace detail {
struct Request;  // a parsed ClientFrame and its Command (detail/request.h)
}

using Task = std::function<void()>;
using Executor = std::function<void(Task)>;
// Runs blocking store work under a lane (FairStorePool::post; lane 0 is the server's own).
using StoreExecutor = std::function<void(std::uint64_t lane, Task)>;

struct RelayLimits {
  std::uint32_t max_body_bytes = static_cast<std::uint32_t>(wire::kMaxBodyBytes);
  Quota quota{10000, 64ull * 1024 * 1024};
  std::chrono::milliseconds message_ttl = std::chrono::hours(24 * 21);
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(120);
  std::uint32_t rate = 2000;  // commands per second per connection, burst 2 × rate
  // Per minute: GET_BUNDLE per address and per connection (burst 2 ×), unauthenticated SENDs
  // (first contacts) per address queue (burst 3 ×).
  std::uint32_t bundle_rate = 30;
  std::uint32_t first_contact_rate = 10;
  std::size_t max_in_flight = 1024;
  std::size_t push_window = 512;     // pushed, unacked messages per queue (--push-window)
  std::size_t push_read_batch = 32;  // messages per store read for a backlog
  std::size_t push_reads_per_session = 2;
  std::size_t max_malformed = 10;
  std::size_t max_rate_refusals = 100;
  std::size_t key_cache_entries = 4096;
  std::size_t max_new_queue_attempts = 8;
  std::size_t max_one_time_keys_stored = 1000;
  std::size_t max_send_holds = 1024;  // queues held behind a refused SEND per connection (§5)
  // AUTH and GET_BUNDLE NOT_FOUND refusals are sent no sooner than this after their frame
  // arrived (the refusal floor above; docs/relay-protocol.md §3).
  std::chrono::microseconds refusal_floor{5000};
};

enum class CloseCode : std::uint16_t {
  GoingAway = 1001,
  UnsupportedData = 1003,
  PolicyViolation = 1008,
  TooBig = 1009,
};

// How long a client batch is handled before the rest waits for other connections
// (Session::handle_message_in_turns).
struct Turns {
  std::chrono::nanoseconds round{0};  // shared between the batches being handled at once
  std::chrono::nanoseconds min{0};
  std::chrono::nanoseconds max{0};
};

class RelayCore {
 public:
  // `store_pool` runs blocking store calls off the io threads, one lane per Session (new_lane).
  // `monotonic_ms` drives the rate limits (steady clock by default). `ids` draws queue ids
  // (SystemRng in production).
  RelayCore(QueueStore& store, const Clock& clock, Metrics& metrics, RelayLimits limits,
            StoreExecutor store_pool, Rng& ids, std::function<std::int64_t()> monotonic_ms = {});

  [[nodiscard]] QueueStore& store() { return store_; }
  [[nodiscard]] Metrics& metrics() { return metrics_; }
  [[nodiscard]] const RelayLimits& limits() const { return limits_; }
  [[nodiscard]] std::uint64_t now_ms() const;
  [[nodiscard]] std::int64_t monotonic_ms() const { return monotonic_ms_(); }
  void run_blocking(std::uint64_t lane, Task task) { store_pool_(lane, std::move(task)); }
  [[nodiscard]] std::uint64_t new_lane() { return next_lane_.fetch_add(1); }
  [[nodiscard]] wire::QueueId random_queue_id();

  [[nodiscard]] QueueCache& cache() { return cache_; }
  [[nodiscard]] QueueIndex& index() { return index_; }
  [[nodiscard]] SubscriberRegistry& registry() { return registry_; }
  [[nodiscard]] std::uint32_t take_unauthenticated_send(const QueueId& send_id);
  [[nodiscard]] std::uint32_t take_get_bundle(const QueueId& send_id);

  // Client batches being handled in turns now, relay-wide (Session::handle_message_in_turns).
  void batch_started() { batches_in_turns_.fetch_add(1, std::memory_order_relaxed); }
  void batch_ended() { batches_in_turns_.fetch_sub(1, std::memory_order_relaxed); }
  [[nodiscard]] std::uint32_t batches_in_turns() const {
    return batches_in_turns_.load(std::memory_order_relaxed);
  }

  // From now on new commands are answered SHUTTING_DOWN.
  void begin_shutdown() { shutting_down_.store(true); }
  [[nodiscard]] bool shutting_down() const { return shutting_down_.load(); }

 private:
  QueueStore& store_;
  const Clock& clock_;
  Metrics& metrics_;
  RelayLimits limits_;
  StoreExecutor store_pool_;
  std::atomic<std::uint64_t> next_lane_{1};
  std::mutex ids_mutex_;
  Rng& ids_;
  std::function<std::int64_t()> monotonic_ms_;
  QueueCache cache_;
  QueueIndex index_;
  SubscriberRegistry registry_;
  KeyedRateLimiter<QueueId, ArrayHash> unauthenticated_sends_;
  KeyedRateLimiter<QueueId, ArrayHash> bundle_fetches_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<std::uint32_t> batches_in_turns_{0};
};

// How a Session reaches its connection. All set by the owner; `post` may be called from any
// thread, the others are called on the strand only.
struct SessionIo {
  Executor post;                                // runs a task on this session's strand
  std::function<void(std::string frame)> send;  // queues one serialized ServerFrame
  std::function<void(CloseCode)> close;         // closes the connection after queued frames
  std::function<bool()> can_push;  // outgoing buffer below its push watermark (default: yes)
  // Runs a task on this session's strand at `when` (the refusal floor). Empty: the refusal is
  // sent at once.
  std::function<void(std::chrono::steady_clock::time_point when, Task)> post_at;
  // Bytes that may still be queued before pushes stop (default: no bound). A store read for
  // pushes fetches at most 2 × push_room / max body size messages (at least one), so that a
  // connection that may take little is not read much for (relay-protocol.md §6, "Clients that
  // do not read").
  std::function<std::size_t()> push_room;
  // The bodies a store read for pushes returned (+bytes, on the store pool), until its result
  // has been handled on the strand or dropped (−bytes, on whichever thread lets go of it last):
  // counted against the client buffer budget while they wait for the strand (optional; called
  // from any thread).
  std::function<void(std::int64_t bytes)> reading;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // A fresh session key pair and nonce.
  static std::shared_ptr<Session> create(RelayCore& core, SessionIo io);
  // Given ones (tests and the fuzz target, whose seeds carry valid tags).
  static std::shared_ptr<Session> create(RelayCore& core, SessionIo io, wire::KeyPair keys,
                                         const wire::SessionNonce& nonce);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();  // sends Hello
  // One binary message from the client: a ClientBatch (wire/batch.h). A message over
  // kMaxClientMessageBytes, or a frame in it over kMaxFrameBytes, closes the connection (1009);
  // a batch that is not all well-formed records, has none, or has more than
  // kMaxClientBatchFrames gets one Error{MALFORMED} (request_id 0) and none of its frames is
  // handled. Otherwise each frame is handled in order, as if it had come alone.
  void handle_message(ByteView message);
  // The same, in turns (docs/relay-protocol.md §6, "Fair scheduling"): frames are handled until
  // the turn has passed (at least one frame a turn), and the rest after a post to the strand, so
  // that an io thread serves every connection's batches in turn instead of one 256-frame batch
  // after another. A turn is `turns.round` shared between the batches being handled in turns
  // relay-wide at its start, within [turns.min, turns.max] (turn_length). `then` runs on the
  // strand once every frame is handled (or the connection is closing); `message` must stay valid
  // until then. The websocket Connection reads the next message only after `then`.
  void handle_message_in_turns(ByteView message, const Turns& turns, Task then);
  // round / batches, within [min, max] (min wins over max).
  [[nodiscard]] static std::chrono::nanoseconds turn_length(const Turns& turns,
                                                            std::uint32_t batches);
  void handle_frame(ByteView frame);  // one ClientFrame (tests drive frames directly)
  void on_writable();                 // the outgoing buffer drained: resume held-back pushes
  void close();                       // the connection is gone: unsubscribe, wipe keys

  [[nodiscard]] const wire::PublicKey& session_key() const { return keys_.public_key; }
  [[nodiscard]] const wire::SessionNonce& session_nonce() const { return nonce_; }
  [[nodiscard]] std::size_t in_flight() const { return in_flight_; }
  [[nodiscard]] std::size_t subscriptions() const { return subs_.size(); }
  [[nodiscard]] bool closed() const { return closed_; }

  // Called through post() by other sessions and by the store's commit callback.
  void on_taken_over(const QueueId& recv_id);  // another connection subscribed: End
  void on_committed(const QueueId& recv_id, const std::shared_ptr<const StoredMessage>& message);

 private:
  struct Subscription {
    std::uint64_t generation = 0;
    std::uint64_t pushed_upto = 0;
    std::set<std::uint64_t> unacked;
    std::set<std::uint64_t> free_acks;  // ⊆ unacked
    bool backlog = true;
    bool reading = false;
    bool dirty = false;    // a commit was announced while reading
    bool waiting = false;  // in read_queue_
  };
  using Frame = std::shared_ptr<const detail::Request>;
  using Lookup = std::function<void(Result<QueueCache::Record>)>;
  using RecordThen = std::function<void(const QueueRecord&)>;

  Session(RelayCore& core, SessionIo io, wire::KeyPair keys, const wire::SessionNonce& nonce);

  // command_handler.cpp: frame checks, answers, keys, lookups. Every frame that passes the
  // early checks counts as in flight until answer() (or an error reply) sends its one answer.
  // Stops handling this client's commands and closes the connection with `code` (once).
  void close_connection(CloseCode code);
  // The batch's structure (handle_message): false if it was refused (MALFORMED, or closed).
  [[nodiscard]] bool check_batch(ByteView message);
  void handle_turn(wire::BatchReader reader, const Turns& turns, Task then);
  void send_frame(const pb::ServerFrame& frame);
  void answer(const pb::ServerFrame& frame);
  void send_error(std::uint64_t request_id, int code, std::uint32_t index = 0,
                  std::uint32_t retry_after_ms = 0);
  void reply_error(std::uint64_t request_id, int code, std::uint32_t index = 0,
                   std::uint32_t retry_after_ms = 0);
  void reply_ok(std::uint64_t request_id, bool duplicate = false, std::uint32_t keys_left = 0);
  // reply_error for AUTH (or GET_BUNDLE's NOT_FOUND) decided by a lookup or a tag: sent at the
  // refusal floor (see the top of this file).
  void refuse(const detail::Request& request, int code, std::uint32_t index = 0);
  void send_due_refusals();
  // Answers INTERNAL, or SHUTTING_DOWN once the relay is stopping; returns the code sent.
  int reply_internal(std::uint64_t request_id, const Error& error);
  void count_reject(int code);
  // True if `command` is the first ACK, on this session, of a message this session pushed and
  // that is still unacked; that ACK's free pass is then used up.
  [[nodiscard]] bool take_free_ack(const pb::Command& command);
  // `request` (any command) was refused with `code`: if it is a SEND with well-sized ids and
  // the code is transient, later SENDs to its queue are held until its retry. Keeps an
  // existing hold unless this SEND was written before the held one.
  void hold_sends(const detail::Request& request, int code, std::uint32_t retry_after_ms);
  // At the ordered stage of a SEND: true if a hold on its queue covers it (then it is answered
  // with the hold's code); lifts the hold when this SEND is the refused one's retry.
  [[nodiscard]] bool held(const detail::Request& request, const QueueId& send_id,
                          const ClientMessageId& client_msg_id);
  [[nodiscard]] bool authentic(const PublicKey& queue_key, const pb::ClientFrame& frame,
                               std::size_t index);
  void lookup_recv(const QueueId& id, Lookup then);
  void lookup_send(const QueueId& id, Lookup then);
  void lookup(const QueueId& id, bool by_recv_id, Lookup then);
  void run_ready_lookups();
  // Checks recv_id's size (MALFORMED), finds the queue and checks authenticators[0] by its
  // recipient key (AUTH for either failure), then runs `then` on the strand.
  void with_recipient(const Frame& frame, const std::string& recv_id, RecordThen then);
  // Runs `work` on the store pool and `then(result)` back on this strand (unless closed).
  template <class Work, class Then>
  void blocking(Work work, Then then);

  // detail/session_commands.cpp: one function per command.
  void dispatch(const Frame& frame);
  void do_new(const Frame& frame);
  void do_key(const Frame& frame);
  void do_send(const Frame& frame);
  void do_sub(const Frame& frame);
  void finish_sub(const Frame& frame, std::vector<QueueId> ids,
                  std::vector<QueueCache::Record> records);
  void do_unsub(const Frame& frame);
  void do_ack(const Frame& frame);
  void do_del(const Frame& frame);
  void do_put_bundle(const Frame& frame);
  void do_get_bundle(const Frame& frame);

  // detail/session_push.cpp: the push window.
  void start_subscription(const QueueId& recv_id);
  void end_subscription(const QueueId& recv_id);
  void kick(const QueueId& recv_id);
  void start_read(const QueueId& recv_id, Subscription& sub);
  void pump_reads();
  void on_pending(const QueueId& recv_id, std::uint64_t generation, std::size_t limit,
                  Result<std::vector<StoredMessage>> messages);
  void push(const QueueId& recv_id, Subscription& sub, const StoredMessage& message);
  void on_acked_locally(const QueueId& recv_id, std::uint64_t msg_id);
  [[nodiscard]] bool can_push() const { return !io_.can_push || io_.can_push(); }
  // Messages one store read for pushes may fetch, by the room in the outgoing buffer.
  [[nodiscard]] std::size_t read_limit_by_room() const;

  RelayCore& core_;
  SessionIo io_;
  wire::KeyPair keys_;
  wire::SessionNonce nonce_{};
  std::unordered_map<PublicKey, wire::CommandKey, ArrayHash> command_keys_;
  TokenBucket commands_;
  TokenBucket new_queues_;
  TokenBucket bundle_fetches_;
  std::size_t in_flight_ = 0;
  std::size_t malformed_ = 0;
  std::size_t refusals_in_row_ = 0;
  bool closed_ = false;
  bool closing_ = false;  // close requested: further frames are ignored
  std::uint64_t next_generation_ = 1;
  std::unordered_map<QueueId, Subscription, ArrayHash> subs_;
  std::deque<QueueId> read_queue_;  // subscriptions waiting for a store read slot
  struct SendHold {
    ClientMessageId client_msg_id{};  // the refused SEND's: its retry lifts the hold
    std::uint64_t seq = 0;            // the refused SEND's place: later ones are held
    int code = 0;
    std::uint32_t retry_after_ms = 0;
  };
  std::unordered_map<QueueId, SendHold, ArrayHash> send_holds_;
  std::uint64_t next_seq_ = 1;
  // Lookups that missed the cache, and those issued after them, in the order issued: their
  // continuations run in that order, so that commands act in the order they were written.
  struct PendingLookup {
    bool ready = false;
    Result<QueueCache::Record> result;
    Lookup then;
  };
  std::deque<PendingLookup> lookups_;
  std::size_t reads_in_flight_ = 0;
  bool push_blocked_ = false;  // a push was held back by the outgoing buffer
  std::uint64_t lane_ = 0;     // this session's lane in the store pool
  // Refusals waiting for their floor, by when they are due; a post_at is pending for the
  // earliest (timer_for_) if any.
  struct Refusal {
    std::uint64_t request_id = 0;
    int code = 0;
    std::uint32_t index = 0;
  };
  std::multimap<std::chrono::steady_clock::time_point, Refusal> refusals_;
  static constexpr std::size_t kRefusalsPerTurn = 16;  // sent per strand turn (fairness)
  std::optional<std::chrono::steady_clock::time_point> timer_for_;
};

}  // namespace exile::relay
