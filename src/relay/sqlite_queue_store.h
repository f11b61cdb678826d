// SqliteQueueStore: the relay's embedded QueueStore, one plain SQLite file (the relay holds only
// ciphertext and public keys, so the file is not encrypted; see relay-protocol.md §8).
//
// WHAT IT STORES. Tables (schema v4, `PRAGMA user_version`; v1 to v3 are upgraded at open):
// queues (ids, public keys, the next msg_id and the queue's stored message count and byte
// total, so quota checks read one row, and a random dedup salt), messages in arrival order
// (body = ciphertext, arrival time, the sender's client_msg_id, unique per queue), released (the
// dedup log: hashes of the client_msg_ids of acked or expired messages and of held ones, keyed
// with their queue's salt, a held message's msg_id sealed under the same hash, and the hour,
// until expire() drops them after the dedup window: a copy of the file ties no row to its queue,
// relay-protocol.md §10), bundles and one_time_keys (opaque). Nothing about who owns a queue.
//
// HELD MESSAGES (relay-protocol.md §5). An append with `request.hold` (its queue has a
// subscriber) is numbered, and only its number is written: the queue's next_msg_id and a
// dedup-log row with the msg_id, sealed (the row goes when the message itself is written). Once
// that is durable, `on_numbered` runs and the message is held in memory (pending() returns it). An
// ack() of it settles it with nothing written but that batch's commit; the ack's and the append's
// dones then both run. Past `hold_for_ack`, and on drain, it is written like any message, in a
// transaction of its own, and its `done` runs when that commit is durable; if writing fails (a full
// disk), it stays held and is tried again a second later. expire() drops held messages that arrived
// before its cutoff. secure_delete stays ON (Exile's pragma): deleted ciphertext is overwritten in
// the database file; WAL frames that held it are dropped by the TRUNCATE checkpoint that ends every
// expire() (and on close). Nothing here logs; errors never carry ids, keys or bodies.
// Beyond the interface: put_bundle refuses (Constraint, nothing changed) to store more than
// `max_one_time_keys` keys per address, the relay's QUOTA (relay-protocol.md §4).
//
// THREADING. Every method may be called from any thread. One writer thread owns the only
// writing connection: append/ack and every other write (create_queue, secure_queue,
// delete_queue, put_bundle, take_bundle, expire) are queued to it, so SQLite sees one writer.
// Blocking writes wait for their commit; append/ack return at once and their `done` runs on the
// writer thread after the commit (it must not block or throw, and must not call a blocking
// method of this store: such a call fails with Internal instead of deadlocking; append/ack and
// drain from a callback are fine). Reads (find_*, pending) lease one of `reader_connections`
// WAL reader connections, which never block the writer. counts() reads counters kept in memory by
// the writer (updated after each commit). Two more threads: the syncer, which makes commits
// durable and runs append/ack callbacks (so "the writer thread" above, for callbacks, means the
// syncer; a blocking call from either fails with Internal), and the checkpointer.
//
// GROUP COMMIT. The writer takes everything queued (at most `max_batch` requests), runs it in
// one BEGIN IMMEDIATE transaction and one COMMIT (one WAL fsync), then runs the callbacks.
// Refusals (Duplicate, QueueFull, NoSuchQueue, an id already taken, NotFound, ...) are decided
// before a request writes anything, so they never affect the other requests of the batch. An
// SQLite error inside the batch, or a failing COMMIT, rolls back the whole batch and every
// request of it gets that error (nothing half-applied; the client retries with the same
// client_msg_id and gets a duplicate if a commit did in fact land).
//
// DURABILITY. journal_mode=WAL; the writer commits with synchronous=NORMAL and the syncer
// fdatasyncs the WAL before it runs the batch's callbacks or returns its blocking writes, while
// the writer runs the next batch (relay-protocol.md §10): a `done` with Stored (or a returned
// write) means the commit is on disk. A full disk fails the batch with ErrorCode::DiskFull and
// loses nothing committed before. drain() (and the destructor) finishes every queued request and
// writes every held message, then refuses new writes with Internal "store is shutting down";
// reads still work until destruction. A held message's `done` (Stored) means it was acked or
// its commit is on disk.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "relay/queue_store.h"

