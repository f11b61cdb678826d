// The exile VFS end to end on real files: what is on disk, what SQLite features still work, and
// what is refused. Format and rules: docs/storage.md; the VFS: src/store/vfs.cpp.
#include "store/vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/detail/key_registry.h"
#include "store/support/vfs_test_support.h"

namespace exile::store {
namespace {

using test::vfs_contains;
using test::vfs_random_key;
using test::vfs_read_file;
using test::VfsTempDir;

constexpr std::size_t kPageSizeForTests = 4096;

// Distinctive strings that must never reach the disk in the clear.
const std::vector<std::string> kMarkers = {"MARKER-message-Zanzibar-7f3a", "MARKER-name-Quixotica",
                                           "MARKER-key-0123456789abcdef0123456789abcdef"};

Database open_or_die(const std::filesystem::path& path, const DatabaseKey& key,
                     OpenMode mode = OpenMode::CreateIfMissing) {
  auto db = Database::open(path, key, mode);
  if (!db) {
    ADD_FAILURE() << db.error();
    std::abort();
  }
  return std::move(*db);
}

void fill(Database& db, int rows) {
  ASSERT_TRUE(
      db.exec("CREATE TABLE IF NOT EXISTS messages(id INTEGER PRIMARY KEY, sender TEXT, "
              "body TEXT, secret BLOB)"));
  auto tx = db.begin();
  ASSERT_TRUE(tx);
  auto stmt = db.prepare("INSERT INTO messages(sender, body, secret) VALUES (?1, ?2, ?3)");
  ASSERT_TRUE(stmt);
  for (int i = 0; i < rows; ++i) {
    const std::string body = kMarkers[0] + " " + std::to_string(i) +
                             std::string(static_cast<std::size_t>(i % 7 * 300), 'x');
    stmt->bind(1, std::string_view(kMarkers[1]))
        .bind(2, std::string_view(body))
        .bind(3, as_bytes(kMarkers[2]));
    ASSERT_TRUE(stmt->run());
    stmt->reset();
  }
  ASSERT_TRUE(tx->commit());
}

std::int64_t count_rows(Database& db) {
  auto stmt = db.prepare("SELECT count(*) FROM messages WHERE sender = ?1");
  EXPECT_TRUE(stmt);
  stmt->bind(1, std::string_view(kMarkers[1]));
  EXPECT_TRUE(stmt->step().value_or(false));
  return stmt->column_int64(0);
}

std::string integrity(Database& db) {
  auto stmt = db.prepare("PRAGMA integrity_check");
  if (!stmt) return "prepare failed";
  auto row = stmt->step();
  if (!row || !*row) return "step failed";
  return stmt->column_text(0);
}

void expect_no_plaintext(const std::filesystem::path& file) {
  const Bytes bytes = vfs_read_file(file);
  ASSERT_FALSE(bytes.empty()) << file;
  for (const auto& marker : kMarkers) EXPECT_FALSE(vfs_contains(bytes, marker)) << file;
  EXPECT_FALSE(vfs_contains(bytes, "SQLite format 3")) << file;
  EXPECT_FALSE(vfs_contains(bytes, "CREATE TABLE")) << file;
}

TEST(VfsTest, CreateInsertReopen) {
  VfsTempDir dir;
  const auto path = dir.file("a.db");
  const DatabaseKey key = vfs_random_key();
  {
    Database db = open_or_die(path, key);
    fill(db, 200);
  }
  Database db = open_or_die(path, key, OpenMode::OpenExisting);
  EXPECT_EQ(count_rows(db), 200);
  EXPECT_EQ(integrity(db), "ok");
  // Page 1 header: 4096-byte pages, 40 reserved bytes, readable at 16..23.
  const Bytes bytes = vfs_read_file(path);
  ASSERT_GE(bytes.size(), 4096u);
  EXPECT_EQ(bytes.size() % 4096, 0u);
  EXPECT_EQ(load_u16(bytes.data() + 16), 4096);
  EXPECT_EQ(bytes[20], 40);
}

// Two connections to one file: each connection's copy of page 1's header (vfs_file.cpp,
// read_file_header) must never hide the other's commits, in either direction.
TEST(VfsTest, TwoConnectionsSeeEachOthersCommits) {
  VfsTempDir dir;
  const auto path = dir.file("shared.db");
  const DatabaseKey key = vfs_random_key();
  Database a = open_or_die(path, key);
  fill(a, 10);
  Database b = open_or_die(path, key, OpenMode::OpenExisting);
  EXPECT_EQ(count_rows(b), 10);
  for (int round = 1; round <= 5; ++round) {
    fill(a, 3);
    EXPECT_EQ(count_rows(b), 10 + 6 * round - 3);
    fill(b, 3);
    EXPECT_EQ(count_rows(a), 10 + 6 * round);
  }
  EXPECT_EQ(integrity(a), "ok");
  EXPECT_EQ(integrity(b), "ok");
}

// A page 1 damaged on disk while a connection is open, its nonce and tag untouched: that
// connection may go on with the pages it already authenticated (its own page cache and its copy
// of the header), or fail; it never reads the damaged bytes as data. A new connection refuses.
TEST(VfsTest, PageOneDamagedUnderAnOpenConnection) {
  VfsTempDir dir;
  const auto path = dir.file("damaged.db");
  const DatabaseKey key = vfs_random_key();
  Database db = open_or_die(path, key);
  fill(db, 50);
  Bytes bytes = vfs_read_file(path);
  bytes[200] ^= 0x01;  // inside page 1's b-tree, outside the header and the trailer
  test::vfs_write_file(path, bytes);
  auto stmt = db.prepare("SELECT count(*) FROM messages");
  if (stmt) {
    auto row = stmt->step();
    if (row) {
      ASSERT_TRUE(*row);
      EXPECT_EQ(stmt->column_int64(0), 50);
    } else {
      EXPECT_EQ(row.error().code, ErrorCode::DatabaseCorrupt);
    }
  } else {
    EXPECT_EQ(stmt.error().code, ErrorCode::DatabaseCorrupt);
  }
  auto again = Database::open(path, key, OpenMode::OpenExisting);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::DatabaseCorrupt);
}

TEST(VfsTest, OpenExistingMissingIsNotFound) {
  VfsTempDir dir;
  auto db = Database::open(dir.file("missing.db"), vfs_random_key(), OpenMode::OpenExisting);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::NotFound);
}

