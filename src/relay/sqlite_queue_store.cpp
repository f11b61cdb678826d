#include "relay/sqlite_queue_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "common/sodium.h"
#include "relay/array_hash.h"
#include "relay/recent_keys.h"
#include "sqlite/cached_statement.h"
#include "sqlite/database.h"

namespace exile::relay {
namespace {

using sqlite::CachedStatement;
using sqlite::Database;
using sqlite::OpenMode;
using sqlite::Statement;
using sqlite::StatementUse;

// Schema v1 (documented in relay-protocol.md's storage section). Times are unix ms; ids and
// keys are fixed-size blobs. Every table is keyed by recv_id, the queue's primary key.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE queues (
  recv_id         BLOB PRIMARY KEY CHECK (length(recv_id) = 16),
  send_id         BLOB NOT NULL UNIQUE CHECK (length(send_id) = 16),
  recipient_key   BLOB NOT NULL CHECK (length(recipient_key) = 32),
  sender_key      BLOB CHECK (sender_key IS NULL OR length(sender_key) = 32),
  contact_address INTEGER NOT NULL CHECK (contact_address IN (0, 1)),
  created_ms      INTEGER NOT NULL,
  next_msg_id     INTEGER NOT NULL DEFAULT 1 CHECK (next_msg_id >= 1),
  msg_count       INTEGER NOT NULL DEFAULT 0 CHECK (msg_count >= 0),
  msg_bytes       INTEGER NOT NULL DEFAULT 0 CHECK (msg_bytes >= 0)
) STRICT, WITHOUT ROWID;

CREATE TABLE messages (
  recv_id       BLOB NOT NULL,
  msg_id        INTEGER NOT NULL,
  client_msg_id BLOB NOT NULL CHECK (length(client_msg_id) = 16),
  ts_ms         INTEGER NOT NULL,
  body          BLOB NOT NULL,
  PRIMARY KEY (recv_id, msg_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX messages_by_ts ON messages (ts_ms);

CREATE TABLE dedup (
  recv_id       BLOB NOT NULL,
  client_msg_id BLOB NOT NULL CHECK (length(client_msg_id) = 16),
  released_ms   INTEGER,
  PRIMARY KEY (recv_id, client_msg_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX dedup_by_released ON dedup (released_ms) WHERE released_ms IS NOT NULL;

CREATE TABLE bundles (
  recv_id BLOB PRIMARY KEY,
  bundle  BLOB NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE one_time_keys (
  recv_id BLOB NOT NULL,
  seq     INTEGER NOT NULL,
  otk     BLOB NOT NULL,
  PRIMARY KEY (recv_id, seq)
) STRICT, WITHOUT ROWID;
)sql";

// Schema v2, laid out for fewer pages written per message (docs/performance.md):
// - messages are kept in arrival order (rowid `seq`), so new bodies fill pages at the end of the
//   table instead of one partly filled page per queue; (recv_id, msg_id) becomes an index.
// - a stored message's client_msg_id is unique in its queue (an index of messages), and once
//   the message is gone its dedup window goes on in an append-only log of keyed hashes (see
//   released_key()): the dedup table is gone. A SEND is one INSERT, and an ACK one DELETE plus
//   one short row at the end of a table, instead of rewriting a random page of a table a day
//   long.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE messages_v2 (
  seq           INTEGER PRIMARY KEY,
  recv_id       BLOB NOT NULL,
  msg_id        INTEGER NOT NULL,
  client_msg_id BLOB NOT NULL CHECK (length(client_msg_id) = 16),
  ts_ms         INTEGER NOT NULL,
  body          BLOB NOT NULL,
  UNIQUE (recv_id, msg_id),
  UNIQUE (recv_id, client_msg_id)
) STRICT;
INSERT INTO messages_v2 (recv_id, msg_id, client_msg_id, ts_ms, body)
  SELECT recv_id, msg_id, client_msg_id, ts_ms, body FROM messages ORDER BY ts_ms, recv_id, msg_id;
DROP TABLE messages;
ALTER TABLE messages_v2 RENAME TO messages;
CREATE INDEX messages_by_ts ON messages (ts_ms);

CREATE TABLE released (
  seq         INTEGER PRIMARY KEY,
  dedup_key   BLOB NOT NULL CHECK (length(dedup_key) = 16),
  released_ms INTEGER NOT NULL
) STRICT;
)sql";

// Schema v3: messages held for their ACK (relay-protocol.md §5) are never written to
// `messages`; what is written for them is one row of the dedup log with the msg_id they were
// given, so that a retry after a crash gets that msg_id again.
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE released ADD COLUMN msg_id INTEGER;
)sql";

// Schema v4: the dedup log cannot be linked to a queue (relay-protocol.md §10). Each queue gets a
// random dedup_salt, the key of its rows' hashes (dedup_seal()), which dies with the queue. A
// row keeps the hash, the msg_id of a held message sealed under the same key (8 bytes that look
// random, also for the rows of acked and expired messages), and the hour it was written in: no
// msg_id, no exact time. The v2/v3 rows carry a msg_id and a time and cannot be rehashed (their
// client_msg_ids are gone): they are dropped, as the cap of the log drops rows (§5). Salts are
// filled in by migrate(), from libsodium's generator.
constexpr std::string_view kSchemaV4 = R"sql(
CREATE TABLE queues_v4 (
  recv_id         BLOB PRIMARY KEY CHECK (length(recv_id) = 16),
  send_id         BLOB NOT NULL UNIQUE CHECK (length(send_id) = 16),
  recipient_key   BLOB NOT NULL CHECK (length(recipient_key) = 32),
  sender_key      BLOB CHECK (sender_key IS NULL OR length(sender_key) = 32),
  contact_address INTEGER NOT NULL CHECK (contact_address IN (0, 1)),
  created_ms      INTEGER NOT NULL,
  next_msg_id     INTEGER NOT NULL DEFAULT 1 CHECK (next_msg_id >= 1),
  msg_count       INTEGER NOT NULL DEFAULT 0 CHECK (msg_count >= 0),
  msg_bytes       INTEGER NOT NULL DEFAULT 0 CHECK (msg_bytes >= 0),
  dedup_salt      BLOB NOT NULL CHECK (length(dedup_salt) = 32)
) STRICT, WITHOUT ROWID;
INSERT INTO queues_v4 (recv_id, send_id, recipient_key, sender_key, contact_address, created_ms,
                       next_msg_id, msg_count, msg_bytes, dedup_salt)
  SELECT recv_id, send_id, recipient_key, sender_key, contact_address, created_ms, next_msg_id,
         msg_count, msg_bytes, zeroblob(32) FROM queues;
DROP TABLE queues;
ALTER TABLE queues_v4 RENAME TO queues;

DROP TABLE released;
CREATE TABLE released (
  seq       INTEGER PRIMARY KEY,
  dedup_key BLOB NOT NULL CHECK (length(dedup_key) = 16),
  sealed    BLOB NOT NULL CHECK (length(sealed) = 8),
  hour      INTEGER NOT NULL
) STRICT;
)sql";

// Expiry works in chunks of this many rows per transaction, so appends get their turn between.
constexpr std::int64_t kExpireChunk = 4096;

const char* const kShuttingDown = "store is shutting down";

// SQLite integers are signed 64-bit: ids and times are stored as their two's complement
// (lossless round trip). Cutoffs compared in SQL are clamped instead.
std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }
std::int64_t clamp_i64(std::uint64_t v) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(
      v, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
}

template <std::size_t N>
bool copy_blob(const Statement& row, int column, std::array<std::uint8_t, N>& out) {
  const Bytes blob = row.column_blob(column);
  if (blob.size() != N) return false;
  std::copy(blob.begin(), blob.end(), out.begin());
  return true;
}

std::uint64_t system_now_ms() {
  return u64(std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count());
}

Error corrupt_row() { return {ErrorCode::DatabaseCorrupt, "relay store: malformed row"}; }

// Runs one statement that returns a single text row (PRAGMAs).
Result<std::string> pragma_text(Database& db, std::string_view sql) {
  auto statement = db.prepare(sql);
  if (!statement) return fail(std::move(statement).error());
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return std::string();
  return statement->column_text(0);
}

Result<std::int64_t> pragma_int(Database& db, std::string_view sql) {
  auto statement = db.prepare(sql);
  if (!statement) return fail(std::move(statement).error());
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return std::int64_t{0};
  return statement->column_int64(0);
}

// Every connection's settings at open. journal_mode=DELETE, alone on the file, checkpoints a WAL
// left by a crash (the writer switches the file to WAL afterwards; see open()). secure_delete
// overwrites deleted bodies; the writer keeps 32 MiB of page cache (readers lower theirs).
// synchronous is set again once the file is in WAL mode.
constexpr const char* kConnectionPragmas =
    "PRAGMA journal_mode=DELETE;"
    "PRAGMA synchronous=EXTRA;"
    "PRAGMA temp_store=MEMORY;"
    "PRAGMA secure_delete=ON;"
    "PRAGMA mmap_size=0;"
    "PRAGMA cache_size=-32768;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA cell_size_check=ON;";

Result<Database> open_connection(const std::filesystem::path& file, OpenMode mode) {
  auto db = Database::open(file, mode);
  if (!db) return db;
  EXILE_TRY(db->exec(kConnectionPragmas));
  return db;
}

Result<void> set_busy_timeout(Database& db, std::chrono::milliseconds timeout) {
  return db.exec("PRAGMA busy_timeout=" + std::to_string(timeout.count()));
}

// A queue's dedup_salt (schema v4): 32 random bytes, the key of its dedup-log rows.
using DedupSalt = std::array<std::uint8_t, crypto_generichash_KEYBYTES>;
DedupSalt new_dedup_salt() {
  ensure_sodium();
  DedupSalt salt{};
  randombytes_buf(salt.data(), salt.size());
  return salt;
}

// What the dedup log keeps of a client_msg_id of a queue (relay-protocol.md §10): BLAKE2b-192,
// keyed with the queue's dedup_salt, of the label "exile-relay-dedup-v4" and the client_msg_id.
// Its first 16 bytes are the row's dedup_key; the last 8 are XORed onto the big-endian msg_id of
// a held message (0 for an acked or expired one) to give the row's `sealed`. It answers "was
// this (queue, id) acked, expired or held lately, and under which msg_id?" for whoever holds the
// client_msg_id, and nothing else: without the client_msg_id a row links to no queue, no other
// row and no msg_id, and once the queue (its salt) is deleted, to nothing at all.
using ReleasedKey = std::array<std::uint8_t, 16>;
struct DedupSeal {
  ReleasedKey key{};
  std::uint64_t mask = 0;
};
DedupSeal dedup_seal(const DedupSalt& salt, const ClientMessageId& client_msg_id) {
  static constexpr std::string_view kLabel = "exile-relay-dedup-v4";
  std::array<std::uint8_t, kLabel.size() + kClientMessageIdBytes> in{};
  std::copy(kLabel.begin(), kLabel.end(), in.begin());
  std::copy(client_msg_id.begin(), client_msg_id.end(), in.begin() + kLabel.size());
  std::array<std::uint8_t, 24> out{};
  crypto_generichash(out.data(), out.size(), in.data(), in.size(), salt.data(), salt.size());
  DedupSeal seal;
  std::copy(out.begin(), out.begin() + 16, seal.key.begin());
  for (std::size_t i = 16; i < 24; ++i) seal.mask = (seal.mask << 8) | out[i];
  sodium_memzero(out.data(), out.size());
  return seal;
}