namespace exile::relay {

struct SqliteQueueStoreOptions {
  // Most requests committed in one transaction.
  std::size_t max_batch = 512;
  // WAL reader connections for find_*/pending (each one file descriptor and page cache).
  std::size_t reader_connections = 4;
  // How long a connection waits for a lock held by another process before DatabaseBusy.
  std::chrono::milliseconds busy_timeout{5000};
  // put_bundle fails with Constraint (nothing changed) when an address would hold more
  // one-time keys than this (relay-protocol.md §4: 1,000). 0: no limit.
  std::uint32_t max_one_time_keys = 1000;
  // Caps the database size in pages (PRAGMA max_page_count, 4 KiB pages); past it writes fail
  // with DiskFull. 0: SQLite's default (no practical cap). Also what the disk-full test uses.
  std::uint64_t max_page_count = 0;
  // The dedup log's newest rows kept (in memory, and on disk by expire()): past this many
  // acknowledged or held ids within the dedup window, the oldest are forgotten early
  // (relay-protocol.md §5). About 100 bytes of memory each.
  std::size_t max_released = 262144;
  // How long a message SENT to a subscribed queue is held in memory for its ACK before it is
  // written (relay-protocol.md §5, "Held for the ACK"). 0: every message is written at once.
  std::chrono::milliseconds hold_for_ack{250};
  // Past this many held messages, or bytes of their bodies, the oldest are written without
  // waiting for their hold time (memory stays bounded whatever the recipients do).
  std::size_t max_held_messages = 65536;
  std::int64_t max_held_bytes = std::int64_t{64} << 20;
  // The clock (unix ms) that stamps when an acked or expired message's dedup window starts.
  // Empty: the system clock.
  std::function<std::uint64_t()> now_ms;
};

class SqliteQueueStore final : public QueueStore {
 public:
  using Options = SqliteQueueStoreOptions;
  static constexpr std::int64_t kSchemaVersion = 4;

  // Opens (creating if missing) the store at `file`, upgrading its schema; SchemaTooNew if a
  // newer relay wrote it. DatabaseBusy if another process has it open.
  [[nodiscard]] static Result<std::unique_ptr<SqliteQueueStore>> open(
      const std::filesystem::path& file, Options options = {});

  ~SqliteQueueStore() override;  // drains
  SqliteQueueStore(const SqliteQueueStore&) = delete;
  SqliteQueueStore& operator=(const SqliteQueueStore&) = delete;

  [[nodiscard]] Result<void> create_queue(const QueueRecord& queue) override;
  [[nodiscard]] Result<std::optional<QueueRecord>> find_by_recv_id(const QueueId& id) override;
  [[nodiscard]] Result<std::optional<QueueRecord>> find_by_send_id(const QueueId& id) override;
  [[nodiscard]] Result<void> each_queue_id(
      const std::function<void(const QueueId& recv_id, const QueueId& send_id,
                               bool contact_address)>& visit) override;
  [[nodiscard]] Result<bool> secure_queue(const QueueId& recv_id,
                                          const PublicKey& sender_key) override;
  [[nodiscard]] Result<bool> delete_queue(const QueueId& recv_id) override;

  void append(AppendRequest request, std::function<void(Result<AppendResult>)> done) override;
  void ack(const QueueId& recv_id, std::uint64_t msg_id,
           std::function<void(Result<void>)> done) override;
  [[nodiscard]] Result<std::vector<StoredMessage>> pending(const QueueId& recv_id,
                                                           std::uint64_t after,
                                                           std::size_t limit) override;

  [[nodiscard]] Result<std::uint32_t> put_bundle(const QueueId& recv_id, const Bytes& bundle,
                                                 const std::vector<Bytes>& one_time_keys,
                                                 bool replace_one_time_keys) override;
  [[nodiscard]] Result<std::optional<TakenBundle>> take_bundle(const QueueId& send_id) override;

  [[nodiscard]] Result<std::uint64_t> expire(std::uint64_t message_cutoff_ms,
                                             std::uint64_t dedup_cutoff_ms) override;
  [[nodiscard]] Result<StoreCounts> counts() override;
  void drain() override;

  // Statistics: transactions committed by the writer, and requests they carried (so
  // requests_committed() / commits() is the mean batch size).
  [[nodiscard]] std::uint64_t commits() const;
  [[nodiscard]] std::uint64_t requests_committed() const;

  // Checkpoints the WAL into the database file and truncates the WAL, so deleted ciphertext
  // does not stay in -wal frames (secure_delete only overwrites the database file). expire()
  // ends with one; the relay's minute sweep therefore needs no separate call.
  [[nodiscard]] Result<void> checkpoint();

  // Runs PRAGMA integrity_check on a reader connection: Ok, or DatabaseCorrupt.
  [[nodiscard]] Result<void> check_integrity();

  struct Impl;

 private:
  explicit SqliteQueueStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace exile::relay