TEST(VfsTest, Fts5Works) {
  VfsTempDir dir;
  const auto path = dir.file("fts.db");
  const DatabaseKey key = vfs_random_key();
  {
    Database db = open_or_die(path, key);
    ASSERT_TRUE(db.exec("CREATE VIRTUAL TABLE search USING fts5(body)"));
    ASSERT_TRUE(
        db.exec("INSERT INTO search(body) VALUES ('the Zanzibarian walrus sings'),"
                "('nothing to see'), ('walrus again')"));
  }
  Database db = open_or_die(path, key, OpenMode::OpenExisting);
  auto stmt = db.prepare("SELECT count(*) FROM search WHERE search MATCH 'walrus'");
  ASSERT_TRUE(stmt);
  ASSERT_TRUE(stmt->step().value_or(false));
  EXPECT_EQ(stmt->column_int64(0), 2);
  EXPECT_FALSE(vfs_contains(vfs_read_file(path), "Zanzibarian"));
}

TEST(VfsTest, NoPlaintextInDatabaseOrHotJournal) {
  VfsTempDir dir;
  const auto path = dir.file("plain.db");
  const DatabaseKey key = vfs_random_key();
  Database db = open_or_die(path, key);
  fill(db, 300);
  expect_no_plaintext(path);
  // Mid-transaction the journal holds the original images of every page the update touched.
  auto tx = db.begin();
  ASSERT_TRUE(tx);
  ASSERT_TRUE(db.exec("UPDATE messages SET body = 'replaced' WHERE id % 2 = 0"));
  const auto journal = path.string() + "-journal";
  ASSERT_TRUE(std::filesystem::exists(journal));
  EXPECT_GT(std::filesystem::file_size(journal), 8192u);
  expect_no_plaintext(journal);
  ASSERT_TRUE(tx->commit());
  EXPECT_FALSE(std::filesystem::exists(journal));
  expect_no_plaintext(path);
}

