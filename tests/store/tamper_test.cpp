// Damage to an encrypted database is an error (DatabaseCorrupt), never wrong data and never a
// crash; and the one thing page authentication cannot see (an old version of a page put back)
// is pinned here and documented in docs/storage.md §"Known limits".
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/database.h"
#include "store/detail/page_cipher.h"
#include "store/support/vfs_test_support.h"
#include "store/vfs.h"

namespace exile::store {
namespace {

using detail::kPageSize;
using test::vfs_random_key;
using test::vfs_read_file;
using test::vfs_write_file;
using test::VfsTempDir;

void build(const std::filesystem::path& path, const DatabaseKey& key) {
  auto db = Database::open(path, key, OpenMode::CreateIfMissing);
  ASSERT_TRUE(db);
  ASSERT_TRUE(
      db->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, body TEXT);"
               "CREATE INDEX t_body ON t(body);"));
  ASSERT_TRUE(db->exec("BEGIN"));
  auto stmt = db->prepare("INSERT INTO t(n, body) VALUES (?1, ?2)");
  ASSERT_TRUE(stmt);
  for (int i = 0; i < 120; ++i) {
    const std::string body =
        "row " + std::to_string(i) +
        std::string(static_cast<std::size_t>(i % 5 * 500), static_cast<char>('a' + i % 26));
    stmt->bind(1, std::int64_t{1000 + i}).bind(2, std::string_view(body));
    ASSERT_TRUE(stmt->run());
    stmt->reset();
  }
  ASSERT_TRUE(db->exec("COMMIT"));
  ASSERT_TRUE(db->exec("VACUUM"));  // no free pages: every page is read by integrity_check
}

// Everything the database holds, or the error met while reading it.
Result<std::string> dump(const std::filesystem::path& path, const DatabaseKey& key) {
  auto db = Database::open(path, key, OpenMode::OpenExisting);
  if (!db) return fail(std::move(db).error());
  std::string out;
  auto stmt = db->prepare("SELECT id, n, body FROM t ORDER BY id");
  if (!stmt) return fail(std::move(stmt).error());
  for (;;) {
    auto row = stmt->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) break;
    out += std::to_string(stmt->column_int64(0)) + ":" + std::to_string(stmt->column_int64(1)) +
           ":" + stmt->column_text(2) + "\n";
  }
  auto check = db->prepare("PRAGMA integrity_check");
  if (!check) return fail(std::move(check).error());
  auto row = check->step();
  if (!row) return fail(std::move(row).error());
  if (!*row || check->column_text(0) != "ok") return fail(ErrorCode::DatabaseCorrupt, "check");
  return out;
}

class TamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    build(path_, key_);
    original_ = vfs_read_file(path_);
    ASSERT_EQ(original_.size() % kPageSize, 0u);
    pages_ = original_.size() / kPageSize;
    ASSERT_GE(pages_, 20u);
    auto expected = dump(path_, key_);
    ASSERT_TRUE(expected) << expected.error();
    expected_ = *expected;
  }

  // Writes `bytes` as the database and requires that reading it fails with DatabaseCorrupt.
  void expect_rejected(const Bytes& bytes, const std::string& what) {
    vfs_write_file(path_, bytes);
    auto result = dump(path_, key_);
    ASSERT_FALSE(result) << what << ": damage not detected";
    EXPECT_EQ(result.error().code, ErrorCode::DatabaseCorrupt) << what << ": " << result.error();
  }

  VfsTempDir dir_;
  std::filesystem::path path_ = dir_.file("t.db");
  DatabaseKey key_ = vfs_random_key();
  Bytes original_;
  std::size_t pages_ = 0;
  std::string expected_;
};

