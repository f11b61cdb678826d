// kill -9 at any moment leaves an encrypted database that reopens, passes integrity_check and
// holds only whole transactions. Real processes: the writer is a fork()ed child, killed with
// SIGKILL after a random delay; the parent then reopens the database (replaying the hot journal
// through the VFS) and checks it. EXILE_CRASH_KILLS sets the number of kills (default 300).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "store/database.h"
#include "store/support/vfs_test_support.h"

namespace exile::store {
namespace {

using test::vfs_random_key;
using test::VfsTempDir;

int kill_count() {
  const char* env = std::getenv("EXILE_CRASH_KILLS");
  const long n = env != nullptr ? std::strtol(env, nullptr, 10) : 300;
  return n > 0 ? static_cast<int>(n) : 300;
}

// FNV-1a over the row's value and payload: a row whose pages mixed two versions fails it.
std::int64_t row_checksum(std::int64_t value, const std::string& payload) {
  std::uint64_t h = 1469598103934665603ull;
  const auto mix = [&h](std::uint8_t b) {
    h ^= b;
    h *= 1099511628211ull;
  };
  for (int i = 0; i < 8; ++i)
    mix(static_cast<std::uint8_t>(static_cast<std::uint64_t>(value) >> (8 * i)));
  for (const char c : payload) mix(static_cast<std::uint8_t>(c));
  return static_cast<std::int64_t>(h >> 1);
}

constexpr const char* kSchema =
    "CREATE TABLE items(id INTEGER PRIMARY KEY, value INTEGER NOT NULL, payload TEXT NOT NULL, "
    "checksum INTEGER NOT NULL);"
    "CREATE INDEX items_value ON items(value);"
    "CREATE TABLE totals(k INTEGER PRIMARY KEY, total INTEGER NOT NULL, n INTEGER NOT NULL);"
    "INSERT INTO totals VALUES (0, 0, 0);";

// One random transaction: inserts, updates and deletes, with the totals row kept in step.
bool random_transaction(Database& db, std::mt19937_64& rng) {
  if (!db.exec("BEGIN IMMEDIATE")) return false;
  const int ops = 1 + static_cast<int>(rng() % 24);
  for (int i = 0; i < ops; ++i) {
    const std::int64_t value = static_cast<std::int64_t>(rng() % 100000);
    const std::string payload(rng() % 3000, static_cast<char>('a' + rng() % 26));
    const std::int64_t target = static_cast<std::int64_t>(rng() % 400);
    bool ok = true;
    switch (rng() % 3) {
      case 0: {
        auto s = db.prepare("INSERT INTO items(value, payload, checksum) VALUES (?1, ?2, ?3)");
        ok = s &&
             s->bind(1, value)
                 .bind(2, std::string_view(payload))
                 .bind(3, row_checksum(value, payload))
                 .run() &&
             db.exec("UPDATE totals SET total = total + " + std::to_string(value) + ", n = n + 1");
        break;
      }
      case 1: {
        auto s = db.prepare(
            "UPDATE totals SET total = total - coalesce((SELECT value FROM items WHERE id = ?1), 0)"
            " + CASE WHEN EXISTS (SELECT 1 FROM items WHERE id = ?1) THEN ?2 ELSE 0 END");
        auto u =
            db.prepare("UPDATE items SET value = ?2, payload = ?3, checksum = ?4 WHERE id = ?1");
        ok = s && u && s->bind(1, target).bind(2, value).run() &&
             u->bind(1, target)
                 .bind(2, value)
                 .bind(3, std::string_view(payload))
                 .bind(4, row_checksum(value, payload))
                 .run();
        break;
      }
      default: {
        auto s = db.prepare(
            "UPDATE totals SET total = total - coalesce((SELECT value FROM items WHERE id = ?1), "
            "0),"
            " n = n - (SELECT count(*) FROM items WHERE id = ?1)");
        auto d = db.prepare("DELETE FROM items WHERE id = ?1");
        ok = s && d && s->bind(1, target).run() && d->bind(1, target).run();
        break;
      }
    }
    if (!ok) return false;
  }
  if (!db.exec("COMMIT")) return false;
  if (rng() % 60 == 0 && !db.exec("VACUUM")) return false;
  return true;
}

[[noreturn]] void writer(const std::filesystem::path& path, const DatabaseKey& key,
                         std::uint64_t seed) {
  auto db = Database::open(path, key, OpenMode::OpenExisting);
  if (!db) _exit(2);
  // A tiny cache spills dirty pages mid-transaction: several journal headers, database writes
  // before COMMIT, so kills land in more states.
  if (!db->exec("PRAGMA cache_size=8")) _exit(3);
  std::mt19937_64 rng(seed);
  for (;;) {
    if (!random_transaction(*db, rng)) _exit(4);
  }
}

// Opens after a crash and checks everything; returns "" or what is wrong.
std::string check(const std::filesystem::path& path, const DatabaseKey& key) {
  auto db = Database::open(path, key, OpenMode::OpenExisting);
  if (!db) return "open: " + db.error().message;
  auto ic = db->prepare("PRAGMA integrity_check");
  if (!ic || !ic->step().value_or(false)) return "integrity_check failed to run";
  if (ic->column_text(0) != "ok") return "integrity_check: " + ic->column_text(0);
  auto totals = db->prepare(
      "SELECT (SELECT total FROM totals), (SELECT coalesce(sum(value), 0) FROM items),"
      " (SELECT n FROM totals), (SELECT count(*) FROM items)");
  if (!totals || !totals->step().value_or(false)) return "totals query failed";
  if (totals->column_int64(0) != totals->column_int64(1)) return "sum invariant broken";
  if (totals->column_int64(2) != totals->column_int64(3)) return "count invariant broken";
  auto rows = db->prepare("SELECT value, payload, checksum FROM items");
  if (!rows) return "rows query failed";
  for (;;) {
    auto row = rows->step();
    if (!row) return "row read: " + row.error().message;
    if (!*row) break;
    if (row_checksum(rows->column_int64(0), rows->column_text(1)) != rows->column_int64(2)) {
      return "row checksum mismatch";
    }
  }
  return "";
}

TEST(CrashTest, KilledWritersLeaveWholeTransactions) {
  VfsTempDir dir;
  const auto path = dir.file("crash.db");
  const auto journal = path.string() + "-journal";
  const DatabaseKey key = vfs_random_key();
  {
    auto db = Database::open(path, key, OpenMode::CreateIfMissing);
    ASSERT_TRUE(db) << db.error();
    ASSERT_TRUE(db->exec(kSchema));
  }
  const int kills = kill_count();
  std::mt19937_64 rng(0x5eed);
  int hot_journals = 0;
  for (int i = 0; i < kills; ++i) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) writer(path, key, rng());
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 40000));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer " << i << " exited with " << WEXITSTATUS(status);
    std::error_code ec;
    if (std::filesystem::exists(journal, ec) && std::filesystem::file_size(journal, ec) > 0) {
      ++hot_journals;
    }
    const std::string problem = check(path, key);
    ASSERT_EQ(problem, "") << "after kill " << i;
  }
  auto db = Database::open(path, key, OpenMode::OpenExisting);
  ASSERT_TRUE(db);
  auto stmt = db->prepare("SELECT n FROM totals");
  ASSERT_TRUE(stmt && stmt->step().value_or(false));
  std::cout << "[ crash    ] kills: " << kills << ", hot journals replayed: " << hot_journals
            << ", rows at the end: " << stmt->column_int64(0) << "\n";
  EXPECT_GT(stmt->column_int64(0), 0);  // the writers made progress between kills
  if (kills >= 100) {
    EXPECT_GT(hot_journals, 0);
  }
}

}  // namespace
}  // namespace exile::store