TEST(VfsTest, StockSqliteCannotRead) {
  VfsTempDir dir;
  const auto path = dir.file("stock.db");
  {
    Database db = open_or_die(path, vfs_random_key());
    fill(db, 20);
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  const int rc = sqlite3_exec(raw, "SELECT * FROM sqlite_schema", nullptr, nullptr, nullptr);
  EXPECT_EQ(rc, SQLITE_NOTADB);
  sqlite3_close(raw);

  const std::string command =
      "/usr/bin/sqlite3 -readonly '" + path.string() + "' 'SELECT * FROM messages;' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[256];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  EXPECT_NE(status, 0);
  EXPECT_NE(output.find("not a database"), std::string::npos) << output;
  EXPECT_EQ(output.find("MARKER"), std::string::npos);
}

TEST(VfsTest, VacuumKeepsEncryption) {
  VfsTempDir dir;
  const auto path = dir.file("vac.db");
  const DatabaseKey key = vfs_random_key();
  Database db = open_or_die(path, key);
  fill(db, 300);
  ASSERT_TRUE(db.exec("DELETE FROM messages WHERE id % 3 = 0"));
  const auto before = std::filesystem::file_size(path);
  ASSERT_TRUE(db.exec("VACUUM"));
  EXPECT_LT(std::filesystem::file_size(path), before);
  expect_no_plaintext(path);
  EXPECT_EQ(count_rows(db), 200);
  EXPECT_EQ(integrity(db), "ok");
}

TEST(VfsTest, VacuumIntoWritesNewKeyAndId) {
  VfsTempDir dir;
  const auto path = dir.file("old.db");
  const auto target = dir.file("new.db");
  const DatabaseKey key = vfs_random_key();
  const DatabaseKey new_key = vfs_random_key();
  {
    Database db = open_or_die(path, key);
    fill(db, 150);
    ASSERT_TRUE(vacuum_into(db, target, new_key));
    // A second time onto an existing file is refused and leaves it alone.
    auto again = vacuum_into(db, target, new_key);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::InvalidArgument);
  }
  expect_no_plaintext(target);
  const Bytes old_bytes = vfs_read_file(path);
  const Bytes new_bytes = vfs_read_file(target);
  EXPECT_FALSE(std::equal(old_bytes.begin(), old_bytes.begin() + 16, new_bytes.begin()));
  EXPECT_EQ(new_bytes[20], 40);

  auto with_old = Database::open(target, key, OpenMode::OpenExisting);
  ASSERT_FALSE(with_old);
  EXPECT_EQ(with_old.error().code, ErrorCode::DatabaseCorrupt);
  Database db = open_or_die(target, new_key, OpenMode::OpenExisting);
  EXPECT_EQ(count_rows(db), 150);
  EXPECT_EQ(integrity(db), "ok");

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(target.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(raw, "SELECT * FROM messages", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
}

TEST(VfsTest, WalAndOtherJournalModesRefused) {
  VfsTempDir dir;
  const auto path = dir.file("wal.db");
  Database db = open_or_die(path, vfs_random_key());
  fill(db, 10);
  for (const char* mode : {"WAL", "wal", "MEMORY", "OFF", "PERSIST"}) {
    EXPECT_FALSE(db.exec(std::string("PRAGMA journal_mode=") + mode)) << mode;
  }
  EXPECT_TRUE(db.exec("PRAGMA journal_mode=TRUNCATE"));
  EXPECT_TRUE(db.exec("PRAGMA journal_mode=DELETE"));
  ASSERT_TRUE(db.exec("PRAGMA locking_mode=EXCLUSIVE"));
  EXPECT_FALSE(db.exec("PRAGMA journal_mode=WAL"));
  fill(db, 10);
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-shm"));
  auto stmt = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(stmt);
  ASSERT_TRUE(stmt->step().value_or(false));
  EXPECT_EQ(stmt->column_text(0), "delete");
}

std::vector<std::filesystem::path> listing(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) out.push_back(entry.path());
  return out;
}

TEST(VfsTest, TempFileSpillFailsClosed) {
  VfsTempDir dir;
  const auto path = dir.file("spill.db");
  Database db = open_or_die(path, vfs_random_key());
  fill(db, 10);
  const auto files_before = listing(dir.path());
  // With temp files allowed, a sort larger than the cache spills to a temp file: refused.
  ASSERT_TRUE(db.exec("PRAGMA temp_store=FILE; PRAGMA cache_size=16"));
  (void)take_unencrypted_file_refusal();
  auto sorted = db.exec(
      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 60000) "
      "SELECT x, randomblob(200) AS r FROM n ORDER BY r");
  ASSERT_FALSE(sorted);
  EXPECT_EQ(refine_vfs_error(sorted.error()).code, ErrorCode::UnencryptedFileRefused);
  EXPECT_EQ(listing(dir.path()), files_before);
  // The connection is still usable, and with temp_store=MEMORY the same query works.
  ASSERT_TRUE(db.exec("PRAGMA temp_store=MEMORY"));
  EXPECT_TRUE(
      db.exec("SELECT x FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
              "FROM n WHERE x < 60000) SELECT x, randomblob(200) AS r FROM n ORDER BY r)"));
  EXPECT_EQ(count_rows(db), 10);
  EXPECT_FALSE(take_unencrypted_file_refusal());
}