// A row's `sealed` column: 8 bytes, big-endian.
using Sealed = std::array<std::uint8_t, 8>;
Sealed seal_msg_id(const DedupSeal& seal, std::uint64_t msg_id) {
  const std::uint64_t v = seal.mask ^ msg_id;
  Sealed out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(v >> (8 * (out.size() - 1 - i)));
  }
  return out;
}
std::uint64_t sealed_value(const Sealed& sealed) {
  std::uint64_t v = 0;
  for (std::uint8_t b : sealed) v = (v << 8) | b;
  return v;
}

Result<void> migrate(Database& db) {
  auto version = pragma_int(db, "PRAGMA user_version");
  if (!version) return fail(std::move(version).error());
  if (*version > SqliteQueueStore::kSchemaVersion) {
    return fail(ErrorCode::SchemaTooNew, "relay store written by a newer exile-relay");
  }
  if (*version == SqliteQueueStore::kSchemaVersion) return {};
  auto tx = db.begin();
  if (!tx) return fail(std::move(tx).error());
  struct V1Released {
    QueueId recv_id{};
    ClientMessageId client_msg_id{};
    std::int64_t released_ms = 0;
  };
  std::vector<V1Released> from_v1;
  // Re-read inside the write lock: another process may have migrated meanwhile.
  auto locked = pragma_int(db, "PRAGMA user_version");
  if (!locked) return fail(std::move(locked).error());
  if (*locked < 1) {
    EXILE_TRY(db.exec(kSchemaV1));
    EXILE_TRY(db.exec("PRAGMA user_version=1"));
  }
  if (*locked < 2) {
    EXILE_TRY(db.exec(kSchemaV2));
    // v1 kept released records in dedup (with their queue and client_msg_id): they move to the
    // log of v4, hashed under their queue's salt, oldest first (below).
    {
      auto old = db.prepare(
          "SELECT recv_id, client_msg_id, released_ms FROM dedup WHERE released_ms IS NOT NULL "
          "ORDER BY released_ms");
      if (!old) return fail(std::move(old).error());
      for (;;) {
        auto row = old->step();
        if (!row) return fail(std::move(row).error());
        if (!*row) break;
        QueueId recv_id{};
        ClientMessageId client_msg_id{};
        if (!copy_blob(*old, 0, recv_id) || !copy_blob(*old, 1, client_msg_id)) {
          return fail(corrupt_row());
        }
        from_v1.push_back({recv_id, client_msg_id, old->column_int64(2)});
      }
    }
    // Its other rows are the stored messages' client_msg_ids, now an index of messages.
    EXILE_TRY(db.exec("DROP TABLE dedup; PRAGMA user_version=2"));
  }
  if (*locked < 3) {
    EXILE_TRY(db.exec(kSchemaV3));
    EXILE_TRY(db.exec("PRAGMA user_version=3"));
  }
  if (*locked < 4) {
    EXILE_TRY(db.exec(kSchemaV4));
    std::vector<QueueId> ids;
    {
      auto all = db.prepare("SELECT recv_id FROM queues");
      if (!all) return fail(std::move(all).error());
      for (;;) {
        auto row = all->step();
        if (!row) return fail(std::move(row).error());
        if (!*row) break;
        if (!copy_blob(*all, 0, ids.emplace_back())) return fail(corrupt_row());
      }
    }
    std::unordered_map<QueueId, DedupSalt, ArrayHash> salts;
    for (const QueueId& id : ids) {
      const DedupSalt salt = new_dedup_salt();
      salts[id] = salt;
      EXILE_TRY(sqlite::execute(db, "UPDATE queues SET dedup_salt = ?2 WHERE recv_id = ?1",
                                ByteView(id), ByteView(salt)));
    }
    for (const V1Released& r : from_v1) {
      auto salt = salts.find(r.recv_id);
      if (salt == salts.end()) continue;  // its queue is gone: so is its dedup window
      const DedupSeal seal = dedup_seal(salt->second, r.client_msg_id);
      EXILE_TRY(
          sqlite::execute(db, "INSERT INTO released (dedup_key, sealed, hour) VALUES (?1, ?2, ?3)",
                          ByteView(seal.key), ByteView(seal_msg_id(seal, 0)),
                          i64(dedup_hour(u64(std::max<std::int64_t>(r.released_ms, 0))))));
    }
    EXILE_TRY(db.exec("PRAGMA user_version=4"));
  }
  // Later versions: `if (*locked < 5) { ... PRAGMA user_version=5 }`.
  return tx->commit();
}

QueueRecord read_queue(const Statement& row, bool& ok) {
  // Columns: recv_id, send_id, recipient_key, sender_key, contact_address, created_ms.
  QueueRecord record;
  ok = copy_blob(row, 0, record.recv_id) && copy_blob(row, 1, record.send_id) &&
       copy_blob(row, 2, record.recipient_key);
  if (!row.column_is_null(3)) {
    PublicKey key{};
    ok = ok && copy_blob(row, 3, key);
    record.sender_key = key;
  }
  record.contact_address = row.column_int64(4) != 0;
  record.created_ms = u64(row.column_int64(5));
  return record;
}

// A reader connection and its statements. Heap-allocated: statements point at `db`.
struct Reader {
  explicit Reader(Database database) : db(std::move(database)) {}
  Database db;
  CachedStatement by_recv{
      "SELECT recv_id, send_id, recipient_key, sender_key, contact_address, created_ms "
      "FROM queues WHERE recv_id = ?1"};
  CachedStatement by_send{
      "SELECT recv_id, send_id, recipient_key, sender_key, contact_address, created_ms "
      "FROM queues WHERE send_id = ?1"};
  CachedStatement pending{
      "SELECT msg_id, ts_ms, body FROM messages WHERE recv_id = ?1 AND msg_id > ?2 "
      "ORDER BY msg_id LIMIT ?3"};
};

// What a committed batch changes in the store-wide counters.
struct CountDelta {
  std::int64_t queues = 0;
  std::int64_t messages = 0;
  std::int64_t bytes = 0;
};

struct Writer;

// A blocking call queued to the writer. Lives on the caller's stack until finished.
struct PendingCall {
  // Runs inside the batch transaction; an error is fatal to the whole batch (rolled back).
  // Refusals go into the caller's own result slot and return Ok.
  std::function<Result<void>(Writer&)> apply;
  // Runs alone, outside any transaction (checkpoints), between batches.
  bool outside_transaction = false;
  std::mutex mutex;
  std::condition_variable cv;
  bool finished = false;
  std::optional<Error> error;

  void finish(const std::optional<Error>& e) {
    std::lock_guard lock(mutex);
    error = e;
    finished = true;
    cv.notify_one();
  }
  void wait() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [this] { return finished; });
  }
};

struct AppendJob {
  AppendRequest request;
  std::function<void(Result<AppendResult>)> done;
  AppendResult result;
  bool held = false;  // numbered and held for its ACK, not written
};
struct AckJob {
  QueueId recv_id{};
  std::uint64_t msg_id = 0;
  std::function<void(Result<void>)> done;
};
struct CallJob {
  PendingCall* call = nullptr;
};
using Job = std::variant<AppendJob, AckJob, CallJob>;

// A queue's message counter and quota totals as the writer last left them. The writer is the
// only connection that changes them, so once read they are kept here and written back once per
// batch (not once per SEND and ACK).
struct QueueState {
  QueueId send_id{};
  DedupSalt salt{};
  std::int64_t next_msg_id = 1;
  std::int64_t count = 0;
  std::int64_t bytes = 0;
  bool dirty = false;
};

// A message held for its ACK (relay-protocol.md §5): it has its msg_id, and that number is
// durable (the queue's next_msg_id and a row of the dedup log), but the message itself is only
// in memory. It is written to `messages` if no ACK comes within the hold time.
struct HeldKey {
  QueueId recv_id{};
  std::uint64_t msg_id = 0;
  auto operator<=>(const HeldKey&) const = default;
};
enum class HeldState {
  Numbering,  // its number is committed, not yet durable: not pushed, not acked
  Held,       // may be pushed and acked
  Inserting,  // being written by the current batch
  Settling,   // acked or expired by the current batch
};
struct HeldMessage {
  HeldState state = HeldState::Numbering;
  ClientMessageId client_msg_id{};
  ReleasedKey dedup_key{};
  std::int64_t log_seq = 0;  // its dedup-log row, deleted when the message is written
  std::uint64_t timestamp_ms = 0;
  Bytes body;
  // The SEND's completion, taken over from its job once the number is durable.
  std::function<void(Result<AppendResult>)> done;
  AppendResult result;
  std::chrono::steady_clock::time_point deadline{};
};
struct HeldTotals {
  std::int64_t count = 0;
  std::int64_t bytes = 0;
};

// What memory keeps of a dedup-log key: `unsettled` for a row an earlier run of the relay wrote
// after its last clean stop, whose `sealed` may hold the msg_id of a message that run held and
// lost in a crash (opened with the client_msg_id of a retry: dedup_seal()). Keys of this run,
// and those before a clean stop, are settled: a retry is a duplicate.
struct Released {
  bool unsettled = false;
  std::uint64_t sealed = 0;
};

using Settled = std::pair<std::function<void(Result<AppendResult>)>, AppendResult>;

// Above this many cached queues the cache is emptied between batches (it refills on use).
constexpr std::size_t kMaxCachedQueues = 65536;

// The writing connection and its statements; used only on the writer thread.
struct Writer {
  explicit Writer(Database database) : db(std::move(database)) {}
  Database db;
  CountDelta delta;       // of the batch being run
  std::uint64_t now = 0;  // the batch's clock reading

  // QueueState of recently written queues, by recv_id; recv_id by send_id; the dirty ones.
  std::unordered_map<QueueId, QueueState, ArrayHash> states;
  std::unordered_map<QueueId, QueueId, ArrayHash> recv_by_send;
  std::vector<QueueId> dirty;

