// The migration ladder: fresh databases, upgrades from every older version with data in
// them, refusal of newer schemas, and the atomicity of a step.
#include "store/schema.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <string_view>

#include "store/repo_chats.h"
#include "store/repo_messages.h"
#include "store/support/schema_fixture.h"

namespace exile::store {
namespace {

using test::StoreTest;

class SchemaTest : public StoreTest {
 protected:
  void SetUp() override { open_unmigrated(); }

  std::int64_t count(std::string_view table) {
    auto statement = db().prepare("SELECT count(*) FROM " + std::string(table));
    EXPECT_TRUE(statement.has_value());
    if (!statement) return -1;
    auto row = statement->step();
    EXPECT_TRUE(row.has_value() && *row);
    return statement->column_int64(0);
  }

  std::int64_t scalar(std::string_view sql) {
    auto statement = db().prepare(sql);
    EXPECT_TRUE(statement.has_value()) << statement.error();
    if (!statement) return -1;
    auto row = statement->step();
    EXPECT_TRUE(row.has_value() && *row);
    return statement->column_is_null(0) ? -1 : statement->column_int64(0);
  }
};

// Data as an Exile build at schema version N wrote it (raw SQL: the repositories speak only
// the latest schema). Index N holds data valid at version N. A new version adds its entry.
constexpr std::array<std::string_view, kLatestSchemaVersion> kSeedAtVersion{
    // version 0: an empty file
    "",
    // version 1
    R"sql(
INSERT INTO local_identity VALUES (1, randomblob(32), 1);
INSERT INTO signed_prekeys VALUES (1, randomblob(32), randomblob(64), 3);
INSERT INTO one_time_prekeys VALUES (100, randomblob(32));
INSERT INTO one_time_prekey_uses VALUES (99, 's0', 4);
INSERT INTO sessions VALUES ('s1', x'0102');
INSERT INTO contacts VALUES ('bob', 'Bob', zeroblob(32), 1, 5);
INSERT INTO chats VALUES (1, 'bob', 's1', 30, 6);
INSERT INTO messages(id, chat_id, uid, outgoing, body, sent_at, received_at, read_at,
                     timer_seconds)
  VALUES (1, 1, zeroblob(16), 0, 'hello ancient world', 10, 11, 1000, 30),
         (2, 1, randomblob(16), 1, 'unread timed', 12, 12, NULL, 30),
         (3, 1, randomblob(16), 0, 'read untimed', 13, 13, 2000, NULL);
INSERT INTO relay_queues(id, chat_id, role, relay_url, recv_id, send_id, auth_secret,
                         created_at)
  VALUES (1, 1, 1, 'wss://relay.example', x'aa', x'bb', randomblob(64), 7);
INSERT INTO outbox(queue_id, message_id, client_msg_id, envelope, next_attempt_at, created_at)
  VALUES (1, 2, randomblob(16), x'ff', 20, 20);
)sql",
    // version 2
    R"sql(
INSERT INTO local_identity VALUES (1, randomblob(32), 1);
INSERT INTO contacts VALUES ('carol', 'Carol', zeroblob(32), 1, 5);
INSERT INTO chats VALUES (1, 'carol', 's2', 30, 6);
INSERT INTO messages(id, chat_id, uid, outgoing, body, sent_at, received_at, read_at,
                     timer_seconds, expires_at)
  VALUES (1, 1, zeroblob(16), 0, 'hello timed world', 10, 11, 1000, 30, 31000);
)sql",
    // version 3: one message in each receipt situation a version-3 build could leave
    R"sql(
INSERT INTO local_identity VALUES (1, randomblob(32), 1);
INSERT INTO contacts VALUES ('dave', 'Dave', zeroblob(32), 0, 5);
INSERT INTO chats VALUES (1, 'dave', 's3', NULL, 6);
INSERT INTO messages(id, chat_id, uid, outgoing, body, sent_at, received_at, delivered_at,
                     read_at, timer_seconds, expires_at)
  VALUES (1, 1, randomblob(16), 1, 'out sent', 10, 10, NULL, NULL, NULL, NULL),
         (2, 1, randomblob(16), 1, 'out delivered', 11, 11, 100, NULL, NULL, NULL),
         (3, 1, randomblob(16), 1, 'out read', 12, 12, 100, 200, 30, 30200),
         (4, 1, randomblob(16), 1, 'out read without delivery', 13, 13, NULL, 300, NULL, NULL),
         (5, 1, randomblob(16), 0, 'in unread', 14, 15, NULL, NULL, NULL, NULL),
         (6, 1, randomblob(16), 0, 'in read', 16, 17, NULL, 400, 30, 30400);
INSERT INTO relay_queues(id, chat_id, role, relay_url, recv_id, send_id, auth_secret,
                         created_at)
  VALUES (1, 1, 2, 'wss://relay.example', NULL, x'bb', randomblob(64), 7);
INSERT INTO outbox(queue_id, message_id, client_msg_id, envelope, next_attempt_at, created_at)
  VALUES (1, 1, randomblob(16), x'ff', 20, 20);
)sql",
    // version 4: two chats, the first with two unread messages among read and outgoing ones
    R"sql(