TEST_F(TamperTest, FlippedByteInEveryPage) {
  const std::vector<std::size_t> offsets = {0,    1,    100,  1000, 2048, 4000,
                                            4055, 4056, 4070, 4079, 4080, 4095};
  int checked = 0;
  for (std::size_t page = 0; page < pages_; ++page) {
    for (const std::size_t offset : offsets) {
      Bytes damaged = original_;
      damaged[page * kPageSize + offset] ^= 0x01;
      expect_rejected(damaged,
                      "page " + std::to_string(page + 1) + " offset " + std::to_string(offset));
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(pages_ * offsets.size()));
}

TEST_F(TamperTest, FlippedByteInPageOneHeader) {
  for (std::size_t offset = 0; offset < 100; ++offset) {
    for (const std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
      Bytes damaged = original_;
      damaged[offset] ^= mask;
      expect_rejected(damaged, "page 1 header offset " + std::to_string(offset));
    }
  }
}

TEST_F(TamperTest, SwappedPages) {
  for (const auto& [a, b] :
       std::vector<std::pair<std::size_t, std::size_t>>{{0, 1}, {1, 2}, {2, pages_ - 1}, {5, 9}}) {
    Bytes damaged = original_;
    std::swap_ranges(damaged.begin() + static_cast<std::ptrdiff_t>(a * kPageSize),
                     damaged.begin() + static_cast<std::ptrdiff_t>((a + 1) * kPageSize),
                     damaged.begin() + static_cast<std::ptrdiff_t>(b * kPageSize));
    expect_rejected(damaged, "swap " + std::to_string(a + 1) + "/" + std::to_string(b + 1));
  }
}

TEST_F(TamperTest, PageFromAnotherDatabaseWithTheSameKey) {
  const auto other_path = dir_.file("other.db");
  build(other_path, key_);  // same key, same content, different database id
  const Bytes other = vfs_read_file(other_path);
  ASSERT_EQ(other.size(), original_.size());
  for (std::size_t page = 1; page < pages_; page += 3) {
    Bytes damaged = original_;
    std::copy_n(other.begin() + static_cast<std::ptrdiff_t>(page * kPageSize), kPageSize,
                damaged.begin() + static_cast<std::ptrdiff_t>(page * kPageSize));
    expect_rejected(damaged, "foreign page " + std::to_string(page + 1));
  }
}

TEST_F(TamperTest, WrongKey) {
  auto db = Database::open(path_, vfs_random_key(), OpenMode::OpenExisting);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::DatabaseCorrupt);
  EXPECT_EQ(db.error().message.find("key"), std::string::npos);  // says nothing about the key
}

TEST_F(TamperTest, TruncatedOrExtendedFile) {
  Bytes shorter(original_.begin(), original_.end() - static_cast<std::ptrdiff_t>(kPageSize));
  expect_rejected(shorter, "last page removed");
  Bytes torn(original_.begin(), original_.end() - 100);
  expect_rejected(torn, "partial last page");
  Bytes zero_page = original_;
  std::fill_n(zero_page.begin() + 3 * static_cast<std::ptrdiff_t>(kPageSize), kPageSize, 0);
  expect_rejected(zero_page, "page 4 zeroed");
}

// A hot journal captured mid-transaction, with its magic and record count filled in as SQLite
// does when it syncs the journal before writing the database, so that it replays when put next
// to the database.
struct HotJournal {
  Bytes bytes;
  std::size_t sector = 0;
  std::uint32_t records = 0;
};

HotJournal capture_journal(const std::filesystem::path& path, const DatabaseKey& key) {
  HotJournal journal;
  auto db = Database::open(path, key, OpenMode::OpenExisting);
  EXPECT_TRUE(db);
  EXPECT_TRUE(db->exec("BEGIN; UPDATE t SET n = n + 1, body = 'CHANGED' WHERE id % 4 = 0"));
  journal.bytes = vfs_read_file(path.string() + "-journal");
  EXPECT_TRUE(db->exec("COMMIT"));  // the database now holds the change the journal undoes
  EXPECT_GE(journal.bytes.size(), 28u);
  journal.sector = load_u32(journal.bytes.data() + 20);
  journal.records =
      static_cast<std::uint32_t>((journal.bytes.size() - journal.sector) / (kPageSize + 8));
  constexpr std::uint8_t kMagic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
  std::copy(std::begin(kMagic), std::end(kMagic), journal.bytes.begin());
  store_u32(journal.bytes.data() + 8, journal.records);
  return journal;
}