  // The released log's recent keys, oldest first with the hour they were written in (loaded
  // at open, trimmed by expire), and those of the batch being run (added once it commits).
  // Its capacity is Options::max_released (remade at open).
  RecentKeys<Released> released{SqliteQueueStore::Options{}.max_released};
  struct BatchRelease {
    ReleasedKey key{};
    std::uint64_t hour = 0;
  };
  std::vector<BatchRelease> released_in_batch;
  // The same keys, to look up: a batch may release thousands, and every SEND of it asks.
  std::unordered_set<ReleasedKey, ArrayHash> released_in_batch_keys;

  // Messages held for their ACK. held_mutex guards these five (pending() reads `held` from
  // other threads, the syncer makes numbers durable); no SQL runs under it.
  std::chrono::milliseconds hold{0};
  // Past these, the oldest held messages are written without waiting for their hold time
  // (Options::max_held_messages, max_held_bytes).
  std::size_t max_held_messages = 65536;
  std::int64_t max_held_bytes = std::int64_t{64} << 20;
  std::mutex held_mutex;
  std::map<HeldKey, HeldMessage> held;
  std::unordered_map<ReleasedKey, HeldKey, ArrayHash> held_by_dedup;
  std::unordered_map<QueueId, HeldTotals, ArrayHash> held_totals;
  std::deque<HeldKey> held_order;  // in numbering order; erased entries are skipped
  std::int64_t held_bytes = 0;
  // The batch's changes to them, made final at commit or undone at rollback.
  std::vector<HeldKey> held_numbered;
  std::vector<HeldKey> held_inserted;
  std::vector<HeldKey> held_settled;
  bool store_all_held = false;  // write_held writes every held message (shutdown)
  bool held_any = false;        // a message was held since the store opened
  // SENDs the batch settles (held messages acked or written): their `done` runs once the batch
  // is durable.
  std::vector<Settled> settled;

  CachedStatement queue_by_send{
      "SELECT recv_id, next_msg_id, msg_count, msg_bytes, dedup_salt FROM queues "
      "WHERE send_id = ?1"};
  CachedStatement queue_by_recv{
      "SELECT send_id, next_msg_id, msg_count, msg_bytes, dedup_salt FROM queues "
      "WHERE recv_id = ?1"};
  CachedStatement write_state{
      "UPDATE queues SET next_msg_id = ?2, msg_count = ?3, msg_bytes = ?4 WHERE recv_id = ?1"};
  CachedStatement dedup_exists{"SELECT 1 FROM messages WHERE recv_id = ?1 AND client_msg_id = ?2"};
  // Stores nothing if the queue holds this client_msg_id already (then changes() is 0): msg_id
  // is new by construction.
  CachedStatement insert_message{
      "INSERT INTO messages (recv_id, msg_id, client_msg_id, ts_ms, body) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING"};

  CachedStatement take_message{
      "DELETE FROM messages WHERE recv_id = ?1 AND msg_id = ?2 "
      "RETURNING client_msg_id, length(body)"};
  CachedStatement log_dedup{"INSERT INTO released (dedup_key, sealed, hour) VALUES (?1, ?2, ?3)"};
  CachedStatement unlog_dedup{"DELETE FROM released WHERE seq = ?1"};

  CachedStatement insert_queue{
      "INSERT INTO queues (recv_id, send_id, recipient_key, sender_key, contact_address, "
      "created_ms, dedup_salt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"};
  CachedStatement queue_exists{"SELECT 1 FROM queues WHERE recv_id = ?1"};
  CachedStatement secure{
      "UPDATE queues SET sender_key = ?2 WHERE recv_id = ?1 AND sender_key IS NULL"};
  CachedStatement queue_totals{"SELECT msg_count, msg_bytes FROM queues WHERE recv_id = ?1"};

  CachedStatement count_keys{"SELECT count(*) FROM one_time_keys WHERE recv_id = ?1"};
  CachedStatement upsert_bundle{
      "INSERT INTO bundles (recv_id, bundle) VALUES (?1, ?2) "
      "ON CONFLICT (recv_id) DO UPDATE SET bundle = excluded.bundle"};
  CachedStatement delete_keys{"DELETE FROM one_time_keys WHERE recv_id = ?1"};
  CachedStatement max_key_seq{"SELECT coalesce(max(seq), 0) FROM one_time_keys WHERE recv_id = ?1"};
  CachedStatement insert_key{"INSERT INTO one_time_keys (recv_id, seq, otk) VALUES (?1, ?2, ?3)"};
  CachedStatement bundle_by_send{
      "SELECT q.recv_id, b.bundle FROM queues q JOIN bundles b ON b.recv_id = q.recv_id "
      "WHERE q.send_id = ?1"};
  CachedStatement first_key{
      "SELECT seq, otk FROM one_time_keys WHERE recv_id = ?1 ORDER BY seq LIMIT 1"};
  CachedStatement delete_key{"DELETE FROM one_time_keys WHERE recv_id = ?1 AND seq = ?2"};

  CachedStatement expired_messages{
      "SELECT recv_id, msg_id FROM messages WHERE ts_ms < ?1 "
      "ORDER BY ts_ms LIMIT ?2"};
  // The log is in release order (seq), so the oldest rows are found first: those whose hour is
  // past the dedup window, and those older than the newest max_released (never read again:
  // memory and the next start keep only the newest).
  CachedStatement expire_released{
      "DELETE FROM released WHERE seq IN "
      "(SELECT seq FROM released WHERE hour < ?1 OR seq <= ?3 ORDER BY seq LIMIT ?2)"};
  CachedStatement newest_released{"SELECT coalesce(max(seq), 0) FROM released"};
};

// Runs `statement` to completion (no rows expected).
Result<void> run(CachedStatement& cached, Database& db, auto&&... binds) {
  auto use = cached.use(db);
  if (!use) return fail(std::move(use).error());
  int index = 0;
  ((*use)->bind(++index, binds), ...);
  return (*use)->run();
}

// The cached state of the queue whose send_id is `send_id` (read on first use); nullptr and
// `recv_id` untouched if there is no such queue.
Result<QueueState*> state_by_send(Writer& w, const QueueId& send_id, QueueId& recv_id) {
  if (auto it = w.recv_by_send.find(send_id); it != w.recv_by_send.end()) {
    recv_id = it->second;
    return &w.states.at(recv_id);
  }
  auto use = w.queue_by_send.use(w.db);
  if (!use) return fail(std::move(use).error());
  (*use)->bind(1, ByteView(send_id));
  auto row = (*use)->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return nullptr;
  if (!copy_blob(**use, 0, recv_id)) return fail(corrupt_row());
  QueueState& state = w.states[recv_id];
  state = QueueState{
      send_id, {}, (*use)->column_int64(1), (*use)->column_int64(2), (*use)->column_int64(3),
      false};
  if (!copy_blob(**use, 4, state.salt)) {
    w.states.erase(recv_id);
    return fail(corrupt_row());
  }
  w.recv_by_send[send_id] = recv_id;
  return &state;
}

// The cached state of queue `recv_id`; nullptr if there is no such queue.
Result<QueueState*> state_by_recv(Writer& w, const QueueId& recv_id) {
  if (auto it = w.states.find(recv_id); it != w.states.end()) return &it->second;
  auto use = w.queue_by_recv.use(w.db);
  if (!use) return fail(std::move(use).error());
  (*use)->bind(1, ByteView(recv_id));
  auto row = (*use)->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return nullptr;
  QueueState state{
      {}, {}, (*use)->column_int64(1), (*use)->column_int64(2), (*use)->column_int64(3), false};
  if (!copy_blob(**use, 0, state.send_id) || !copy_blob(**use, 4, state.salt)) {
    return fail(corrupt_row());
  }
  w.recv_by_send[state.send_id] = recv_id;
  return &(w.states[recv_id] = state);
}

void mark_dirty(Writer& w, const QueueId& recv_id, QueueState& state) {
  if (state.dirty) return;
  state.dirty = true;
  w.dirty.push_back(recv_id);
}

// Writes the changed queue states back (inside the batch transaction).
Result<void> flush_states(Writer& w) {
  for (const QueueId& id : w.dirty) {
    auto it = w.states.find(id);
    if (it == w.states.end() || !it->second.dirty) continue;
    QueueState& state = it->second;
    EXILE_TRY(run(w.write_state, w.db, ByteView(id), state.next_msg_id, state.count, state.bytes));
    state.dirty = false;
  }
  w.dirty.clear();
  return {};
}

// Drops the cached state of one queue (its row was changed or deleted by SQL directly).
void forget_state(Writer& w, const QueueId& recv_id) {
  auto it = w.states.find(recv_id);
  if (it == w.states.end()) return;
  w.recv_by_send.erase(it->second.send_id);
  w.states.erase(it);
}

// Drops every cached state (after a rollback, or when the cache is full).
void forget_states(Writer& w) {
  w.states.clear();
  w.recv_by_send.clear();
  w.dirty.clear();
}

// `key` was released by the batch being run: remembered once it commits.
void note_released(Writer& w, const ReleasedKey& key) {
  w.released_in_batch.push_back({key, dedup_hour(w.now)});
  w.released_in_batch_keys.insert(key);
}

// The batch is over (committed: its keys are remembered; or rolled back).
void clear_batch_releases(Writer& w) {
  w.released_in_batch.clear();
  w.released_in_batch_keys.clear();
}

// Appends one row to the dedup log: `seal`'s key, `msg_id` sealed (0: acked or expired), the
// batch's hour. Remembered in memory once the batch commits.
Result<void> log_dedup(Writer& w, const DedupSeal& seal, std::uint64_t msg_id) {
  EXILE_TRY(run(w.log_dedup, w.db, ByteView(seal.key), ByteView(seal_msg_id(seal, msg_id)),
                i64(dedup_hour(w.now))));
  note_released(w, seal.key);
  return {};
}

// A message is gone (acked or expired): its client_msg_id's dedup window continues in the
// released log, and in memory once the batch commits.
Result<void> log_released(Writer& w, const DedupSalt& salt, const Bytes& client_msg_id) {
  ClientMessageId id{};
  if (client_msg_id.size() != id.size()) return fail(corrupt_row());
  std::copy(client_msg_id.begin(), client_msg_id.end(), id.begin());
  return log_dedup(w, dedup_seal(salt, id), 0);
}

// Whether (queue, client_msg_id) was acknowledged within the dedup window, as far as memory
// holds: nullopt if not, else what the log keeps of it (settled for this run's keys).
std::optional<Released> recently_released(const Writer& w, const ReleasedKey& key) {
  if (const Released* kept = w.released.find(key)) return *kept;
  if (w.released_in_batch_keys.contains(key)) return Released{};
  return std::nullopt;
}

// --- Held messages (relay-protocol.md §5, "Held for the ACK") ------------------------------
// Callers hold w.held_mutex.