TEST(VfsTest, UnencryptedAttachAndSuperJournalRefused) {
  VfsTempDir dir;
  const DatabaseKey key = vfs_random_key();
  Database db = open_or_die(dir.file("main.db"), key);
  fill(db, 5);
  // A database without a registered key cannot be attached (it would be plaintext).
  (void)take_unencrypted_file_refusal();
  auto plain = db.exec("ATTACH '" + dir.file("plain.db").string() + "' AS plain");
  ASSERT_FALSE(plain);
  EXPECT_EQ(refine_vfs_error(plain.error()).code, ErrorCode::UnencryptedFileRefused);
  EXPECT_FALSE(std::filesystem::exists(dir.file("plain.db")));

  // An encrypted second database attaches, but a transaction across both needs a
  // super-journal, which is refused: the commit fails and neither database changes.
  const detail::RegisteredKey registered(key);
  const auto attach = [&](const char* file, const char* schema) {
    return db.exec("ATTACH 'file:" + dir.file(file).string() + "?exile_key=" + registered.handle() +
                   "' AS " + schema);
  };
  // Without the 40 reserved bytes the VFS refuses to write a new database's page 1.
  ASSERT_TRUE(attach("third.db", "third"));
  auto no_reserve = db.exec("CREATE TABLE third.t(x)");
  ASSERT_FALSE(no_reserve);
  EXPECT_EQ(no_reserve.error().code, ErrorCode::StorageIo);
  ASSERT_TRUE(db.exec("DETACH third"));

  ASSERT_TRUE(attach("other.db", "other"));
  int reserve = 40;
  ASSERT_EQ(sqlite3_file_control(db.handle(), "other", SQLITE_FCNTL_RESERVE_BYTES, &reserve),
            SQLITE_OK);
  ASSERT_TRUE(db.exec("CREATE TABLE other.t(x)"));
  ASSERT_TRUE(db.exec("BEGIN"));
  ASSERT_TRUE(db.exec("INSERT INTO other.t VALUES (1)"));
  ASSERT_TRUE(db.exec("DELETE FROM main.messages"));
  auto commit = db.exec("COMMIT");
  ASSERT_FALSE(commit);
  EXPECT_EQ(refine_vfs_error(commit.error()).code, ErrorCode::UnencryptedFileRefused);
  (void)db.exec("ROLLBACK");
  EXPECT_EQ(count_rows(db), 5);
  for (const auto& file : listing(dir.path())) {
    EXPECT_EQ(file.string().find("-mj"), std::string::npos) << file;
  }
}

// --- the rollback journal's write shapes ------------------------------------------------------

struct JournalRecord {
  std::uint32_t pgno = 0;
  std::size_t image = 0;  // offset of the 4096-byte image in the journal
};