TEST_F(TamperTest, HotJournalReplaysThroughTheVfs) {
  const HotJournal journal = capture_journal(path_, key_);
  ASSERT_GT(journal.records, 1u);
  test::vfs_write_file(path_.string() + "-journal", journal.bytes);
  auto result = dump(path_, key_);  // replays the journal: the transaction is undone
  ASSERT_TRUE(result) << result.error();
  EXPECT_TRUE(*result == expected_);
  EXPECT_FALSE(std::filesystem::exists(path_.string() + "-journal"));
}

// SQLite's record checksum is not keyed: a forged page image with a correct checksum must not
// be replayed into the database. A whole record that does not authenticate stops the replay
// with an error, and the journal stays where it is (docs/storage.md §"Journal format").
TEST_F(TamperTest, ForgedJournalRecordIsNotReplayed) {
  const HotJournal journal = capture_journal(path_, key_);
  ASSERT_GT(journal.records, 1u);
  const Bytes committed = vfs_read_file(path_);
  for (const std::uint32_t record : {0u, journal.records - 1}) {
    Bytes forged = journal.bytes;
    const std::size_t image = journal.sector + record * (kPageSize + 8) + 4;
    const std::string text = "INJECTED-CONTENT";
    for (std::size_t i = 0; i < kPageSize; ++i) {
      forged[image + i] = static_cast<std::uint8_t>(text[i % text.size()]);
    }
    std::uint32_t checksum = load_u32(forged.data() + 12);  // the journal's checksum init
    for (int i = static_cast<int>(kPageSize) - 200; i > 0; i -= 200) {
      checksum += forged[image + static_cast<std::size_t>(i)];
    }
    store_u32(forged.data() + image + kPageSize, checksum);
    vfs_write_file(path_, committed);
    vfs_write_file(path_.string() + "-journal", forged);
    auto result = dump(path_, key_);
    ASSERT_FALSE(result) << "record " << record;
    EXPECT_EQ(result.error().code, ErrorCode::DatabaseCorrupt);
    EXPECT_FALSE(test::vfs_contains(vfs_read_file(path_), "INJECTED"));
    EXPECT_EQ(vfs_read_file(path_.string() + "-journal"), forged) << "record " << record;
    if (record == 0) {
      EXPECT_EQ(vfs_read_file(path_), committed);  // nothing replayed
    }
  }
}

// Journal images are sealed database pages, and page 1 carries its database's id in the clear
// (docs/storage.md §"Page format"). Page 1 of another database under the same key, with a correct
// checksum, authenticates as a page but names another database: the replay stops with an error
// and the journal stays.
TEST_F(TamperTest, JournalPageOneOfAnotherDatabaseIsRefused) {
  const auto other_path = dir_.file("other.db");
  build(other_path, key_);  // same key, different database id
  const Bytes other = vfs_read_file(other_path);
  detail::DatabaseId other_id{};
  std::vector<std::uint8_t> other_plain(kPageSize);
  ASSERT_TRUE(detail::open_page(key_, other_id, 1, other.data(), other_plain.data()));
  const HotJournal journal = capture_journal(path_, key_);
  ASSERT_GT(journal.records, 1u);
  const Bytes committed = vfs_read_file(path_);
  Bytes forged = journal.bytes;
  const std::size_t record = journal.sector;
  store_u32(forged.data() + record, 1);
  std::copy_n(other.begin(), kPageSize, forged.begin() + static_cast<std::ptrdiff_t>(record + 4));
  std::uint32_t checksum = load_u32(forged.data() + 12);
  for (int i = static_cast<int>(kPageSize) - 200; i > 0; i -= 200) {
    checksum += other_plain[static_cast<std::size_t>(i)];
  }
  store_u32(forged.data() + record + 4 + kPageSize, checksum);
  vfs_write_file(path_, committed);
  vfs_write_file(path_.string() + "-journal", forged);
  auto result = dump(path_, key_);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::DatabaseCorrupt);
  EXPECT_EQ(vfs_read_file(path_.string() + "-journal"), forged);
  EXPECT_EQ(vfs_read_file(path_), committed);
}