// Removes a held message from every index; its `done` (if any) is returned to the caller.
std::function<void(Result<AppendResult>)> erase_held(Writer& w,
                                                     std::map<HeldKey, HeldMessage>::iterator it) {
  HeldMessage& m = it->second;
  auto done = std::move(m.done);
  const auto size = static_cast<std::int64_t>(m.body.size());
  w.held_by_dedup.erase(m.dedup_key);
  if (auto t = w.held_totals.find(it->first.recv_id); t != w.held_totals.end()) {
    t->second.count -= 1;
    t->second.bytes -= size;
    if (t->second.count <= 0) w.held_totals.erase(t);
  }
  w.held_bytes -= size;
  w.held.erase(it);
  return done;
}

// Drops erased entries from the front of the numbering order.
void trim_held_order(Writer& w) {
  while (!w.held_order.empty() && !w.held.contains(w.held_order.front())) {
    w.held_order.pop_front();
  }
}

bool held_over_cap(const Writer& w) {
  return w.held.size() > w.max_held_messages || w.held_bytes > w.max_held_bytes;
}

// When the writer must next write held messages: nullopt if none waits for a deadline (numbers
// not yet durable do not: the syncer wakes the writer when they are).
std::optional<std::chrono::steady_clock::time_point> next_held_deadline(Writer& w) {
  std::lock_guard lock(w.held_mutex);
  trim_held_order(w);
  if (held_over_cap(w)) return std::chrono::steady_clock::time_point{};
  for (const HeldKey& key : w.held_order) {
    auto it = w.held.find(key);
    if (it == w.held.end()) continue;
    if (it->second.state == HeldState::Held) return it->second.deadline;
    if (it->second.state == HeldState::Numbering) break;
  }
  return std::nullopt;
}

// Writes the held messages whose hold time is over (all of them with w.store_all_held, and the
// oldest while there are too many), inside a transaction of their own (Impl::write_held). A
// message whose queue was deleted meanwhile is not written; its SEND is answered like any
// message deleted with its queue. Every due message is in w.held_inserted before anything is
// written, so that a rollback makes all of them held again.
Result<void> store_held(Writer& w) {
  std::vector<std::pair<HeldKey, const HeldMessage*>> due;
  {
    std::lock_guard lock(w.held_mutex);
    trim_held_order(w);
    const auto now = std::chrono::steady_clock::now();
    auto count = static_cast<std::int64_t>(w.held.size());
    std::int64_t bytes = w.held_bytes;
    for (const HeldKey& key : w.held_order) {
      auto it = w.held.find(key);
      if (it == w.held.end()) continue;
      HeldMessage& m = it->second;
      if (m.state == HeldState::Numbering) break;
      if (m.state != HeldState::Held) continue;
      const bool over =
          count > static_cast<std::int64_t>(w.max_held_messages) || bytes > w.max_held_bytes;
      if (!w.store_all_held && !over && m.deadline > now) break;
      m.state = HeldState::Inserting;
      // Entries stay put: only the writer erases Inserting ones.
      due.emplace_back(key, &m);
      w.held_inserted.push_back(key);
      count -= 1;
      bytes -= static_cast<std::int64_t>(m.body.size());
    }
  }
  for (const auto& [key, m] : due) {
    auto found = state_by_recv(w, key.recv_id);
    if (!found) return fail(std::move(found).error());
    QueueState* state = *found;
    if (state == nullptr) {
      w.delta.messages -= 1;
      w.delta.bytes -= static_cast<std::int64_t>(m->body.size());
      continue;
    }
    EXILE_TRY(run(w.insert_message, w.db, ByteView(key.recv_id), i64(key.msg_id),
                  ByteView(m->client_msg_id), i64(m->timestamp_ms), ByteView(m->body)));
    if (w.db.changes() == 0) continue;  // cannot happen: its ids were checked when numbered
    // Written, its client_msg_id is unique in `messages`: the dedup-log row that kept its
    // msg_id goes, so that no row of the log can be matched with a stored message (its
    // client_msg_id) to tie the row to its queue. A new row starts its window when it is acked.
    EXILE_TRY(run(w.unlog_dedup, w.db, m->log_seq));
    state->count += 1;
    state->bytes += static_cast<std::int64_t>(m->body.size());
    mark_dirty(w, key.recv_id, *state);
  }
  return {};
}

// After the batch's COMMIT: messages it acked or wrote leave memory, and their SENDs are
// settled once the batch is durable.
void commit_held(Writer& w) {
  if (w.held_inserted.empty() && w.held_settled.empty() && w.held_numbered.empty()) return;
  std::lock_guard lock(w.held_mutex);
  for (auto* keys : {&w.held_inserted, &w.held_settled}) {
    for (const HeldKey& key : *keys) {
      auto it = w.held.find(key);
      if (it == w.held.end()) continue;
      AppendResult result = it->second.result;
      auto done = erase_held(w, it);
      if (done) w.settled.emplace_back(std::move(done), result);
    }
    keys->clear();
  }
  w.held_numbered.clear();
}

// After a rollback: numbers the batch gave are void, and what it acked or wrote is held again.
// What it failed to write is tried again in a second, not at once: on a full disk the writer
// would spin.
void roll_back_held(Writer& w) {
  const auto retry = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  std::lock_guard lock(w.held_mutex);
  for (const HeldKey& key : w.held_numbered) {
    if (auto it = w.held.find(key); it != w.held.end()) (void)erase_held(w, it);
  }
  for (const HeldKey& key : w.held_inserted) {
    if (auto it = w.held.find(key); it != w.held.end()) {
      it->second.state = HeldState::Held;
      it->second.deadline = retry;
    }
  }
  for (const HeldKey& key : w.held_settled) {
    if (auto it = w.held.find(key); it != w.held.end()) it->second.state = HeldState::Held;
  }
  w.held_inserted.clear();
  w.held_settled.clear();
  w.held_numbered.clear();
}

// Settles a held message inside the batch (acked or expired): nothing is written for it; it
// leaves memory at COMMIT (commit_held) and its SEND is answered once the batch is durable.
void settle_held(Writer& w, std::map<HeldKey, HeldMessage>::iterator it) {
  it->second.state = HeldState::Settling;
  w.held_settled.push_back(it->first);
  w.delta.messages -= 1;
  w.delta.bytes -= static_cast<std::int64_t>(it->second.body.size());
}

// Expires held messages that arrived before `cutoff_ms`, inside the expiry's batch. Returns how
// many.
std::uint64_t expire_held(Writer& w, std::int64_t cutoff_ms) {
  std::uint64_t expired = 0;
  std::lock_guard lock(w.held_mutex);
  for (auto it = w.held.begin(); it != w.held.end(); ++it) {
    if (it->second.state != HeldState::Held || i64(it->second.timestamp_ms) >= cutoff_ms) continue;
    settle_held(w, it);
    ++expired;
  }
  return expired;
}

}  // namespace

struct SqliteQueueStore::Impl {
  Options options;
  std::unique_ptr<Writer> writer;

  // Reader pool.
  std::vector<std::unique_ptr<Reader>> readers;
  std::vector<Reader*> free_readers;
  std::mutex reader_mutex;
  std::condition_variable reader_cv;

  // Writer queue.
  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::vector<Job> queue;
  bool accepting = true;
  bool stopping = false;
  std::thread thread;
  std::thread::id writer_id;
  std::mutex drain_mutex;

  // Commit pipeline (see the header: DURABILITY). The writer commits with synchronous=NORMAL
  // (no fsync) and hands the batch to the syncer, which fdatasyncs the WAL and only then runs
  // the batch's callbacks; the writer meanwhile runs the next batch. At most kPipelineDepth
  // committed batches wait for their fsync. wal_fd < 0: commits are synchronous=FULL and the
  // syncer only runs callbacks.
  static constexpr std::size_t kPipelineDepth = 2;
  struct Committed {
    std::vector<Job> jobs;
    std::vector<Settled> settled;  // SENDs of held messages this batch acked or wrote
  };
  std::mutex sync_mutex;
  std::condition_variable sync_cv;      // the syncer waits for batches
  std::condition_variable pipeline_cv;  // the writer waits for room in the pipeline
  std::deque<Committed> to_sync;
  std::size_t in_pipeline = 0;  // committed batches whose callbacks have not run yet
  bool sync_stopping = false;
  std::thread syncer;
  std::thread::id syncer_id;
  int wal_fd = -1;

  // Checkpoints (wal_autocheckpoint is off on the writer): a connection of its own copies the
  // WAL into the database when the writer reports at least kCheckpointFrames frames in it.
  static constexpr int kCheckpointFrames = 8192;  // 32 MiB of 4 KiB pages
  std::unique_ptr<Database> checkpointer_db;
  std::mutex checkpoint_mutex;
  std::condition_variable checkpoint_cv;
  bool checkpoint_wanted = false;
  bool checkpoint_stopping = false;
  std::thread checkpointer;
  // Set after each background checkpoint: the writer then checkpoints the frames committed
  // meanwhile (few), so that the WAL is wholly copied and its next transaction starts the WAL
  // file over instead of growing it.
  std::atomic<bool> catch_up{false};

  // Statistics and store-wide counts (written by the writer after each commit).
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> requests{0};
  std::mutex counts_mutex;
  StoreCounts totals;

  ~Impl() {
    stop();
    if (wal_fd >= 0) ::close(wal_fd);
    // Statements and connections close with their owners; the threads are gone.
  }

  // --- Reader pool ---------------------------------------------------------------------

  class Lease {
   public:
    Lease(Impl& impl, Reader* reader) : impl_(&impl), reader_(reader) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      {
        std::lock_guard lock(impl_->reader_mutex);
        impl_->free_readers.push_back(reader_);
      }
      impl_->reader_cv.notify_one();
    }
    Reader& operator*() const { return *reader_; }
    Reader* operator->() const { return reader_; }

