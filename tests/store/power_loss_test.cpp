// Simulated power losses (docs/storage.md §"Power loss"): a fault-injecting VFS under the exile
// VFS (support/fault_disk.h) keeps what was not synced apart and, at a power loss, drops or tears
// it. After every loss the database must open, pass integrity_check and hold exactly the
// transactions whose COMMIT returned OK, plus at most the one in flight.
//
// Three paths: the commit path (Database transactions), hot-journal recovery (a power loss
// while the journal left by one is rolled back), and key rotation (ProfileStore, whose own
// file-system calls go through the same disk via ProfileFileSystem).
//
// EXILE_POWER_LOSS_SOAK=N runs N times as many losses; EXILE_POWER_LOSS_SEED=S changes the
// seed. A failure prints the seed, cycle, kind and countdown that reproduce it.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/profile_store.h"
#include "store/support/fault_disk.h"
#include "store/support/vfs_test_support.h"

namespace exile::store {
namespace {

namespace fs = std::filesystem;
using test::FaultDisk;
using test::kLossKinds;
using test::LossKind;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::strtoull(value, nullptr, 0);
}

std::uint64_t soak() { return std::max<std::uint64_t>(1, env_number("EXILE_POWER_LOSS_SOAK", 1)); }
std::uint64_t base_seed() { return env_number("EXILE_POWER_LOSS_SEED", 0x5eed0f10551ull); }

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// --- the workload ------------------------------------------------------------------------------
// Transaction n inserts row n of `log` (a body of 1 byte to ~11 KiB, so some span overflow
// pages), deletes row n - kKept (freed pages are reused and overwritten) and sets head.seq = n.
// The state after n transactions is a function of n alone.

constexpr std::int64_t kKept = 12;

constexpr const char* kSchema =
    "CREATE TABLE log(seq INTEGER PRIMARY KEY, body BLOB NOT NULL);"
    "CREATE TABLE head(k INTEGER PRIMARY KEY CHECK (k = 0), seq INTEGER NOT NULL);"
    "INSERT INTO head VALUES (0, 0);";

Bytes body(std::int64_t n) {
  std::uint64_t h = mix(static_cast<std::uint64_t>(n));
  std::size_t size = 1 + static_cast<std::size_t>(h % 2500);
  if ((h >> 20) % 6 == 0) size += 9000;
  Bytes out(size);
  for (std::size_t i = 0; i < size; i += 8) {
    h = mix(h);
    for (std::size_t j = 0; j < 8 && i + j < size; ++j) {
      out[i + j] = static_cast<std::uint8_t>(h >> (8 * j));
    }
  }
  return out;
}

Result<void> run_transaction(Database& db, std::int64_t n) {
  auto tx = db.begin();
  if (!tx) return fail(std::move(tx).error());
  {
    auto insert = db.prepare("INSERT INTO log(seq, body) VALUES (?1, ?2)");
    if (!insert) return fail(std::move(insert).error());
    const Bytes b = body(n);
    EXILE_TRY(insert->bind(1, n).bind(2, ByteView(b)).run());
    auto remove = db.prepare("DELETE FROM log WHERE seq = ?1");
    if (!remove) return fail(std::move(remove).error());
    EXILE_TRY(remove->bind(1, n - kKept).run());
    auto head = db.prepare("UPDATE head SET seq = ?1 WHERE k = 0");
    if (!head) return fail(std::move(head).error());
    EXILE_TRY(head->bind(1, n).run());
  }
  return tx->commit();
}

// What a reopened database holds: head.seq, or a description of what is wrong with it.
struct Observed {
  std::int64_t seq = -1;
  std::string problem;  // empty: whole, and exactly the state after `seq` transactions
};

Observed observe(Database& db) {
  Observed o;
  {
    auto check = db.prepare("PRAGMA integrity_check");
    if (!check) return {-1, "integrity_check: " + check.error().message};
    auto row = check->step();
    if (!row || !*row) return {-1, "integrity_check did not run"};
    if (const std::string verdict = check->column_text(0); verdict != "ok") {
      return {-1, "integrity_check: " + verdict};
    }
  }
  {
    auto head = db.prepare("SELECT seq FROM head WHERE k = 0");
    if (!head) return {-1, "head: " + head.error().message};
    auto row = head->step();
    if (!row || !*row) return {-1, "no head row"};
    o.seq = head->column_int64(0);
  }
  auto rows = db.prepare("SELECT seq, body FROM log ORDER BY seq");
  if (!rows) return {o.seq, "log: " + rows.error().message};
  std::int64_t expect = std::max<std::int64_t>(1, o.seq - kKept + 1);
  for (;;) {
    auto row = rows->step();
    if (!row) return {o.seq, "log: " + row.error().message};
    if (!*row) break;
    const std::int64_t seq = rows->column_int64(0);
    if (seq != expect) {
      return {o.seq, "row " + std::to_string(seq) + " where " + std::to_string(expect) +
                         " belongs (head " + std::to_string(o.seq) + ")"};
    }
    if (rows->column_blob(1) != body(seq)) {
      return {o.seq, "row " + std::to_string(seq) + " has another body"};
    }
    ++expect;
  }
  if (expect != o.seq + 1) {
    return {o.seq,
            "log ends at " + std::to_string(expect - 1) + ", head says " + std::to_string(o.seq)};
  }
  return o;
}

// --- bookkeeping -------------------------------------------------------------------------------

struct Figures {
  std::uint64_t losses = 0;
  std::array<std::uint64_t, kLossKinds> by_kind{};
  std::uint64_t changed = 0;           // losses after which the disk differed from the view
  std::uint64_t unsynced_writes = 0;   // writes and truncations pending at the losses
  std::uint64_t unsynced_entries = 0;  // directory changes pending at the losses
  std::uint64_t recovery_losses = 0;   // losses while a hot journal was being rolled back
  std::uint64_t commits = 0;           // transactions whose COMMIT returned OK
  std::uint64_t violations = 0;
  std::vector<std::string> first_violations;