// A real hot journal: a transaction big enough to spill pages into the database before it
// commits (so SQLite has synced the journal and written its record count), with the database
// and journal copied as they are on disk at that moment.
struct HotPair {
  Bytes database;
  Bytes journal;
  std::size_t sector = 0;
  std::uint32_t records = 0;  // in the first journal header
};

HotPair capture_hot_pair(const std::filesystem::path& path, const DatabaseKey& key) {
  HotPair pair;
  const Bytes before = vfs_read_file(path);
  auto db = Database::open(path, key, OpenMode::OpenExisting);
  EXPECT_TRUE(db);
  EXPECT_TRUE(db->exec("PRAGMA cache_size=16"));
  EXPECT_TRUE(
      db->exec("BEGIN; UPDATE t SET n = n + 7, body = body || 'SPILLED' WHERE id % 2 = 0;"
               "UPDATE t SET body = 'again' WHERE id % 3 = 0"));
  pair.database = vfs_read_file(path);
  pair.journal = vfs_read_file(path.string() + "-journal");
  EXPECT_TRUE(db->exec("ROLLBACK"));
  EXPECT_NE(pair.database, before) << "the transaction did not spill into the database";
  EXPECT_GE(pair.journal.size(), 512u);
  constexpr std::uint8_t kMagic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
  EXPECT_TRUE(std::equal(std::begin(kMagic), std::end(kMagic), pair.journal.begin()))
      << "the journal header was not committed";
  pair.records = load_u32(pair.journal.data() + 8);
  pair.sector = load_u32(pair.journal.data() + 20);
  EXPECT_GT(pair.records, 1u);
  return pair;
}

// Item: a wrong-key open must not destroy a hot journal. The wrong key is refused before
// anything is replayed; both files stay byte-identical; the right key then rolls back.
TEST_F(TamperTest, WrongKeyLeavesHotJournalForTheRightKey) {
  const HotPair hot = capture_hot_pair(path_, key_);
  const auto journal_path = path_.string() + "-journal";
  vfs_write_file(path_, hot.database);
  vfs_write_file(journal_path, hot.journal);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto wrong = dump(path_, vfs_random_key());
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, ErrorCode::DatabaseCorrupt) << wrong.error();
    ASSERT_TRUE(std::filesystem::exists(journal_path));
    EXPECT_EQ(vfs_read_file(journal_path), hot.journal);
    EXPECT_EQ(vfs_read_file(path_), hot.database);
  }
  auto right = dump(path_, key_);  // replays the journal: the state before the transaction
  ASSERT_TRUE(right) << right.error();
  EXPECT_EQ(*right, expected_);
  EXPECT_FALSE(std::filesystem::exists(journal_path));
}

// The journal header is authenticated: a changed page count (which SQLite would truncate the
// database to before reading any record) is refused, and nothing is touched.
TEST_F(TamperTest, ForgedJournalHeaderIsRefused) {
  const HotPair hot = capture_hot_pair(path_, key_);
  const auto journal_path = path_.string() + "-journal";
  for (const std::size_t offset :
       {std::size_t{12}, std::size_t{16}, std::size_t{19}, std::size_t{30}, std::size_t{60}}) {
    Bytes forged = hot.journal;
    forged[offset] ^= 0x04;
    vfs_write_file(path_, hot.database);
    vfs_write_file(journal_path, forged);
    auto result = dump(path_, key_);
    ASSERT_FALSE(result) << "header byte " << offset;
    EXPECT_EQ(result.error().code, ErrorCode::DatabaseCorrupt);
    EXPECT_EQ(vfs_read_file(journal_path), forged) << "header byte " << offset;
    EXPECT_EQ(vfs_read_file(path_), hot.database) << "header byte " << offset;
  }
  vfs_write_file(journal_path, hot.journal);
  auto right = dump(path_, key_);
  ASSERT_TRUE(right) << right.error();
  EXPECT_EQ(*right, expected_);
}