   private:
    Impl* impl_;
    Reader* reader_;
  };

  Lease lease() {
    std::unique_lock lock(reader_mutex);
    reader_cv.wait(lock, [this] { return !free_readers.empty(); });
    Reader* reader = free_readers.back();
    free_readers.pop_back();
    return {*this, reader};
  }

  // --- Writer queue --------------------------------------------------------------------

  // Queues a job; false if the store no longer accepts writes.
  bool submit(Job&& job) {
    {
      std::lock_guard lock(queue_mutex);
      if (!accepting) return false;
      queue.push_back(std::move(job));
    }
    queue_cv.notify_one();
    return true;
  }

  // True on the threads that run callbacks or commits: a blocking call there would wait for
  // itself.
  [[nodiscard]] bool on_store_thread() const {
    const auto self = std::this_thread::get_id();
    return self == writer_id || self == syncer_id;
  }

  // Runs `body(writer, out)` inside a writer batch and waits for the batch's commit.
  template <class T, class F>
  Result<T> call(F&& body, bool outside_transaction = false) {
    if (on_store_thread()) {
      return fail(ErrorCode::Internal, "blocking store call from the writer thread");
    }
    Result<T> out = fail(ErrorCode::Internal, "not run");
    PendingCall pending;
    pending.outside_transaction = outside_transaction;
    pending.apply = [&](Writer& w) -> Result<void> { return body(w, out); };
    if (!submit(CallJob{&pending})) return fail(ErrorCode::Internal, kShuttingDown);
    pending.wait();
    if (pending.error) return fail(*pending.error);
    return out;
  }

  void stop() {
    const auto self = std::this_thread::get_id();
    {
      std::lock_guard lock(queue_mutex);
      accepting = false;
      stopping = true;
    }
    queue_cv.notify_all();
    // From a callback (the syncer, or the writer completing a failed batch): the threads exit
    // once everything queued is done; whoever destroys the store joins them.
    if (self == writer_id || self == syncer_id) return;
    std::lock_guard drain_lock(drain_mutex);
    if (thread.joinable()) thread.join();  // every batch is committed and handed over
    {
      std::lock_guard lock(sync_mutex);
      sync_stopping = true;
    }
    sync_cv.notify_all();
    if (syncer.joinable()) syncer.join();  // every callback has run
    {
      std::lock_guard lock(checkpoint_mutex);
      checkpoint_stopping = true;
    }
    checkpoint_cv.notify_all();
    if (checkpointer.joinable()) checkpointer.join();
  }

  void writer_loop() {
    std::vector<Job> taken;
    for (;;) {
      if (catch_up.exchange(false)) {
        int log_frames = 0;
        int copied = 0;
        (void)sqlite3_wal_checkpoint_v2(writer->db.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                        &log_frames, &copied);
      }
      {
        // Room in the pipeline first: while the syncer is behind, requests gather in the
        // queue and the next batch is larger.
        std::unique_lock lock(sync_mutex);
        pipeline_cv.wait(lock, [this] { return in_pipeline < kPipelineDepth; });
      }
      bool last = false;
      {
        std::unique_lock lock(queue_mutex);
        for (;;) {
          if (!queue.empty()) break;
          if (stopping) {
            last = true;  // everything queued is done
            break;
          }
          // Nothing queued: wake for the next held message whose hold time ends.
          const auto next = next_held_deadline(*writer);
          if (next && *next <= std::chrono::steady_clock::now()) break;
          if (next) {
            queue_cv.wait_until(lock, *next);
          } else {
            queue_cv.wait(lock);
          }
        }
        taken.swap(queue);
      }
      if (last) {
        // Numbers still in the pipeline become held first; then every held message is
        // written, so that each SEND is answered before the store closes.
        {
          std::unique_lock lock(sync_mutex);
          pipeline_cv.wait(lock, [this] { return in_pipeline == 0; });
        }
        writer->store_all_held = true;
        write_held();
        writer->store_all_held = false;
        // What could not be written (a full disk) is answered with an error: `done` runs
        // exactly once. Its number is durable, so a retry later gets the same msg_id.
        std::vector<std::function<void(Result<AppendResult>)>> unwritten;
        {
          std::lock_guard lock(writer->held_mutex);
          for (auto& [key, m] : writer->held) {
            if (m.done) unwritten.push_back(std::move(m.done));
          }
        }
        for (auto& done : unwritten) done(fail(ErrorCode::StorageIo, kShuttingDown));
        if (unwritten.empty() && writer->held_any) mark_clean_stop();
        return;
      }
      run_jobs(taken);
      taken.clear();
    }
  }

  // A clean stop: nothing is held any more, so the msg_ids in the dedup log before this row need
  // not be given out again (the row whose dedup_key and sealed are all zero bytes). Best effort:
  // without it, the next start only gives those msg_ids to retries again.
  void mark_clean_stop() {
    Writer& w = *writer;
    const ReleasedKey none{};
    const Sealed zero{};
    (void)transact([&] {
      return run(w.log_dedup, w.db, ByteView(none), ByteView(zero), i64(dedup_hour(w.now)));
    });
  }

  // Splits what was taken into batches of at most max_batch, in order; a call that must run
  // outside a transaction ends the batch before it.
  void run_jobs(std::vector<Job>& jobs) {
    const std::size_t cap = std::max<std::size_t>(options.max_batch, 1);
    std::size_t begin = 0;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      auto* call_job = std::get_if<CallJob>(&jobs[i]);
      if (call_job != nullptr && call_job->call->outside_transaction) {
        if (i > begin) run_batch(std::span<Job>(jobs.data() + begin, i - begin));
        // Alone and synchronous: earlier batches' callbacks may still wait for their fsync.
        auto done = call_job->call->apply(*writer);
        call_job->call->finish(done ? std::nullopt : std::optional<Error>(done.error()));
        begin = i + 1;
      } else if (i + 1 - begin == cap) {
        run_batch(std::span<Job>(jobs.data() + begin, i + 1 - begin));
        begin = i + 1;
      }
    }
    if (begin < jobs.size() || jobs.empty()) {
      run_batch(std::span<Job>(jobs.data() + begin, jobs.size() - begin));
    }
  }

  // Writes the held messages that are due, in a transaction of their own: if that fails (a
  // full disk), they stay held and the requests of the next batch (ACKs, which free space)
  // are not failed with them. Their SENDs are answered once this commit is durable.
  void write_held() {
    Writer& w = *writer;
    if (!w.store_all_held) {
      const auto next = next_held_deadline(w);
      if (!next || *next > std::chrono::steady_clock::now()) return;
    }
    if (transact([&] { return store_held(w); })) return;  // still held: tried again later
    hand_over({}, w.delta);
  }

  // Runs `body` in one writer transaction, with the batch's delta and clock reset, and writes
  // the changed queue states back before COMMIT. On failure everything is undone (the cached
  // states, the dedup keys and the held-message changes of the transaction) and the error is
  // returned; on success they are made final.
  template <class Body>
  std::optional<Error> transact(Body&& body) {
    Writer& w = *writer;
    w.delta = {};
    w.now = options.now_ms ? options.now_ms() : system_now_ms();
    std::optional<Error> fatal;
    {
      auto tx = w.db.begin();
      if (!tx) {
        fatal = std::move(tx).error();
      } else {
        Result<void> applied = body();
        if (applied) applied = flush_states(w);
        if (!applied) {
          fatal = std::move(applied).error();
          tx->rollback();
        } else if (auto committed = tx->commit(); !committed) {
          fatal = std::move(committed).error();
        }
      }
    }
    if (fatal) {
      forget_states(w);  // the cache may hold what was rolled back
      clear_batch_releases(w);
      roll_back_held(w);
      return fatal;
    }
    commit_held(w);
    for (const auto& entry : w.released_in_batch) w.released.put(entry.key, entry.hour, {});
    clear_batch_releases(w);
    return std::nullopt;
  }

  // A committed batch goes to the syncer, which answers it once it is durable.
  void hand_over(std::span<Job> jobs, const CountDelta& delta) {
    Writer& w = *writer;
    commits.fetch_add(1, std::memory_order_relaxed);
    requests.fetch_add(jobs.size(), std::memory_order_relaxed);
    {
      std::lock_guard lock(counts_mutex);
      totals.queues = u64(i64(totals.queues) + delta.queues);
      totals.messages = u64(i64(totals.messages) + delta.messages);
      totals.message_bytes = u64(i64(totals.message_bytes) + delta.bytes);
    }
    Committed batch;
    batch.jobs.reserve(jobs.size());
    for (Job& job : jobs) batch.jobs.push_back(std::move(job));
    batch.settled.swap(w.settled);
    {
      std::lock_guard lock(sync_mutex);
      to_sync.push_back(std::move(batch));
      ++in_pipeline;
    }
    sync_cv.notify_one();
  }

  void run_batch(std::span<Job> jobs) {
    Writer& w = *writer;
    write_held();
    if (jobs.empty()) return;
    if (w.states.size() > kMaxCachedQueues) forget_states(w);
    auto fatal = transact([&]() -> Result<void> {
      for (Job& job : jobs) {
        // Calls may read or change queue rows with SQL: they see the cached states first.
        if (std::holds_alternative<CallJob>(job)) EXILE_TRY(flush_states(w));
        EXILE_TRY(std::visit([&](auto& j) { return apply(w, j); }, job));
      }
      return {};
    });
    if (fatal) {
      for (Job& job : jobs) complete(job, fatal);
      return;
    }
    hand_over(jobs, w.delta);
  }

  // The syncer: makes committed batches durable (one fdatasync of the WAL covers every batch
  // committed before it), then runs their callbacks.
  void syncer_loop() {
    std::deque<Committed> taken;
    for (;;) {
      {
        std::unique_lock lock(sync_mutex);
        sync_cv.wait(lock, [this] { return !to_sync.empty() || sync_stopping; });
        if (to_sync.empty()) return;  // stopping, and every batch is done
        taken.swap(to_sync);
      }
      std::optional<Error> fatal;
      if (wal_fd >= 0 && ::fdatasync(wal_fd) != 0) {
        // The commits are in the WAL but not known to be on disk: nobody is told they are
        // durable. Their requests fail; a retry with the same client_msg_id is a duplicate.
        fatal = Error{ErrorCode::StorageIo, "relay store: WAL fsync failed"};
      }
      const std::size_t batches = taken.size();
      bool numbered = false;
      for (Committed& batch : taken) {
        for (Job& job : batch.jobs) {
          const auto* a = std::get_if<AppendJob>(&job);
          numbered = numbered || (a != nullptr && a->held);
          complete(job, fatal);
        }
        for (auto& [done, result] : batch.settled) {
          if (fatal) {
            done(fail(*fatal));
          } else {
            done(result);
          }
        }
      }
      taken.clear();
      if (numbered) {
        // Messages became held: the writer may be waiting with no deadline.
        { std::lock_guard lock(queue_mutex); }
        queue_cv.notify_one();
      }
      {
        std::lock_guard lock(sync_mutex);
        in_pipeline -= batches;
      }
      pipeline_cv.notify_one();
    }
  }

  // Called by SQLite on the writer thread after each commit, with the WAL's size in frames.
  static int on_wal_commit(void* arg, sqlite3* /*db*/, const char* /*name*/, int frames) {
    auto* impl = static_cast<Impl*>(arg);
    if (frames >= kCheckpointFrames) {
      {
        std::lock_guard lock(impl->checkpoint_mutex);
        impl->checkpoint_wanted = true;
      }
      impl->checkpoint_cv.notify_one();
    }
    return SQLITE_OK;
  }

  void checkpointer_loop() {
    for (;;) {
      {
        std::unique_lock lock(checkpoint_mutex);
        checkpoint_cv.wait(lock, [this] { return checkpoint_wanted || checkpoint_stopping; });
        if (checkpoint_stopping) return;
        checkpoint_wanted = false;
      }
      // PASSIVE: copies what no reader still needs, never blocks the writer or readers. A
      // failure leaves the WAL as it is; the next report or the minute sweep tries again.
      int log_frames = 0;
      int copied = 0;
      (void)sqlite3_wal_checkpoint_v2(checkpointer_db->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                      &log_frames, &copied);
      catch_up.store(true);
    }
  }

  void complete(Job& job, const std::optional<Error>& fatal) {
    if (auto* a = std::get_if<AppendJob>(&job)) {
      auto done = std::move(a->done);
      if (a->held) {
        // Its number is durable (or, after a failed fsync, committed): the message is held
        // from now on and may be pushed; `done` waits for its ACK or for it to be written. A
        // rolled-back batch already dropped it.
        bool kept = false;
        {
          Writer& w = *writer;
          std::lock_guard lock(w.held_mutex);
          if (auto it = w.held.find(HeldKey{a->result.recv_id, a->result.msg_id});
              it != w.held.end() && it->second.state == HeldState::Numbering) {
            it->second.state = HeldState::Held;
            it->second.deadline = std::chrono::steady_clock::now() + w.hold;
            it->second.result = a->result;
            // After a failed fsync the SEND fails now; its retry is a duplicate of this one.
            if (!fatal) it->second.done = std::move(done);
            kept = true;
          }
        }
        if (kept && a->request.on_numbered) a->request.on_numbered(a->result);
        if (fatal || !kept) done(fail(fatal ? *fatal : Error{ErrorCode::Internal, "not run"}));
        return;
      }
      if (fatal) {
        done(fail(*fatal));
      } else {
        if (a->result.status == AppendStatus::Stored && a->request.on_numbered) {
          a->request.on_numbered(a->result);
        }
        done(a->result);
      }
    } else if (auto* k = std::get_if<AckJob>(&job)) {
      auto done = std::move(k->done);
      if (fatal) {
        done(fail(*fatal));
      } else {
        done(Result<void>{});
      }
    } else {
      std::get<CallJob>(job).call->finish(fatal);
    }
  }

  // --- Writes (writer thread, inside the batch transaction) ------------------------------

  static Result<void> apply(Writer& w, CallJob& job) { return job.call->apply(w); }

  static Result<void> apply(Writer& w, AppendJob& job) {
    AppendRequest& request = job.request;
    AppendResult& result = job.result;
    auto found = state_by_send(w, request.send_id, result.recv_id);
    if (!found) return fail(std::move(found).error());
    QueueState* state = *found;
    if (state == nullptr) {
      result.status = AppendStatus::NoSuchQueue;
      return {};
    }
    const std::uint64_t size = request.body.size();
    const DedupSeal seal = dedup_seal(state->salt, request.client_msg_id);
    const ReleasedKey& key = seal.key;
    HeldTotals held{};
    bool is_held = false;
    bool may_hold = false;
    {
      std::lock_guard lock(w.held_mutex);
      if (auto t = w.held_totals.find(result.recv_id); t != w.held_totals.end()) held = t->second;
      is_held = w.held_by_dedup.contains(key);
      may_hold = request.hold && w.hold.count() > 0 && !held_over_cap(w);
    }
    if (is_held) {
      result.status = AppendStatus::Duplicate;
      return {};
    }
    const auto released = recently_released(w, key);
    if (u64(state->count + held.count) + 1 > request.quota.max_messages ||
        u64(state->bytes + held.bytes) + size > request.quota.max_bytes) {
      // A retry of a stored message is still a duplicate, even with the queue full.
      auto stored = stored_under(w, result.recv_id, request.client_msg_id);
      if (!stored) return fail(std::move(stored).error());
      result.status = *stored || released ? AppendStatus::Duplicate : AppendStatus::QueueFull;
      return {};
    }
    std::int64_t msg_id = state->next_msg_id;
    if (released) {
      // Acked or expired: a duplicate. Unless an earlier run of the relay held it under a
      // msg_id and may have lost it in a crash: then it is stored again under that msg_id, so
      // that a recipient who had it sees the same message again and drops it.
      const std::uint64_t earlier = released->unsettled ? released->sealed ^ seal.mask : 0;
      if (earlier == 0 || earlier >= u64(state->next_msg_id)) {
        result.status = AppendStatus::Duplicate;
        return {};
      }
      msg_id = i64(earlier);
      may_hold = false;
    }
    if (may_hold) {
      // Held for its ACK: its number is made durable (the queue's next_msg_id, and a dedup log
      // row that gives a retry after a crash the same msg_id); the message stays in memory.
      auto stored = stored_under(w, result.recv_id, request.client_msg_id);
      if (!stored) return fail(std::move(stored).error());
      if (*stored) {
        result.status = AppendStatus::Duplicate;
        return {};
      }
      EXILE_TRY(log_dedup(w, seal, u64(msg_id)));
      const std::int64_t log_seq = w.db.last_insert_rowid();
      const HeldKey held_key{result.recv_id, u64(msg_id)};
      {
        std::lock_guard lock(w.held_mutex);
        HeldMessage& m = w.held[held_key];
        m.client_msg_id = request.client_msg_id;
        m.dedup_key = key;
        m.log_seq = log_seq;
        m.timestamp_ms = request.now_ms;
        m.body = std::move(request.body);
        w.held_by_dedup[key] = held_key;
        HeldTotals& totals = w.held_totals[result.recv_id];
        totals.count += 1;
        totals.bytes += i64(size);
        w.held_bytes += i64(size);
        w.held_order.push_back(held_key);
      }
      w.held_numbered.push_back(held_key);
      w.held_any = true;
      job.held = true;
    } else {
      EXILE_TRY(run(w.insert_message, w.db, ByteView(result.recv_id), msg_id,
                    ByteView(request.client_msg_id), i64(request.now_ms), ByteView(request.body)));
      if (w.db.changes() == 0) {
        result.status = AppendStatus::Duplicate;
        return {};
      }
      state->count += 1;
      state->bytes += i64(size);
    }
    if (!released) state->next_msg_id = msg_id + 1;
    mark_dirty(w, result.recv_id, *state);
    result.status = AppendStatus::Stored;
    result.msg_id = u64(msg_id);
    result.timestamp_ms = request.now_ms;
    w.delta.messages += 1;
    w.delta.bytes += i64(size);
    return {};
  }

  // Whether queue `recv_id` stores a message with this client_msg_id.
  static Result<bool> stored_under(Writer& w, const QueueId& recv_id,
                                   const ClientMessageId& client_msg_id) {
    auto d = w.dedup_exists.use(w.db);
    if (!d) return fail(std::move(d).error());
    (*d)->bind(1, ByteView(recv_id)).bind(2, ByteView(client_msg_id));
    return (*d)->step();
  }

  // Removes one stored message of queue `recv_id` and starts its dedup window (one DELETE ...
  // RETURNING, one row of the log under the queue's salt), correcting the queue's cached totals
  // (`state`, from state_by_recv; nullptr if the queue is gone). False if there is no such
  // message.
  static Result<bool> remove_message(Writer& w, const QueueId& recv_id, QueueState* state,
                                     std::int64_t msg_id) {
    Bytes client_msg_id;
    std::int64_t size = 0;
    {
      auto m = w.take_message.use(w.db);
      if (!m) return fail(std::move(m).error());
      (*m)->bind(1, ByteView(recv_id)).bind(2, msg_id);
      auto row = (*m)->step();
      if (!row) return fail(std::move(row).error());
      if (!*row) return false;
      client_msg_id = (*m)->column_blob(0);
      size = (*m)->column_int64(1);
      auto rest = (*m)->step();  // finishes the statement
      if (!rest) return fail(std::move(rest).error());
    }
    if (state != nullptr) {
      EXILE_TRY(log_released(w, state->salt, client_msg_id));
      state->count -= 1;
      state->bytes -= size;
      mark_dirty(w, recv_id, *state);
    }
    w.delta.messages -= 1;
    w.delta.bytes -= size;
    return true;
  }

  static Result<void> apply(Writer& w, AckJob& job) {
    {
      // A held message: settled in memory, nothing written (its dedup log row is).
      std::lock_guard lock(w.held_mutex);
      if (auto it = w.held.find(HeldKey{job.recv_id, job.msg_id});
          it != w.held.end() && it->second.state == HeldState::Held) {
        settle_held(w, it);
        return {};
      }
    }
    auto found = state_by_recv(w, job.recv_id);
    if (!found) return fail(std::move(found).error());
    if (*found == nullptr) return {};  // no such queue: nothing to ack
    // Not removed: already gone (acked before, expired, or never stored).
    auto removed = remove_message(w, job.recv_id, *found, i64(job.msg_id));
    if (!removed) return fail(std::move(removed).error());
    return {};
  }

  static Result<bool> queue_exists(Writer& w, const QueueId& recv_id) {
    auto use = w.queue_exists.use(w.db);
    if (!use) return fail(std::move(use).error());
    (*use)->bind(1, ByteView(recv_id));
    return (*use)->step();
  }
};