INSERT INTO local_identity VALUES (1, randomblob(32), 1);
INSERT INTO contacts VALUES ('erin', 'Erin', zeroblob(32), 0, 5);
INSERT INTO chats(id, contact_id, session_id, timer_seconds, created_at, state)
  VALUES (1, 'erin', 's4', NULL, 6, 3), (2, 'erin', 's5', NULL, 7, 3);
INSERT INTO messages(id, chat_id, uid, outgoing, body, sent_at, received_at, kind, state)
  VALUES (1, 1, randomblob(16), 0, 'in unread one', 10, 10, 1, 6),
         (2, 1, randomblob(16), 0, 'in read', 11, 11, 1, 4),
         (3, 1, randomblob(16), 1, 'out sent', 12, 12, 1, 2),
         (4, 1, randomblob(16), 0, 'in unread two', 13, 13, 1, 6),
         (5, 2, randomblob(16), 0, 'in read elsewhere', 14, 14, 1, 4);
)sql",
};

TEST_P(SchemaTest, FreshDatabaseReachesLatestVersion) {
  auto before = schema_version(db());
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(*before, 0);
  EXILE_ASSERT_OK(migrate(db()));
  auto after = schema_version(db());
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(*after, kLatestSchemaVersion);
  for (const char* table :
       {"local_identity", "signed_prekeys", "one_time_prekeys", "one_time_prekey_uses", "sessions",
        "contacts", "chats", "messages", "messages_fts", "relay_queues", "outbox",
        "first_message_replays", "settings"}) {
    EXPECT_EQ(count(table), 0) << table;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'expires_at'"),
            1);
}

TEST_P(SchemaTest, LadderIsOrderedAndComplete) {
  const auto steps = migration_steps();
  ASSERT_EQ(steps.size(), static_cast<std::size_t>(kLatestSchemaVersion));
  for (std::size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].version, static_cast<int>(i + 1));
    EXPECT_FALSE(steps[i].sql.empty());
  }
}

TEST_P(SchemaTest, MigrateIsIdempotentAndSurvivesReopen) {
  EXILE_ASSERT_OK(migrate(db()));
  EXILE_ASSERT_OK(migrate(db()));
  reopen();
  EXILE_ASSERT_OK(migrate(db()));
  auto version = schema_version(db());
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(*version, kLatestSchemaVersion);
}

TEST_P(SchemaTest, NewerSchemaIsRefused) {
  EXILE_ASSERT_OK(migrate(db()));
  EXILE_ASSERT_OK(db().exec("PRAGMA user_version = " + std::to_string(kLatestSchemaVersion + 1)));
  reopen();
  auto result = migrate(db());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::SchemaTooNew);
  auto version = schema_version(db());
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(*version, kLatestSchemaVersion + 1);  // untouched
}

TEST_P(SchemaTest, NoDowngradeAndNoTargetBeyondLatest) {
  EXILE_ASSERT_OK(migrate(db()));
  auto down = migrate_to(db(), 1);
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().code, ErrorCode::InvalidArgument);
  auto beyond = migrate_to(db(), kLatestSchemaVersion + 1);
  ASSERT_FALSE(beyond.has_value());
  EXPECT_EQ(beyond.error().code, ErrorCode::InvalidArgument);
}

