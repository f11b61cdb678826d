#include "store/schema.h"

#include <array>
#include <string>

namespace exile::store {
namespace {

// Version 1: the initial schema. Every table is STRICT; times are unix milliseconds.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE local_identity (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  seed       BLOB NOT NULL CHECK (length(seed) = 32),
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE signed_prekeys (
  id         INTEGER PRIMARY KEY CHECK (id BETWEEN 0 AND 4294967295),
  secret     BLOB NOT NULL CHECK (length(secret) = 32),
  signature  BLOB NOT NULL CHECK (length(signature) = 64),
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE one_time_prekeys (
  id     INTEGER PRIMARY KEY CHECK (id BETWEEN 0 AND 4294967295),
  secret BLOB NOT NULL CHECK (length(secret) = 32)
) STRICT;

CREATE TABLE one_time_prekey_uses (
  prekey_id  INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  used_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
  id    TEXT PRIMARY KEY,
  state BLOB NOT NULL
) STRICT;

CREATE TABLE contacts (
  id           TEXT PRIMARY KEY,
  display_name TEXT NOT NULL DEFAULT '',
  identity_key BLOB CHECK (identity_key IS NULL OR length(identity_key) = 32),
  verified     INTEGER NOT NULL DEFAULT 0
               CHECK (verified IN (0, 1) AND (verified = 0 OR identity_key IS NOT NULL)),
  created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE chats (
  id            INTEGER PRIMARY KEY,
  contact_id    TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  session_id    TEXT NOT NULL UNIQUE,
  timer_seconds INTEGER CHECK (timer_seconds IS NULL OR timer_seconds > 0),
  created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX chats_by_contact ON chats(contact_id);

CREATE TABLE messages (
  id            INTEGER PRIMARY KEY,
  chat_id       INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  uid           BLOB NOT NULL CHECK (length(uid) = 16),
  outgoing      INTEGER NOT NULL CHECK (outgoing IN (0, 1)),
  body          TEXT NOT NULL,
  sent_at       INTEGER NOT NULL,
  received_at   INTEGER NOT NULL,
  delivered_at  INTEGER,
  read_at       INTEGER,
  timer_seconds INTEGER CHECK (timer_seconds IS NULL OR timer_seconds > 0),
  UNIQUE (chat_id, uid)
) STRICT;
CREATE INDEX messages_by_chat ON messages(chat_id);

CREATE VIRTUAL TABLE messages_fts USING fts5(
  body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
  INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;

CREATE TABLE relay_queues (
  id            INTEGER PRIMARY KEY,
  chat_id       INTEGER REFERENCES chats(id) ON DELETE CASCADE,
  role          INTEGER NOT NULL CHECK (role IN (1, 2, 3)),
  relay_url     TEXT NOT NULL,
  recv_id       BLOB,
  send_id       BLOB,
  auth_public   BLOB,
  auth_secret   BLOB,
  peer_auth_key BLOB,
  secured       INTEGER NOT NULL DEFAULT 0 CHECK (secured IN (0, 1)),
  created_at    INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX relay_queues_by_recv_id ON relay_queues(relay_url, recv_id)
  WHERE recv_id IS NOT NULL;
CREATE INDEX relay_queues_by_chat ON relay_queues(chat_id);

CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  queue_id        INTEGER NOT NULL REFERENCES relay_queues(id) ON DELETE CASCADE,
  message_id      INTEGER REFERENCES messages(id) ON DELETE SET NULL,
  client_msg_id   BLOB NOT NULL UNIQUE CHECK (length(client_msg_id) = 16),
  envelope        BLOB NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at INTEGER NOT NULL,
  created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_due ON outbox(next_attempt_at);
CREATE INDEX outbox_by_queue ON outbox(queue_id);
CREATE INDEX outbox_by_message ON outbox(message_id);
)sql";

// Version 2: self-destruct deadlines stored rather than computed, so that expiry is one
// indexed range delete. Messages read under version 1 get their deadline backfilled.
constexpr std::string_view kVersion2 = R"sql(
ALTER TABLE messages ADD COLUMN expires_at INTEGER;
UPDATE messages SET expires_at = read_at + timer_seconds * 1000
  WHERE read_at IS NOT NULL AND timer_seconds IS NOT NULL;
CREATE INDEX messages_by_expiry ON messages(expires_at) WHERE expires_at IS NOT NULL;
)sql";

// Version 3: FTS5 leaves that fit in one encrypted page. FTS5 writes index leaves of up to
// `pgsz` bytes (default 4050) as rows of messages_fts_data; with the 40 bytes the exile VFS
// reserves per page, a row's local payload ends at 4021 bytes (usable 4056 - 35), so nearly
// every default-sized leaf spilled into an overflow page: two pages to read, seal and journal
// per leaf. 3980 leaves room for the leaf's small overshoot and the record header. Leaves
// written before the step keep their size until FTS5 merges them.
constexpr std::string_view kVersion3 = R"sql(
INSERT INTO messages_fts(messages_fts, rank) VALUES ('pgsz', 3980);
)sql";

// Version 4: what the engine keeps beyond messages and sessions (docs/storage.md §"Schema").
//  - chats.state: 1 Requested (we sent a first message and wait for the reply), 2 Pending (an
//    incoming contact request the user has not answered), 3 Active; existing chats are Active.
//    chats.peer_sender_key: a Pending request's key the peer will sign SENDs with; our reply
//    queue is secured with it on accept.
//  - messages.kind (1 text, 2 timer changed, 3 undecryptable), messages.state (1 Queued,
//    2 Sent, 3 Delivered, 4 Read, 5 Failed, 6 Received) and messages.envelope (an
//    undecryptable message's envelope, kept for a retry). Existing outgoing rows become Sent,
//    Delivered or Read by their receipt times; incoming rows Received, or Read once read.
//  - messages_unread: the incoming messages still in state Received, per chat (unread counts
//    and marking a chat read).
//  - first_message_replays: the replay ids of first messages seen (docs/protocol.md §4.7),
//    indexed by time for forgetting the old ones.
//  - settings: profile values by name.
constexpr std::string_view kVersion4 = R"sql(
ALTER TABLE chats ADD COLUMN state INTEGER NOT NULL DEFAULT 3 CHECK (state IN (1, 2, 3));
ALTER TABLE chats ADD COLUMN peer_sender_key BLOB
  CHECK (peer_sender_key IS NULL OR length(peer_sender_key) = 32);

ALTER TABLE messages ADD COLUMN kind INTEGER NOT NULL DEFAULT 1 CHECK (kind IN (1, 2, 3));
ALTER TABLE messages ADD COLUMN state INTEGER NOT NULL DEFAULT 6 CHECK (state BETWEEN 1 AND 6);
ALTER TABLE messages ADD COLUMN envelope BLOB;
UPDATE messages SET state = CASE WHEN read_at IS NOT NULL THEN 4
                                 WHEN delivered_at IS NOT NULL THEN 3
                                 ELSE 2 END
  WHERE outgoing = 1;
UPDATE messages SET state = 4 WHERE outgoing = 0 AND read_at IS NOT NULL;
CREATE INDEX messages_unread ON messages(chat_id) WHERE outgoing = 0 AND state = 6;

CREATE TABLE first_message_replays (
  replay_id BLOB PRIMARY KEY CHECK (length(replay_id) = 32),
  seen_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX first_message_replays_by_time ON first_message_replays(seen_at);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) STRICT;
)sql";

// Version 5: each chat's unread count kept in chats.unread by triggers on messages, rather than
// counted when the chats are listed: the count walked every unread message's index entry, 2 ms
// for a chat with 25,000 of them on each listing, and the chat list is listed at every start
// and after every burst of new messages (docs/performance.md, "Desktop app"). An incoming
// message is unread while its state is Received (6), as messages_unread says.
constexpr std::string_view kVersion5 = R"sql(
ALTER TABLE chats ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;
UPDATE chats SET unread = (SELECT count(*) FROM messages m
                           WHERE m.chat_id = chats.id AND m.outgoing = 0 AND m.state = 6);
CREATE TRIGGER messages_unread_insert AFTER INSERT ON messages
  WHEN new.outgoing = 0 AND new.state = 6 BEGIN
  UPDATE chats SET unread = unread + 1 WHERE id = new.chat_id;
END;
CREATE TRIGGER messages_unread_delete AFTER DELETE ON messages
  WHEN old.outgoing = 0 AND old.state = 6 BEGIN
  UPDATE chats SET unread = unread - 1 WHERE id = old.chat_id;
END;
CREATE TRIGGER messages_unread_update AFTER UPDATE OF chat_id, outgoing, state ON messages
  WHEN (old.outgoing = 0 AND old.state = 6) OR (new.outgoing = 0 AND new.state = 6) BEGIN
  UPDATE chats SET unread = unread - 1
    WHERE id = old.chat_id AND old.outgoing = 0 AND old.state = 6;
  UPDATE chats SET unread = unread + 1
    WHERE id = new.chat_id AND new.outgoing = 0 AND new.state = 6;
END;
)sql";

constexpr std::array kSteps{
    MigrationStep{1, "initial schema", kVersion1},
    MigrationStep{2, "messages.expires_at for self-destruct timers", kVersion2},
    MigrationStep{3, "FTS5 leaves sized to fit one encrypted page", kVersion3},
    MigrationStep{4, "chat and message states, replay cache, settings", kVersion4},
    MigrationStep{5, "unread counts kept per chat", kVersion5},
};
static_assert(kSteps.size() == static_cast<std::size_t>(kLatestSchemaVersion));

Result<void> set_version(Database& db, int version) {
  // PRAGMA takes no bound parameters; the value is an integer we produced.
  return db.exec("PRAGMA user_version = " + std::to_string(version));
}

}  // namespace

std::span<const MigrationStep> migration_steps() { return kSteps; }

Result<int> schema_version(Database& db) {
  auto statement = db.prepare("PRAGMA user_version");
  if (!statement) return fail(std::move(statement).error());
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return fail(ErrorCode::Internal, "PRAGMA user_version returned no row");
  return static_cast<int>(statement->column_int64(0));
}

Result<void> migrate(Database& db) { return migrate_to(db, kLatestSchemaVersion); }

Result<void> migrate_to(Database& db, int target) {
  auto current = schema_version(db);
  if (!current) return fail(std::move(current).error());
  if (*current > kLatestSchemaVersion) {
    return fail(ErrorCode::SchemaTooNew, "database schema version " + std::to_string(*current) +
                                             " is newer than this build's " +
                                             std::to_string(kLatestSchemaVersion));
  }
  if (target < *current || target > kLatestSchemaVersion) {
    return fail(ErrorCode::InvalidArgument, "cannot migrate schema from version " +
                                                std::to_string(*current) + " to " +
                                                std::to_string(target));
  }
  for (const MigrationStep& step : kSteps) {
    if (step.version <= *current || step.version > target) continue;
    auto transaction = db.begin();
    if (!transaction) return fail(std::move(transaction).error());
    if (auto applied = db.exec(step.sql); !applied) {
      return fail(Error(applied.error().code, "schema migration to version " +
                                                  std::to_string(step.version) +
                                                  " failed: " + applied.error().message));
    }
    EXILE_TRY(set_version(db, step.version));
    EXILE_TRY(transaction->commit());
  }
  return {};
}

}  // namespace exile::store