// --- SqliteQueueStore ----------------------------------------------------------------------

SqliteQueueStore::SqliteQueueStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteQueueStore::~SqliteQueueStore() { drain(); }

Result<std::unique_ptr<SqliteQueueStore>> SqliteQueueStore::open(const std::filesystem::path& file,
                                                                 Options options) {
  if (options.max_batch == 0) options.max_batch = 1;
  if (options.reader_connections == 0) options.reader_connections = 1;
  auto impl = std::make_unique<Impl>();

  // The writer first. open_connection sets journal_mode=DELETE, which (alone on the file)
  // checkpoints any WAL left by a crash. Readers open while the file is still in DELETE
  // mode (their own journal_mode=DELETE is then a no-op; in WAL mode it would need the
  // writer's lock), and only then does the writer switch the file to WAL.
  auto db = open_connection(file, OpenMode::CreateIfMissing);
  if (!db) return fail(std::move(db).error());
  impl->writer = std::make_unique<Writer>(std::move(*db));
  Database& w = impl->writer->db;
  EXILE_TRY(set_busy_timeout(w, options.busy_timeout));
  EXILE_TRY(migrate(w));
  impl->writer->released = RecentKeys<Released>(options.max_released);
  impl->writer->max_held_messages = options.max_held_messages;
  impl->writer->max_held_bytes = std::max<std::int64_t>(options.max_held_bytes, 0);

  for (std::size_t i = 0; i < options.reader_connections; ++i) {
    auto reader = open_connection(file, OpenMode::OpenExisting);
    if (!reader) return fail(std::move(reader).error());
    EXILE_TRY(set_busy_timeout(*reader, options.busy_timeout));
    // Readers never write; a smaller page cache each (the writer keeps 32 MiB).
    EXILE_TRY(reader->exec("PRAGMA query_only=ON; PRAGMA cache_size=-8192"));
    impl->readers.push_back(std::make_unique<Reader>(std::move(*reader)));
    impl->free_readers.push_back(impl->readers.back().get());
  }
  {
    auto checkpointer = open_connection(file, OpenMode::OpenExisting);
    if (!checkpointer) return fail(std::move(checkpointer).error());
    EXILE_TRY(set_busy_timeout(*checkpointer, options.busy_timeout));
    impl->checkpointer_db = std::make_unique<Database>(std::move(*checkpointer));
  }

  auto mode = pragma_text(w, "PRAGMA journal_mode=WAL");
  if (!mode) return fail(std::move(mode).error());
  if (*mode != "wal") return fail(ErrorCode::StorageIo, "relay store: cannot enable WAL");
  // Durable before OK: every commit fsyncs the WAL, either in COMMIT (synchronous=FULL) or, once
  // the WAL file is open here, in the syncer (synchronous=NORMAL, then fdatasync; see the
  // commit pipeline in Impl). Checkpoints run on their own connection, not inside commits.
  // secure_delete stays ON (from kConnectionPragmas); a WAL grown by a burst is truncated back
  // after checkpoints.
  EXILE_TRY(w.exec(
      "PRAGMA synchronous=FULL; PRAGMA journal_size_limit=67108864; PRAGMA wal_autocheckpoint=0"));
  // The WAL exists once a transaction has run in WAL mode; the checkpointer's connection finds
  // the file in WAL mode at its first read.
  for (Database* connection : {&w, impl->checkpointer_db.get()}) {
    if (auto touched = pragma_int(*connection, "SELECT count(*) FROM sqlite_schema"); !touched) {
      return fail(std::move(touched).error());
    }
  }
  {
    const std::string wal = file.string() + "-wal";
    impl->wal_fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
    if (impl->wal_fd >= 0) EXILE_TRY(w.exec("PRAGMA synchronous=NORMAL"));
  }
  if (options.max_page_count > 0) {
    EXILE_TRY(w.exec("PRAGMA max_page_count=" + std::to_string(options.max_page_count)));
  }
  auto secure = pragma_int(w, "PRAGMA secure_delete");
  if (!secure) return fail(std::move(secure).error());
  if (*secure != 1) return fail(ErrorCode::Internal, "relay store: secure_delete is off");

  {
    auto totals = w.prepare(
        "SELECT count(*), coalesce(sum(msg_count), 0), coalesce(sum(msg_bytes), 0) FROM queues");
    if (!totals) return fail(std::move(totals).error());
    auto row = totals->step();
    if (!row) return fail(std::move(row).error());
    if (*row) {
      impl->totals.queues = u64(totals->column_int64(0));
      impl->totals.messages = u64(totals->column_int64(1));
      impl->totals.message_bytes = u64(totals->column_int64(2));
    }
  }

  {
    // The newest part of the released log, oldest first, into memory.
    auto recent = w.prepare(
        "SELECT dedup_key, sealed, hour FROM (SELECT seq, dedup_key, sealed, hour "
        "FROM released ORDER BY seq DESC LIMIT ?1) ORDER BY seq");
    if (!recent) return fail(std::move(recent).error());
    recent->bind(1, static_cast<std::int64_t>(impl->writer->released.capacity()));
    for (;;) {
      auto row = recent->step();
      if (!row) return fail(std::move(row).error());
      if (!*row) break;
      ReleasedKey key{};
      Sealed sealed{};
      if (!copy_blob(*recent, 0, key) || !copy_blob(*recent, 1, sealed)) {
        return fail(corrupt_row());
      }
      // All zero bytes: the relay stopped cleanly here, so every held message before was acked
      // or written. After the last such row, a row's sealed value may hold the msg_id of a
      // message this relay held before it stopped (it may have been lost): it is opened with a
      // retry's client_msg_id (Impl::apply).
      if (key == ReleasedKey{} && sealed == Sealed{}) {
        impl->writer->released.assign_all(Released{});
        continue;
      }
      impl->writer->released.put(key, u64(recent->column_int64(2)),
                                 Released{true, sealed_value(sealed)});
    }
  }

  impl->writer->hold = options.hold_for_ack;
  impl->options = std::move(options);
  Impl* raw = impl.get();
  {
    std::lock_guard lock(raw->queue_mutex);  // writer_id is read by call() on other threads
    raw->syncer = std::thread([raw] { raw->syncer_loop(); });
    raw->syncer_id = raw->syncer.get_id();
    raw->checkpointer = std::thread([raw] { raw->checkpointer_loop(); });
    sqlite3_wal_hook(w.handle(), &Impl::on_wal_commit, raw);
    raw->thread = std::thread([raw] { raw->writer_loop(); });
    raw->writer_id = raw->thread.get_id();
  }
  return std::unique_ptr<SqliteQueueStore>(new SqliteQueueStore(std::move(impl)));
}