// The records that follow the journal's first header (its sector size is in bytes 20 … 23).
std::vector<JournalRecord> journal_records(const Bytes& journal) {
  std::vector<JournalRecord> records;
  if (journal.size() < 28) return records;
  const std::size_t sector = load_u32(journal.data() + 20);
  for (std::size_t at = sector; at + 4 + kPageSizeForTests + 4 <= journal.size();
       at += kPageSizeForTests + 8) {
    records.push_back({load_u32(journal.data() + at), at + 4});
  }
  return records;
}

sqlite3_file* journal_of(Database& db) {
  sqlite3_file* journal = nullptr;
  EXPECT_EQ(sqlite3_file_control(db.handle(), "main", SQLITE_FCNTL_JOURNAL_POINTER, &journal),
            SQLITE_OK);
  return journal;
}

// Only the write shapes of SQLite 3.40's pager reach a journal (src/store/detail/vfs_file.cpp,
// journal_write); any other write is refused and nothing is written.
TEST(VfsTest, JournalRefusesUnknownWriteShapes) {
  VfsTempDir dir;
  const auto path = dir.file("shapes.db");
  Database db = open_or_die(path, vfs_random_key());
  fill(db, 40);
  ASSERT_TRUE(db.exec("BEGIN; UPDATE messages SET body = 'changed' WHERE id % 2 = 0"));
  sqlite3_file* journal = journal_of(db);
  ASSERT_NE(journal, nullptr);
  ASSERT_NE(journal->pMethods, nullptr);
  const auto journal_path = path.string() + "-journal";
  const Bytes before = vfs_read_file(journal_path);
  ASSERT_GT(before.size(), 512u + 4104u);
  const auto end = static_cast<sqlite3_int64>(before.size());

  const std::string marker = kMarkers[0];
  std::vector<std::uint8_t> text(8192);
  for (std::size_t i = 0; i < text.size(); ++i)
    text[i] = static_cast<std::uint8_t>(marker[i % marker.size()]);
  // A header as SQLite writes it, with the marker in the part that must be zero.
  std::vector<std::uint8_t> header(512, 0);
  store_u32(header.data() + 20, 512);
  store_u32(header.data() + 24, 4096);
  std::memcpy(header.data() + 100, marker.data(), marker.size());
  const std::uint8_t magic_nrec[12] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7, 0, 0, 0, 9};
  const std::uint8_t zero = 0;

  struct Shape {
    const char* what;
    const void* data;
    int amount;
    sqlite3_int64 offset;
  };
  const std::vector<Shape> shapes = {
      {"a whole record in one call", text.data(), 4104, end},
      {"a page image and its checksum in one call", text.data(), 4100, end + 4},
      {"two page images in one call", text.data(), 8192, end + 4},
      {"a page at a header's offset", text.data(), 4096, 0},
      {"a page at the next sector", text.data(), 4096, 4096 * 4},
      {"a record's image rewritten without its page number", text.data(), 4096,
       static_cast<sqlite3_int64>(journal_records(before).front().image)},
      {"a header with text in its padding", header.data(), 512, 0},
      {"a short run of bytes", text.data(), 100, 700},
      {"a super-journal name", text.data(), 40, end + 4},
      {"a super-journal magic", magic_nrec, 8, end},
      {"a record count where no header is", magic_nrec, 12, 512 * 3},
      {"a zero byte where no header is", &zero, 1, 512 * 5},
      {"a page number inside the header", text.data(), 4, 8},
      {"28 bytes that are not zero", text.data(), 28, 0},
  };
  for (const Shape& shape : shapes) {
    EXPECT_EQ(journal->pMethods->xWrite(journal, shape.data, shape.amount, shape.offset),
              SQLITE_IOERR_WRITE)
        << shape.what;
    EXPECT_EQ(vfs_read_file(journal_path), before) << shape.what;
  }
  EXPECT_FALSE(vfs_contains(vfs_read_file(journal_path), marker));
  // The transaction goes on with SQLite's own shapes.
  ASSERT_TRUE(db.exec("UPDATE messages SET body = 'more' WHERE id % 3 = 0; ROLLBACK"));
  EXPECT_EQ(count_rows(db), 40);
  EXPECT_EQ(integrity(db), "ok");
}