// A whole record (within the header's record count) that fails authentication is an error,
// not the end of the journal: the journal stays, and once repaired it replays.
TEST_F(TamperTest, DamagedCompleteJournalRecordIsAnError) {
  const HotPair hot = capture_hot_pair(path_, key_);
  const auto journal_path = path_.string() + "-journal";
  const std::size_t last = hot.sector + (hot.records - 1) * (kPageSize + 8);
  Bytes damaged = hot.journal;
  damaged[last + 4 + 1000] ^= 0x01;
  vfs_write_file(path_, hot.database);
  vfs_write_file(journal_path, damaged);
  auto result = dump(path_, key_);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::DatabaseCorrupt);
  EXPECT_EQ(vfs_read_file(journal_path), damaged);
  vfs_write_file(journal_path, hot.journal);
  auto right = dump(path_, key_);
  ASSERT_TRUE(right) << right.error();
  EXPECT_EQ(*right, expected_);
}

// SQLite's own ends of a journal still end it: a journal cut inside its last record, and a
// last record that was never written (zeros), end the replay there without an error.
TEST_F(TamperTest, TornLastJournalRecordEndsTheReplay) {
  const HotPair hot = capture_hot_pair(path_, key_);
  const auto journal_path = path_.string() + "-journal";
  const std::size_t last = hot.sector + (hot.records - 1) * (kPageSize + 8);
  Bytes cut(hot.journal.begin(), hot.journal.begin() + static_cast<std::ptrdiff_t>(last + 2000));
  Bytes zeroed(hot.journal.begin(),
               hot.journal.begin() + static_cast<std::ptrdiff_t>(last + kPageSize + 8));
  std::fill(zeroed.begin() + static_cast<std::ptrdiff_t>(last + 4), zeroed.end(), 0);
  for (const Bytes& journal : {cut, zeroed}) {
    vfs_write_file(path_, hot.database);
    vfs_write_file(journal_path, journal);
    auto db = Database::open(path_, key_, OpenMode::OpenExisting);
    ASSERT_TRUE(db) << db.error();
    EXPECT_TRUE(db->exec("SELECT count(*) FROM sqlite_schema"));
    EXPECT_FALSE(std::filesystem::exists(journal_path));
  }
}

// Known limit: each page is authenticated on its own, so an older version of a page, put back
// in its own place, is accepted (docs/storage.md §"Known limits"). This test pins that
// behaviour; if it starts failing, the limit is gone and the documentation must change.
TEST_F(TamperTest, OldCopyOfAPageIsNotDetected) {
  {
    auto db = Database::open(path_, key_, OpenMode::OpenExisting);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("UPDATE t SET n = 2000 WHERE id = 1"));
  }
  const Bytes updated = vfs_read_file(path_);
  ASSERT_EQ(updated.size(), original_.size());
  std::vector<std::size_t> changed;
  for (std::size_t page = 1; page < pages_; ++page) {
    if (!std::equal(updated.begin() + static_cast<std::ptrdiff_t>(page * kPageSize),
                    updated.begin() + static_cast<std::ptrdiff_t>((page + 1) * kPageSize),
                    original_.begin() + static_cast<std::ptrdiff_t>(page * kPageSize))) {
      changed.push_back(page);
    }
  }
  ASSERT_EQ(changed.size(), 1u);  // the leaf holding row 1 (page 1 changed too)
  Bytes rolled_back = updated;
  std::copy_n(original_.begin() + static_cast<std::ptrdiff_t>(changed[0] * kPageSize), kPageSize,
              rolled_back.begin() + static_cast<std::ptrdiff_t>(changed[0] * kPageSize));
  vfs_write_file(path_, rolled_back);
  auto result = dump(path_, key_);
  ASSERT_TRUE(result) << result.error();
  EXPECT_EQ(*result, expected_);  // the old value of row 1 (n = 1000), silently
  EXPECT_NE(result->find("1:1000:"), std::string::npos);
}

}  // namespace
}  // namespace exile::store