Result<void> SqliteQueueStore::create_queue(const QueueRecord& queue) {
  return impl_->call<void>([&queue](Writer& w, Result<void>& out) -> Result<void> {
    auto use = w.insert_queue.use(w.db);
    if (!use) return fail(std::move(use).error());
    Statement& s = **use;
    s.bind(1, ByteView(queue.recv_id))
        .bind(2, ByteView(queue.send_id))
        .bind(3, ByteView(queue.recipient_key));
    if (queue.sender_key) {
      s.bind(4, ByteView(*queue.sender_key));
    } else {
      s.bind_null(4);
    }
    const DedupSalt salt = new_dedup_salt();
    s.bind(5, std::int64_t{queue.contact_address ? 1 : 0})
        .bind(6, i64(queue.created_ms))
        .bind(7, ByteView(salt));
    auto done = s.run();
    if (!done) {
      // A taken id aborts only this statement; the batch goes on.
      if (done.error().code != ErrorCode::Constraint) return fail(std::move(done).error());
      out = fail(ErrorCode::Constraint, "queue id taken");
      return {};
    }
    w.delta.queues += 1;
    out = {};
    return {};
  });
}

namespace {
Result<std::optional<QueueRecord>> find_queue(CachedStatement& cached, Database& db,
                                              const QueueId& id) {
  auto use = cached.use(db);
  if (!use) return fail(std::move(use).error());
  (*use)->bind(1, ByteView(id));
  auto row = (*use)->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return std::optional<QueueRecord>();
  bool ok = false;
  QueueRecord record = read_queue(**use, ok);
  if (!ok) return fail(corrupt_row());
  return std::optional<QueueRecord>(std::move(record));
}
}  // namespace

Result<std::optional<QueueRecord>> SqliteQueueStore::find_by_recv_id(const QueueId& id) {
  auto reader = impl_->lease();
  return find_queue(reader->by_recv, reader->db, id);
}

Result<std::optional<QueueRecord>> SqliteQueueStore::find_by_send_id(const QueueId& id) {
  auto reader = impl_->lease();
  return find_queue(reader->by_send, reader->db, id);
}

Result<void> SqliteQueueStore::each_queue_id(
    const std::function<void(const QueueId& recv_id, const QueueId& send_id, bool contact_address)>&
        visit) {
  auto reader = impl_->lease();
  auto statement = reader->db.prepare("SELECT recv_id, send_id, contact_address FROM queues");
  if (!statement) return fail(std::move(statement).error());
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return {};
    QueueId recv_id{};
    QueueId send_id{};
    if (!copy_blob(*statement, 0, recv_id) || !copy_blob(*statement, 1, send_id)) {
      return fail(corrupt_row());
    }
    visit(recv_id, send_id, statement->column_int64(2) != 0);
  }
}

Result<bool> SqliteQueueStore::secure_queue(const QueueId& recv_id, const PublicKey& sender_key) {
  return impl_->call<bool>([&](Writer& w, Result<bool>& out) -> Result<void> {
    EXILE_TRY(run(w.secure, w.db, ByteView(recv_id), ByteView(sender_key)));
    if (w.db.changes() == 1) {
      out = true;
      return {};
    }
    auto exists = Impl::queue_exists(w, recv_id);
    if (!exists) return fail(std::move(exists).error());
    if (*exists) {
      out = false;
    } else {
      out = fail(ErrorCode::NotFound, "no such queue");
    }
    return {};
  });
}

Result<bool> SqliteQueueStore::delete_queue(const QueueId& recv_id) {
  return impl_->call<bool>([&](Writer& w, Result<bool>& out) -> Result<void> {
    std::int64_t count = 0;
    std::int64_t bytes = 0;
    {
      auto use = w.queue_totals.use(w.db);
      if (!use) return fail(std::move(use).error());
      (*use)->bind(1, ByteView(recv_id));
      auto row = (*use)->step();
      if (!row) return fail(std::move(row).error());
      if (!*row) {
        out = false;
        return {};
      }
      count = (*use)->column_int64(0);
      bytes = (*use)->column_int64(1);
    }
    const ByteView id(recv_id);
    // Off the hot path: prepared per call.
    for (const char* sql :
         {"DELETE FROM messages WHERE recv_id = ?1", "DELETE FROM one_time_keys WHERE recv_id = ?1",
          "DELETE FROM bundles WHERE recv_id = ?1", "DELETE FROM queues WHERE recv_id = ?1"}) {
      EXILE_TRY(sqlite::execute(w.db, sql, id));
    }
    forget_state(w, recv_id);
    w.delta.queues -= 1;
    w.delta.messages -= count;
    w.delta.bytes -= bytes;
    out = true;
    return {};
  });
}

void SqliteQueueStore::append(AppendRequest request,
                              std::function<void(Result<AppendResult>)> done) {
  if (!done) done = [](Result<AppendResult>) {};
  // On refusal the job (and `done` in it) is still ours: take it back out to report.
  Job job(std::in_place_type<AppendJob>, std::move(request), std::move(done), AppendResult{});
  {
    std::lock_guard lock(impl_->queue_mutex);
    if (impl_->accepting) {
      impl_->queue.push_back(std::move(job));
      job.emplace<CallJob>();  // moved-from; mark it so nothing below runs
    }
  }
  if (auto* refused = std::get_if<AppendJob>(&job)) {
    refused->done(fail(ErrorCode::Internal, kShuttingDown));
    return;
  }
  impl_->queue_cv.notify_one();
}