// Every row of `messages` as SQLite returns it on this connection.
std::string messages_dump(Database& db) {
  auto stmt = db.prepare("SELECT id, body FROM messages ORDER BY id");
  EXPECT_TRUE(stmt);
  std::string out;
  while (stmt->step().value_or(false)) {
    out += std::to_string(stmt->column_int64(0)) + ":" + stmt->column_text(1) + "\n";
  }
  return out;
}

// A page SQLite journals before changing it is, in the journal, the sealed page that is on disk:
// the VFS copies it rather than sealing the same plaintext again (docs/storage.md §"Journal
// format"). Every image of a transaction over pages this connection read is byte-identical to the
// database page before the transaction, and a rollback restores them.
TEST(VfsTest, JournalImagesAreTheSealedPagesOnDisk) {
  VfsTempDir dir;
  const auto path = dir.file("copy.db");
  Database db = open_or_die(path, vfs_random_key());
  fill(db, 200);
  const std::string rows = messages_dump(db);  // every page read on this connection
  const Bytes before = vfs_read_file(path);
  ASSERT_TRUE(db.exec("BEGIN; UPDATE messages SET body = 'changed' WHERE id % 3 = 0"));
  const Bytes journal = vfs_read_file(path.string() + "-journal");
  const auto records = journal_records(journal);
  ASSERT_GT(records.size(), 5u);
  for (const JournalRecord& r : records) {
    ASSERT_GE(r.pgno, 1u);
    const std::size_t page = (r.pgno - 1) * kPageSizeForTests;
    ASSERT_LE(page + kPageSizeForTests, before.size());
    EXPECT_TRUE(std::equal(journal.begin() + static_cast<std::ptrdiff_t>(r.image),
                           journal.begin() + static_cast<std::ptrdiff_t>(r.image) +
                               static_cast<std::ptrdiff_t>(kPageSizeForTests),
                           before.begin() + static_cast<std::ptrdiff_t>(page)))
        << "page " << r.pgno << " was sealed again";
  }
  ASSERT_TRUE(db.exec("ROLLBACK"));
  EXPECT_EQ(messages_dump(db), rows);
  EXPECT_EQ(integrity(db), "ok");
  EXPECT_EQ(vfs_read_file(path), before);
}

// The copy is made only for the plaintext the connection saw at that page. An image SQLite hands
// over with other content (here written through the journal's xWrite) is sealed from what was
// handed over, and reads back as exactly that.
TEST(VfsTest, JournalImageOfOtherContentIsSealedFromIt) {
  VfsTempDir dir;
  const auto path = dir.file("other.db");
  Database db = open_or_die(path, vfs_random_key());
  fill(db, 120);
  const std::string rows = messages_dump(db);
  ASSERT_TRUE(db.exec("BEGIN; UPDATE messages SET body = 'changed' WHERE id % 2 = 0"));
  sqlite3_file* journal = journal_of(db);
  ASSERT_NE(journal, nullptr);
  const auto journal_path = path.string() + "-journal";
  const Bytes before = vfs_read_file(journal_path);
  const auto records = journal_records(before);
  ASSERT_FALSE(records.empty());
  const auto end = static_cast<sqlite3_int64>(before.size());
  // A page this connection has read and that is on disk, as the next record of the journal.
  std::uint8_t pgno[4];
  store_u32(pgno, records.back().pgno);
  ASSERT_EQ(journal->pMethods->xWrite(journal, pgno, 4, end), SQLITE_OK);
  std::vector<std::uint8_t> other(kPageSizeForTests);
  for (std::size_t i = 0; i < other.size(); ++i) other[i] = static_cast<std::uint8_t>(i * 7 + 1);
  std::fill(other.end() - 40, other.end(), std::uint8_t{0});  // the reserve SQLite leaves
  ASSERT_EQ(journal->pMethods->xWrite(journal, other.data(), 4096, end + 4), SQLITE_OK);
  std::vector<std::uint8_t> read_back(kPageSizeForTests);
  ASSERT_EQ(journal->pMethods->xRead(journal, read_back.data(), 4096, end + 4), SQLITE_OK);
  EXPECT_EQ(read_back, other);
  // Take the record away again before SQLite rolls back over the journal.
  ASSERT_EQ(journal->pMethods->xTruncate(journal, end), SQLITE_OK);
  ASSERT_TRUE(db.exec("ROLLBACK"));
  EXPECT_EQ(messages_dump(db), rows);
  EXPECT_EQ(integrity(db), "ok");
}