// Builds a database at every older version N with the data version N wrote, then upgrades.
TEST_P(SchemaTest, MigratesFromEveryOlderVersionKeepingData) {
  for (int from = 0; from < kLatestSchemaVersion; ++from) {
    SCOPED_TRACE("from version " + std::to_string(from));
    db_.reset();
    std::filesystem::remove(db_path());
    open_unmigrated();
    EXILE_ASSERT_OK(migrate_to(db(), from));
    // What a build at version `from` wrote.
    const auto seed = kSeedAtVersion[static_cast<std::size_t>(from)];
    if (!seed.empty()) EXILE_ASSERT_OK(db().exec(seed));
    reopen();
    EXILE_ASSERT_OK(migrate(db()));
    auto version = schema_version(db());
    ASSERT_TRUE(version.has_value());
    EXPECT_EQ(*version, kLatestSchemaVersion);
    EXPECT_EQ(scalar("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"),
              0);
    EXPECT_EQ(scalar("SELECT count(*) FROM pragma_foreign_key_check"), 0);
    // Version 3 sizes FTS5 leaves for the encrypted page, whatever the starting version.
    EXPECT_EQ(scalar("SELECT v FROM messages_fts_config WHERE k = 'pgsz'"), 3980);
    // Version 4's tables start empty, whatever the starting version.
    EXPECT_EQ(count("first_message_replays"), 0);
    EXPECT_EQ(count("settings"), 0);
    // Version 5 counts every chat's unread messages, whatever the starting version.
    EXPECT_EQ(scalar("SELECT count(*) FROM chats WHERE unread != (SELECT count(*) FROM messages "
                     "m WHERE m.chat_id = chats.id AND m.outgoing = 0 AND m.state = 6)"),
              0);
    if (from == 4) {
      EXPECT_EQ(scalar("SELECT unread FROM chats WHERE id = 1"), 2);
      EXPECT_EQ(scalar("SELECT unread FROM chats WHERE id = 2"), 0);
      continue;
    }
    if (from == 3) {
      EXPECT_EQ(scalar("SELECT unread FROM chats WHERE id = 1"), 1);
      EXPECT_EQ(count("messages"), 6);
      EXPECT_EQ(count("outbox"), 1);
      // Chats written before states existed are Active, without a peer sender key.
      EXPECT_EQ(scalar("SELECT state FROM chats WHERE id = 1"), 3);
      EXPECT_EQ(scalar("SELECT peer_sender_key IS NULL FROM chats WHERE id = 1"), 1);
      // Outgoing: Sent, Delivered or Read by the receipts; incoming: Received, or Read.
      EXPECT_EQ(scalar("SELECT state FROM messages WHERE id = 1"), 2);
      EXPECT_EQ(scalar("SELECT state FROM messages WHERE id = 2"), 3);
      EXPECT_EQ(scalar("SELECT state FROM messages WHERE id = 3"), 4);
      EXPECT_EQ(scalar("SELECT state FROM messages WHERE id = 4"), 4);
      EXPECT_EQ(scalar("SELECT state FROM messages WHERE id = 5"), 6);
      EXPECT_EQ(scalar("SELECT state FROM messages WHERE id = 6"), 4);
      EXPECT_EQ(scalar("SELECT count(*) FROM messages WHERE kind = 1 AND envelope IS NULL"), 6);
      // The rows keep their other columns, and the repositories read them.
      MessageRepository messages(db());
      auto read = messages.find(3);
      ASSERT_TRUE(read.has_value() && read->has_value());
      EXPECT_EQ((*read)->body, "out read");
      EXPECT_EQ((*read)->state, MessageState::Read);
      EXPECT_EQ((*read)->kind, MessageKind::Text);
      EXPECT_EQ((*read)->expires_at, from_millis(30'200));
      auto unread = messages.unread_count(1);
      ASSERT_TRUE(unread.has_value());
      EXPECT_EQ(*unread, 1u);
      auto chats = ChatRepository(db()).list();
      ASSERT_TRUE(chats.has_value()) << chats.error();
      ASSERT_EQ(chats->size(), 1u);
      EXPECT_EQ(chats->front().state, ChatState::Active);
      EXPECT_EQ(scalar("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'delivery'"), 1);
      continue;
    }
    if (from == 2) {
      EXPECT_EQ(count("messages"), 1);
      EXPECT_EQ(scalar("SELECT expires_at FROM messages WHERE id = 1"), 31'000);
      auto hits = MessageRepository(db()).search("timed", std::nullopt, 10);
      ASSERT_TRUE(hits.has_value()) << hits.error();
      EXPECT_EQ(hits->size(), 1u);
      continue;
    }
    if (from == 0) continue;
    // Version 1 data, after the upgrade.
    EXPECT_EQ(count("local_identity"), 1);
    EXPECT_EQ(count("signed_prekeys"), 1);
    EXPECT_EQ(count("one_time_prekeys"), 1);
    EXPECT_EQ(count("one_time_prekey_uses"), 1);
    EXPECT_EQ(count("sessions"), 1);
    EXPECT_EQ(count("contacts"), 1);
    EXPECT_EQ(count("chats"), 1);
    EXPECT_EQ(count("messages"), 3);
    EXPECT_EQ(count("relay_queues"), 1);
    EXPECT_EQ(count("outbox"), 1);
    // Version 2 backfills deadlines of messages read under version 1.
    EXPECT_EQ(scalar("SELECT expires_at FROM messages WHERE id = 1"), 1000 + 30 * 1000);
    EXPECT_EQ(scalar("SELECT expires_at FROM messages WHERE id = 2"), -1);  // not read yet
    EXPECT_EQ(scalar("SELECT expires_at FROM messages WHERE id = 3"), -1);  // no timer
    // Version 4 gives them states: incoming read, outgoing not yet delivered, incoming read.
    EXPECT_EQ(scalar("SELECT state FROM messages WHERE id = 1"), 4);
    EXPECT_EQ(scalar("SELECT state FROM messages WHERE id = 2"), 2);
    EXPECT_EQ(scalar("SELECT state FROM messages WHERE id = 3"), 4);
    EXPECT_EQ(scalar("SELECT state FROM chats WHERE id = 1"), 3);
    MessageRepository messages(db());
    auto hits = messages.search("ancient", std::nullopt, 10);
    ASSERT_TRUE(hits.has_value()) << hits.error();
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ(hits->front().id, 1);
    auto expired = messages.delete_expired(from_millis(31'000));
    ASSERT_TRUE(expired.has_value());
    EXPECT_EQ(*expired, 1u);
    auto gone = messages.search("ancient", std::nullopt, 10);
    ASSERT_TRUE(gone.has_value());
    EXPECT_TRUE(gone->empty());
  }
}

// FTS5 index leaves are rows of messages_fts_data. With the encrypted page's 40 reserved bytes
// a row keeps at most 4021 bytes of payload on its page (usable 4056 - 35), 4 of them the record
// header: a longer leaf spills into an overflow page, which doubles what every leaf costs to
// read, seal and journal. FTS5's default leaf size (4050) did that to nearly every leaf.
TEST_P(SchemaTest, FtsLeavesFitOneEncryptedPage) {
  EXILE_ASSERT_OK(migrate(db()));
  EXILE_ASSERT_OK(db().exec(R"sql(
INSERT INTO contacts VALUES ('dave', 'Dave', NULL, 0, 1);
INSERT INTO chats(id, contact_id, session_id, timer_seconds, created_at)
  VALUES (1, 'dave', 's3', NULL, 1);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
INSERT INTO messages(chat_id, uid, outgoing, body, sent_at, received_at)
  SELECT 1, randomblob(16), 0,
         'w' || (abs(random()) % 5000) || ' w' || (abs(random()) % 5000) || ' w' ||
         (abs(random()) % 5000) || ' w' || (abs(random()) % 5000) || ' w' ||
         (abs(random()) % 5000) || ' w' || (abs(random()) % 5000),
         i, i
  FROM n;
)sql"));
  EXPECT_GT(scalar("SELECT count(*) FROM messages_fts_data WHERE length(block) > 3000"), 20);
  EXPECT_LE(scalar("SELECT max(length(block)) FROM messages_fts_data"), 4021 - 4);
}

// A step that fails leaves the database at the previous version with nothing half-done.
TEST_P(SchemaTest, FailingStepRollsBackWholly) {
  EXILE_ASSERT_OK(migrate_to(db(), 1));
  // Occupy the name version 2 wants for its index, so that step 2 fails after its ALTER.
  EXILE_ASSERT_OK(db().exec("CREATE INDEX messages_by_expiry ON messages(sent_at)"));
  auto result = migrate(db());
  ASSERT_FALSE(result.has_value());
  auto version = schema_version(db());
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(*version, 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'expires_at'"),
            0);
  EXILE_ASSERT_OK(db().exec("DROP INDEX messages_by_expiry"));
  EXILE_ASSERT_OK(migrate(db()));
  EXPECT_EQ(scalar("SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'expires_at'"),
            1);
}

// Version 4 has many statements: one failing at the end undoes the ALTERs before it.
TEST_P(SchemaTest, FailingVersion4RollsBackWholly) {
  EXILE_ASSERT_OK(migrate_to(db(), 3));
  EXILE_ASSERT_OK(db().exec("CREATE TABLE settings (x INTEGER) STRICT"));
  auto result = migrate(db());
  ASSERT_FALSE(result.has_value());
  auto version = schema_version(db());
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(*version, 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM pragma_table_info('chats') WHERE name = 'state'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'state'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'first_message_replays'"), 0);
  EXILE_ASSERT_OK(db().exec("DROP TABLE settings"));
  EXILE_ASSERT_OK(migrate(db()));
  EXPECT_EQ(scalar("SELECT count(*) FROM pragma_table_info('chats') WHERE name = 'state'"), 1);
}

// The CHECKs of version 4 refuse what the columns cannot mean.
TEST_P(SchemaTest, Version4ConstraintsHold) {
  EXILE_ASSERT_OK(migrate(db()));
  EXILE_ASSERT_OK(db().exec(R"sql(
INSERT INTO contacts VALUES ('erin', 'Erin', NULL, 0, 1);
INSERT INTO chats(id, contact_id, session_id, created_at) VALUES (1, 'erin', 's4', 1);
INSERT INTO messages(id, chat_id, uid, outgoing, body, sent_at, received_at)
  VALUES (1, 1, randomblob(16), 0, 'x', 1, 1);
)sql"));
  EXPECT_EQ(scalar("SELECT state FROM chats WHERE id = 1"), 3);
  EXPECT_EQ(scalar("SELECT kind * 10 + state FROM messages WHERE id = 1"), 16);
  for (const char* bad : {
           "UPDATE chats SET state = 0",
           "UPDATE chats SET state = 4",
           "UPDATE chats SET peer_sender_key = zeroblob(31)",
           "UPDATE chats SET peer_sender_key = zeroblob(33)",
           "UPDATE messages SET kind = 0",
           "UPDATE messages SET kind = 4",
           "UPDATE messages SET state = 0",
           "UPDATE messages SET state = 7",
           "INSERT INTO first_message_replays VALUES (zeroblob(31), 1)",
           "INSERT INTO first_message_replays VALUES (zeroblob(33), 1)",
           "INSERT INTO first_message_replays VALUES ('x', 1)",
           "INSERT INTO settings VALUES ('k', NULL)",
           "INSERT INTO settings VALUES ('k', 'text, not a blob')",
       }) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(db().exec(bad).has_value());
  }
  EXILE_ASSERT_OK(db().exec("UPDATE chats SET peer_sender_key = zeroblob(32), state = 2"));
  EXILE_ASSERT_OK(db().exec("INSERT INTO first_message_replays VALUES (zeroblob(32), 1)"));
  EXPECT_FALSE(db().exec("INSERT INTO first_message_replays VALUES (zeroblob(32), 2)"));
  EXILE_ASSERT_OK(db().exec("INSERT INTO settings VALUES ('k', x'')"));
  EXPECT_FALSE(db().exec("INSERT INTO settings VALUES ('k', x'01')"));
}

// Guards the fixture: the Encrypted backend really writes no plaintext SQLite header.
TEST_P(SchemaTest, BackendWritesTheExpectedFileFormat) {
  EXILE_ASSERT_OK(migrate(db()));
  db_.reset();
  std::FILE* file = std::fopen(db_path().c_str(), "rb");
  ASSERT_NE(file, nullptr);
  std::array<char, 16> header{};
  const std::size_t n = std::fread(header.data(), 1, header.size(), file);
  std::fclose(file);
  ASSERT_EQ(n, header.size());
  const bool plain_header = std::string_view(header.data(), 15) == "SQLite format 3";
  EXPECT_EQ(plain_header, GetParam() == test::Backend::Plain);
}

TEST_P(SchemaTest, TablesAreStrict) {
  EXILE_ASSERT_OK(migrate(db()));
  auto bad = db().exec("INSERT INTO sessions(id, state) VALUES (42, 'not a blob')");
  EXPECT_FALSE(bad.has_value());
}

EXILE_STORE_TEST_SUITE(SchemaTest);

}  // namespace
}  // namespace exile::store