void SqliteQueueStore::ack(const QueueId& recv_id, std::uint64_t msg_id,
                           std::function<void(Result<void>)> done) {
  if (!done) done = [](Result<void>) {};
  Job job(std::in_place_type<AckJob>, recv_id, msg_id, std::move(done));
  {
    std::lock_guard lock(impl_->queue_mutex);
    if (impl_->accepting) {
      impl_->queue.push_back(std::move(job));
      job.emplace<CallJob>();
    }
  }
  if (auto* refused = std::get_if<AckJob>(&job)) {
    refused->done(fail(ErrorCode::Internal, kShuttingDown));
    return;
  }
  impl_->queue_cv.notify_one();
}

Result<std::vector<StoredMessage>> SqliteQueueStore::pending(const QueueId& recv_id,
                                                             std::uint64_t after,
                                                             std::size_t limit) {
  std::vector<StoredMessage> out;
  if (limit == 0) return out;
  // Held messages first, then the table: a held message is erased only after the commit that
  // wrote it, so none is missed in between (one seen twice is dropped below).
  std::vector<StoredMessage> held;
  if (after < std::numeric_limits<std::uint64_t>::max()) {
    Writer& w = *impl_->writer;
    std::lock_guard lock(w.held_mutex);
    for (auto it = w.held.lower_bound(HeldKey{recv_id, after + 1});
         it != w.held.end() && it->first.recv_id == recv_id && held.size() < limit; ++it) {
      const HeldMessage& m = it->second;
      if (m.state != HeldState::Held && m.state != HeldState::Inserting) continue;
      held.push_back(StoredMessage{it->first.msg_id, m.timestamp_ms, m.body});
    }
  }
  auto reader = impl_->lease();
  auto use = reader->pending.use(reader->db);
  if (!use) return fail(std::move(use).error());
  (*use)
      ->bind(1, ByteView(recv_id))
      .bind(2, clamp_i64(after))
      .bind(3, clamp_i64(static_cast<std::uint64_t>(limit)));
  out.reserve(std::min<std::size_t>(limit, 256));
  for (;;) {
    auto row = (*use)->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) break;
    StoredMessage& m = out.emplace_back();
    m.msg_id = u64((*use)->column_int64(0));
    m.timestamp_ms = u64((*use)->column_int64(1));
    m.body = (*use)->column_blob(2);
  }
  if (!held.empty()) {
    out.insert(out.end(), std::make_move_iterator(held.begin()),
               std::make_move_iterator(held.end()));
    std::stable_sort(out.begin(), out.end(), [](const StoredMessage& a, const StoredMessage& b) {
      return a.msg_id < b.msg_id;
    });
    out.erase(std::unique(out.begin(), out.end(),
                          [](const StoredMessage& a, const StoredMessage& b) {
                            return a.msg_id == b.msg_id;
                          }),
              out.end());
    if (out.size() > limit) out.resize(limit);
  }
  return out;
}

Result<std::uint32_t> SqliteQueueStore::put_bundle(const QueueId& recv_id, const Bytes& bundle,
                                                   const std::vector<Bytes>& one_time_keys,
                                                   bool replace_one_time_keys) {
  const std::uint32_t max_keys = impl_->options.max_one_time_keys;
  return impl_->call<std::uint32_t>([&](Writer& w, Result<std::uint32_t>& out) -> Result<void> {
    auto exists = Impl::queue_exists(w, recv_id);
    if (!exists) return fail(std::move(exists).error());
    if (!*exists) {
      out = fail(ErrorCode::NotFound, "no such queue");
      return {};
    }
    const ByteView id(recv_id);
    std::int64_t kept = 0;
    if (!replace_one_time_keys) {
      auto use = w.count_keys.use(w.db);
      if (!use) return fail(std::move(use).error());
      (*use)->bind(1, id);
      auto row = (*use)->step();
      if (!row) return fail(std::move(row).error());
      kept = *row ? (*use)->column_int64(0) : 0;
    }
    const std::uint64_t total = u64(kept) + one_time_keys.size();
    if (max_keys != 0 && total > max_keys) {
      out = fail(ErrorCode::Constraint, "one-time key quota");
      return {};
    }
    if (!bundle.empty()) EXILE_TRY(run(w.upsert_bundle, w.db, id, ByteView(bundle)));
    if (replace_one_time_keys) EXILE_TRY(run(w.delete_keys, w.db, id));
    std::int64_t seq = 0;
    if (!one_time_keys.empty()) {
      auto use = w.max_key_seq.use(w.db);
      if (!use) return fail(std::move(use).error());
      (*use)->bind(1, id);
      auto row = (*use)->step();
      if (!row) return fail(std::move(row).error());
      seq = *row ? (*use)->column_int64(0) : 0;
    }
    for (const Bytes& key : one_time_keys) {
      EXILE_TRY(run(w.insert_key, w.db, id, ++seq, ByteView(key)));
    }
    out = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(total, std::numeric_limits<std::uint32_t>::max()));
    return {};
  });
}

Result<std::optional<TakenBundle>> SqliteQueueStore::take_bundle(const QueueId& send_id) {
  return impl_->call<std::optional<TakenBundle>>(
      [&](Writer& w, Result<std::optional<TakenBundle>>& out) -> Result<void> {
        QueueId recv_id{};
        TakenBundle taken;
        {
          auto use = w.bundle_by_send.use(w.db);
          if (!use) return fail(std::move(use).error());
          (*use)->bind(1, ByteView(send_id));
          auto row = (*use)->step();
          if (!row) return fail(std::move(row).error());
          if (!*row) {
            out = std::optional<TakenBundle>();
            return {};
          }
          if (!copy_blob(**use, 0, recv_id)) return fail(corrupt_row());
          taken.bundle = (*use)->column_blob(1);
        }
        std::optional<std::int64_t> seq;
        {
          auto use = w.first_key.use(w.db);
          if (!use) return fail(std::move(use).error());
          (*use)->bind(1, ByteView(recv_id));
          auto row = (*use)->step();
          if (!row) return fail(std::move(row).error());
          if (*row) {
            seq = (*use)->column_int64(0);
            taken.one_time_key = (*use)->column_blob(1);
          }
        }
        if (seq) EXILE_TRY(run(w.delete_key, w.db, ByteView(recv_id), *seq));
        out = std::optional<TakenBundle>(std::move(taken));
        return {};
      });
}

Result<std::uint64_t> SqliteQueueStore::expire(std::uint64_t message_cutoff_ms,
                                               std::uint64_t dedup_cutoff_ms) {
  const std::int64_t message_cutoff = clamp_i64(message_cutoff_ms);
  struct Chunk {
    std::uint64_t messages = 0;
    bool more = false;
  };
  std::uint64_t removed = 0;
  // Messages first (their dedup windows start now), then dedup records past their window;
  // each chunk is one writer transaction.
  for (bool messages_phase = true;;) {
    auto chunk = impl_->call<Chunk>([&](Writer& w, Result<Chunk>& out) -> Result<void> {
      Chunk c;
      if (messages_phase) {
        // Held messages that arrived before the cutoff expire in memory: dropped, their SENDs
        // answered once this batch is durable (their dedup-log rows go on as for any expiry).
        c.messages += expire_held(w, message_cutoff);
        struct Row {
          QueueId recv_id{};
          std::int64_t msg_id = 0;
        };
        std::vector<Row> rows;
        {
          auto use = w.expired_messages.use(w.db);
          if (!use) return fail(std::move(use).error());
          (*use)->bind(1, message_cutoff).bind(2, kExpireChunk);
          for (;;) {
            auto row = (*use)->step();
            if (!row) return fail(std::move(row).error());
            if (!*row) break;
            Row& r = rows.emplace_back();
            if (!copy_blob(**use, 0, r.recv_id)) return fail(corrupt_row());
            r.msg_id = (*use)->column_int64(1);
          }
        }
        // Through the queues' cached states (written back once per queue at COMMIT), which
        // also give each queue's dedup salt.
        for (const Row& r : rows) {
          auto found = state_by_recv(w, r.recv_id);
          if (!found) return fail(std::move(found).error());
          auto gone = Impl::remove_message(w, r.recv_id, *found, r.msg_id);
          if (!gone) return fail(std::move(gone).error());
          if (*gone) c.messages += 1;
        }
        c.more = static_cast<std::int64_t>(rows.size()) == kExpireChunk;
      } else {
        std::int64_t newest = 0;
        {
          auto use = w.newest_released.use(w.db);
          if (!use) return fail(std::move(use).error());
          auto row = (*use)->step();
          if (!row) return fail(std::move(row).error());
          if (*row) newest = (*use)->column_int64(0);
        }
        const std::int64_t kept_from = newest - static_cast<std::int64_t>(w.released.capacity());
        const std::uint64_t cutoff_hour = dedup_hour(dedup_cutoff_ms);
        EXILE_TRY(run(w.expire_released, w.db, i64(cutoff_hour), kExpireChunk, kept_from));
        c.more = w.db.changes() == kExpireChunk;
        w.released.drop_older_than(cutoff_hour);
      }
      out = c;
      return {};
    });
    if (!chunk) return fail(std::move(chunk).error());
    if (messages_phase) removed += chunk->messages;
    if (!chunk->more) {
      if (!messages_phase) break;
      messages_phase = false;
    }
  }
  // Best effort: the expiry is committed either way; a failing checkpoint surfaces through
  // checkpoint() itself or the next write.
  (void)checkpoint();
  return removed;
}

Result<void> SqliteQueueStore::checkpoint() {
  return impl_->call<void>(
      [](Writer& w, Result<void>& out) -> Result<void> {
        // Copies the WAL into the database and truncates it to zero bytes, so frames holding
        // acked or expired ciphertext do not linger in the -wal file. Busy (a reader still on
        // the WAL) is not an error: the next sweep retries.
        auto result = pragma_int(w.db, "PRAGMA wal_checkpoint(TRUNCATE)");
        if (!result) return fail(std::move(result).error());
        out = {};
        return {};
      },
      true);
}

Result<StoreCounts> SqliteQueueStore::counts() {
  std::lock_guard lock(impl_->counts_mutex);
  return impl_->totals;
}

void SqliteQueueStore::drain() {
  if (impl_) impl_->stop();
}

std::uint64_t SqliteQueueStore::commits() const {
  return impl_->commits.load(std::memory_order_relaxed);
}

std::uint64_t SqliteQueueStore::requests_committed() const {
  return impl_->requests.load(std::memory_order_relaxed);
}

Result<void> SqliteQueueStore::check_integrity() {
  auto reader = impl_->lease();
  auto result = pragma_text(reader->db, "PRAGMA integrity_check");
  if (!result) return fail(std::move(result).error());
  if (*result != "ok") return fail(ErrorCode::DatabaseCorrupt, "relay store: integrity_check");
  return {};
}

}  // namespace exile::relay