// Nor is the copy made when the page on disk is no longer the one the connection saw (here
// older versions of every page but page 1 put back behind its back; SQLite keeps its page cache,
// page 1's change counter being unchanged). The journal then holds what SQLite holds, and a
// rollback gives SQLite back its own pages, not what was put on the disk.
TEST(VfsTest, JournalImageOfAPageChangedOnDiskIsSealedFromTheCache) {
  VfsTempDir dir;
  const auto path = dir.file("behind.db");
  Database db = open_or_die(path, vfs_random_key());
  fill(db, 150);
  const Bytes old_file = vfs_read_file(path);
  ASSERT_TRUE(db.exec("UPDATE messages SET body = body || ' v2'"));
  const std::string rows = messages_dump(db);  // every page cached and seen at version 2
  Bytes mixed = vfs_read_file(path);
  ASSERT_EQ(mixed.size(), old_file.size());
  std::copy(old_file.begin() + static_cast<std::ptrdiff_t>(kPageSizeForTests), old_file.end(),
            mixed.begin() + static_cast<std::ptrdiff_t>(kPageSizeForTests));
  test::vfs_write_file(path, mixed);
  ASSERT_TRUE(db.exec("BEGIN; UPDATE messages SET body = 'changed'"));
  ASSERT_TRUE(db.exec("ROLLBACK"));
  EXPECT_EQ(messages_dump(db), rows);
}

// In exclusive locking mode SQLite keeps the journal between transactions: it resets the first
// header with 28 zero bytes at each commit and zeroes the first byte of a stale header where
// the next header goes. Both shapes are accepted, and transactions that spill (several headers)
// commit and roll back correctly over the reused file.
TEST(VfsTest, ExclusiveModeReusesTheJournal) {
  VfsTempDir dir;
  const auto path = dir.file("exclusive.db");
  Database db = open_or_die(path, vfs_random_key());
  fill(db, 150);
  ASSERT_TRUE(db.exec("PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=8"));
  const char* update = "UPDATE messages SET body = body || '+' WHERE id % 2 = 0";
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(db.exec(std::string("BEGIN; ") + update + "; COMMIT")) << round;
    EXPECT_TRUE(std::filesystem::exists(path.string() + "-journal"));
  }
  ASSERT_TRUE(db.exec(std::string("BEGIN; ") + update + "; DELETE FROM messages; ROLLBACK"));
  EXPECT_EQ(count_rows(db), 150);
  auto stmt = db.prepare("SELECT count(*) FROM messages WHERE body LIKE '%+++'");
  ASSERT_TRUE(stmt);
  ASSERT_TRUE(stmt->step().value_or(false));
  EXPECT_EQ(stmt->column_int64(0), 75);
  EXPECT_EQ(integrity(db), "ok");
}

TEST(VfsTest, SqliteVersionOutsideTheTestedRangeIsRefused) {
  EXPECT_TRUE(register_exile_vfs());
  EXPECT_TRUE(check_sqlite_version(sqlite3_libversion_number()));
  EXPECT_TRUE(check_sqlite_version(3040000));
  EXPECT_TRUE(check_sqlite_version(3040001));
  for (const int version : {3039004, 3041000, 3046001, 3999999}) {
    auto result = check_sqlite_version(version);
    ASSERT_FALSE(result) << version;
    EXPECT_NE(result.error().message.find("3.40"), std::string::npos) << result.error();
    const std::string named = std::to_string(version / 1000000) + "." +
                              std::to_string(version / 1000 % 1000) + "." +
                              std::to_string(version % 1000);
    EXPECT_NE(result.error().message.find(named), std::string::npos) << result.error();
  }
}

// --- errors, names and modes ------------------------------------------------------------------