  void count(LossKind kind, const test::LossReport& report) {
    ++losses;
    ++by_kind[static_cast<std::size_t>(kind)];
    changed += report.changed ? 1 : 0;
    unsynced_writes += report.unsynced_writes;
    unsynced_entries += report.unsynced_entries;
  }

  void violation(std::string what) {
    ++violations;
    if (first_violations.size() < 8) first_violations.push_back(std::move(what));
  }

  void print(const char* name) const {
    std::printf("[%s] %llu simulated power losses (", name,
                static_cast<unsigned long long>(losses));
    for (int k = 0; k < kLossKinds; ++k) {
      std::printf("%s%s %llu", k == 0 ? "" : ", ", test::loss_kind_name(static_cast<LossKind>(k)),
                  static_cast<unsigned long long>(by_kind[static_cast<std::size_t>(k)]));
    }
    std::printf(
        "); %llu changed the disk; %llu unsynced writes and %llu unsynced directory "
        "changes met a loss; %llu losses during hot-journal recovery; %llu commits; "
        "%llu violations\n",
        static_cast<unsigned long long>(changed), static_cast<unsigned long long>(unsynced_writes),
        static_cast<unsigned long long>(unsynced_entries),
        static_cast<unsigned long long>(recovery_losses), static_cast<unsigned long long>(commits),
        static_cast<unsigned long long>(violations));
    for (const auto& v : first_violations) std::printf("  violation: %s\n", v.c_str());
    std::fflush(stdout);
  }
};

std::string describe(std::uint64_t seed, std::uint64_t cycle, LossKind kind,
                     std::uint64_t countdown) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, "seed 0x%llx cycle %llu, %s at operation %llu: ",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(cycle),
                test::loss_kind_name(kind), static_cast<unsigned long long>(countdown));
  return buffer;
}

bool has_hot_journal(const fs::path& db) {
  std::error_code ec;
  const auto size = fs::file_size(db.string() + "-journal", ec);
  return !ec && size > 0;
}

class PowerLossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(FaultDisk::install(&why)) << why;
    dir_ = fs::canonical(temp_.path());
  }

  // After a loss: up to three more losses while reopening (the first open rolls back a hot
  // journal, if the loss left one), each with probability 1/2; `open_and_read` opens and reads.
  template <class OpenAndRead>
  void lose_during_recovery(std::mt19937_64& rng, Figures& figures, OpenAndRead&& open_and_read) {
    FaultDisk& disk = FaultDisk::instance();
    for (int depth = 0; depth < 3 && (rng() & 1) != 0; ++depth) {
      const bool hot = has_hot_journal(dir_ / "exile.db");
      disk.arm(dir_, 1 + rng() % 24);
      open_and_read();
      if (!disk.failed()) {
        disk.disarm();
        return;
      }
      const auto kind = static_cast<LossKind>(rng() % kLossKinds);
      figures.count(kind, disk.power_loss(kind, rng));
      figures.recovery_losses += hot ? 1u : 0u;
    }
  }

  test::VfsTempDir temp_;
  fs::path dir_;
};

// --- the commit path and hot-journal recovery ---------------------------------------------------

// `legacy_full`: the connections run synchronous=FULL (set by the test after Database::open),
// Exile's setting before issue 11, to show that the test sees what it loses.
Figures run_commit_cycles(
    const fs::path& dir, std::uint64_t cycles, std::uint64_t seed, bool legacy_full,
    const std::function<void(std::mt19937_64&, Figures&, const std::function<void()>&)>& recover) {
  FaultDisk& disk = FaultDisk::instance();
  const fs::path path = dir / "exile.db";
  const DatabaseKey key = test::vfs_random_key();
  const auto open = [&]() -> Result<Database> {
    auto db = Database::open(path, key, OpenMode::OpenExisting);
    if (db && legacy_full) EXILE_TRY(db->exec("PRAGMA synchronous=FULL"));
    return db;
  };
  {
    auto db = Database::open(path, key, OpenMode::CreateIfMissing);
    EXPECT_TRUE(db && db->exec(kSchema)) << "setup";
  }
  Figures figures;
  std::int64_t acked = 0;
  for (std::uint64_t cycle = 0; cycle < cycles; ++cycle) {
    std::mt19937_64 rng(mix(seed ^ mix(cycle)));
    const auto kind = static_cast<LossKind>(cycle % kLossKinds);
    const std::uint64_t countdown = 1 + rng() % 160;
    bool in_flight = false;
    disk.arm(dir, countdown);
    {
      auto db = open();
      const int transactions = 1 + static_cast<int>(rng() % 8);
      for (int i = 0; db && i < transactions; ++i) {
        in_flight = true;
        if (!run_transaction(*db, acked + 1)) break;
        ++acked;
        ++figures.commits;
        in_flight = false;
      }
    }
    // The loss: at the countdown, or after the last transaction (right after a COMMIT).
    figures.count(kind, disk.power_loss(kind, rng));
    recover(rng, figures, [&] {
      auto db = open();
      if (db) (void)db->exec("SELECT seq FROM head");
    });

    const std::string where = describe(seed, cycle, kind, countdown);
    auto db = Database::open(path, key, OpenMode::OpenExisting);
    if (!db) {
      figures.violation(where + "reopen failed: " + db.error().message);
      return figures;  // nothing further can be checked
    }
    const Observed seen = observe(*db);
    if (!seen.problem.empty()) {
      figures.violation(where + seen.problem);
      if (seen.seq < 0) return figures;
    } else if (seen.seq != acked && !(in_flight && seen.seq == acked + 1)) {
      figures.violation(where + "holds " + std::to_string(seen.seq) + " transactions, " +
                        std::to_string(acked) + " were committed" +
                        (in_flight ? " and one was in flight" : ""));
    }
    acked = seen.seq;  // go on from what is there
  }
  return figures;
}

TEST_F(PowerLossTest, CommitsSurviveEveryLoss) {
  const std::uint64_t seed = base_seed();
  Figures figures = run_commit_cycles(
      dir_, 2500 * soak(), seed, false,
      [this](std::mt19937_64& rng, Figures& f, const std::function<void()>& open_and_read) {
        lose_during_recovery(rng, f, open_and_read);
      });
  figures.print("commit path and recovery");
  RecordProperty("losses", static_cast<int>(figures.losses));
  RecordProperty("violations", static_cast<int>(figures.violations));
  EXPECT_GT(figures.recovery_losses, 0u);
  EXPECT_EQ(figures.violations, 0u) << "rerun with EXILE_POWER_LOSS_SEED=" << seed;
}

// The same workload with synchronous=FULL, journal_mode=DELETE: the journal's removal after a
// COMMIT is not made durable, so a loss right after the COMMIT brings it back as a hot journal
// and the committed transaction is rolled back (with integrity_check still ok). The test must see
// that, or it could not see the fix either.
TEST_F(PowerLossTest, SynchronousFullLosesCommits) {
  const std::uint64_t seed = base_seed() ^ 0xf011;
  Figures figures =
      run_commit_cycles(dir_, 300 * soak(), seed, true,
                        [](std::mt19937_64&, Figures&, const std::function<void()>&) {});
  figures.print("synchronous=FULL (expected to lose commits)");
  RecordProperty("violations", static_cast<int>(figures.violations));
  EXPECT_GT(figures.violations, figures.losses / 10);
}

// --- key rotation --------------------------------------------------------------------------------

TEST_F(PowerLossTest, RotationAndItsRecoverySurviveEveryLoss) {
  FaultDisk& disk = FaultDisk::instance();
  const std::uint64_t seed = base_seed() ^ 0x2074;
  const SecureBytes passphrase(16, 0x61);
  ProfileStore store(dir_);
  ASSERT_TRUE(store.create(passphrase, KdfParams::interactive()));
  {
    auto db = store.unlock(passphrase);
    ASSERT_TRUE(db && db->exec(kSchema));
  }
  Figures figures;
  std::uint64_t rotation_losses = 0;  // losses inside rotate_database_key
  std::uint64_t rotation_ops = 30;    // counted operations in the last whole rotation
  std::int64_t acked = 0;
  const std::uint64_t cycles = 100 * soak();
  for (std::uint64_t cycle = 0; cycle < cycles; ++cycle) {
    std::mt19937_64 rng(mix(seed ^ mix(cycle)));
    const auto kind = static_cast<LossKind>(cycle % kLossKinds);
    // Three in five losses fall inside the rotation (its length, 27-40 counted operations here,
    // is measured by the last rotation that completed), the rest in the unlock and transaction
    // after it (~25 operations) or after its COMMIT.
    const std::uint64_t countdown =
        rng() % 5 < 3 ? 1 + rng() % rotation_ops : rotation_ops + 1 + rng() % 60;
    bool in_flight = false;
    disk.arm(dir_, countdown);
    (void)store.rotate_database_key(passphrase);
    rotation_losses += disk.failed() ? 1u : 0u;
    if (!disk.failed()) rotation_ops = disk.operations();
    if (!disk.failed()) {
      auto db = store.unlock(passphrase);
      if (db) {
        in_flight = true;
        if (run_transaction(*db, acked + 1)) {
          ++acked;
          ++figures.commits;
          in_flight = false;
        }
      }
    }
    figures.count(kind, disk.power_loss(kind, rng));
    // Recovery: unlock finishes an interrupted rotation (settle) and rolls back a hot journal.
    lose_during_recovery(rng, figures, [&] {
      auto db = store.unlock(passphrase);
      if (db) (void)db->exec("SELECT seq FROM head");
    });

    const std::string where = describe(seed, cycle, kind, countdown);
    auto db = store.unlock(passphrase);
    if (!db) {
      figures.violation(where + "unlock failed: " + db.error().message);
      break;
    }
    const Observed seen = observe(*db);
    if (!seen.problem.empty()) {
      figures.violation(where + seen.problem);
      if (seen.seq < 0) break;
    } else if (seen.seq != acked && !(in_flight && seen.seq == acked + 1)) {
      figures.violation(where + "holds " + std::to_string(seen.seq) + " transactions, " +
                        std::to_string(acked) + " were committed" +
                        (in_flight ? " and one was in flight" : ""));
    }
    acked = seen.seq;
  }
  figures.print("key rotation");
  std::printf("[key rotation] %llu of the losses were inside rotate_database_key\n",
              static_cast<unsigned long long>(rotation_losses));
  RecordProperty("losses", static_cast<int>(figures.losses));
  EXPECT_GT(rotation_losses, cycles * 2 / 5);
  EXPECT_EQ(figures.violations, 0u) << "rerun with EXILE_POWER_LOSS_SEED=" << base_seed();
}

}  // namespace
}  // namespace exile::store