TEST(VfsTest, AuthenticationFailureIsIoerrData) {
  VfsTempDir dir;
  const auto path = dir.file("auth.db");
  const DatabaseKey key = vfs_random_key();
  {
    Database db = open_or_die(path, key);
    fill(db, 60);
  }
  Bytes bytes = vfs_read_file(path);
  ASSERT_GT(bytes.size(), 4u * 4096);
  bytes[3 * 4096 + 100] ^= 0x01;  // page 4
  test::vfs_write_file(path, bytes);
  Database db = open_or_die(path, key, OpenMode::OpenExisting);
  auto stmt = db.prepare("SELECT count(*), sum(length(body)) FROM messages");
  ASSERT_TRUE(stmt);
  auto row = stmt->step();
  ASSERT_FALSE(row);
  EXPECT_EQ(row.error().code, ErrorCode::DatabaseCorrupt);
  EXPECT_EQ(sqlite3_extended_errcode(db.handle()), SQLITE_IOERR_DATA);
}

TEST(VfsTest, StrayWalFileIsAClearError) {
  VfsTempDir dir;
  const auto path = dir.file("stray.db");
  const DatabaseKey key = vfs_random_key();
  {
    Database db = open_or_die(path, key);
    fill(db, 5);
  }
  const auto wal = path.string() + "-wal";
  const Bytes junk(4096, 0x5a);
  test::vfs_write_file(wal, junk);
  auto result = [&]() -> Result<void> {
    auto db = Database::open(path, key, OpenMode::OpenExisting);
    if (!db) return fail(std::move(db).error());
    return db->exec("SELECT count(*) FROM messages");
  }();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::UnencryptedFileRefused) << result.error();
  EXPECT_NE(result.error().message.find("-wal"), std::string::npos) << result.error();
  EXPECT_EQ(vfs_read_file(wal), junk);  // left for someone to look at
  std::filesystem::remove(wal);
  Database db = open_or_die(path, key, OpenMode::OpenExisting);
  EXPECT_EQ(count_rows(db), 5);
}

TEST(VfsTest, FileControlVfsNameNamesTheExileVfs) {
  VfsTempDir dir;
  Database db = open_or_die(dir.file("name.db"), vfs_random_key());
  fill(db, 1);
  char* name = nullptr;
  ASSERT_EQ(sqlite3_file_control(db.handle(), "main", SQLITE_FCNTL_VFSNAME, &name), SQLITE_OK);
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(std::string(name), "exile/unix");
  sqlite3_free(name);
  ASSERT_TRUE(db.exec("BEGIN; DELETE FROM messages"));
  sqlite3_file* journal = journal_of(db);
  ASSERT_NE(journal, nullptr);
  name = nullptr;
  ASSERT_EQ(journal->pMethods->xFileControl(journal, SQLITE_FCNTL_VFSNAME, &name), SQLITE_OK);
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(std::string(name), "exile/unix");
  sqlite3_free(name);
  ASSERT_TRUE(db.exec("ROLLBACK"));
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777u;
}

// Database and journal files are created owner-only (0600) whatever the umask.
TEST(VfsTest, FilesAreCreatedOwnerOnly) {
  VfsTempDir dir;
  const auto path = dir.file("modes.db");
  const auto journal = path.string() + "-journal";
  const mode_t saved = ::umask(0);
  {
    Database db = open_or_die(path, vfs_random_key());
    fill(db, 3);
    EXPECT_EQ(mode_of(path), 0600u);
    ASSERT_TRUE(db.exec("BEGIN; DELETE FROM messages"));
    EXPECT_EQ(mode_of(journal), 0600u);
    ASSERT_TRUE(db.exec("ROLLBACK"));
    // A database made readable by others before this version: its new journals are not.
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    ASSERT_TRUE(db.exec("BEGIN; DELETE FROM messages"));
    EXPECT_EQ(mode_of(journal), 0600u);
    ASSERT_TRUE(db.exec("ROLLBACK"));
  }
  ::umask(022);
  {
    const auto copy = dir.file("copy.db");
    Database db = open_or_die(dir.file("other.db"), vfs_random_key());
    fill(db, 1);
    EXPECT_EQ(mode_of(dir.file("other.db")), 0600u);
    ASSERT_TRUE(vacuum_into(db, copy, vfs_random_key()));
    EXPECT_EQ(mode_of(copy), 0600u);
  }
  ::umask(saved);
}

}  // namespace
}  // namespace exile::store
