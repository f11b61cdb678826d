// exile_bench_store's cases and main() (store_bench.h). Every case is registered twice, as
// Plain/<Case> (Database::open_unencrypted) and Encrypted/<Case> (Database::open through the
// exile VFS with a raw 32-byte key, no Argon2id); the timed code is the same function.
//
//   Insert100k        kMessages messages in transactions of kBatch, into a new file
//   LoadLatest50      the latest kLatest messages of one chat, warm connection (per load)
//   LoadLatest50Cold  the same on a connection opened just before (SQLite's page cache empty;
//                     the OS page cache stays warm); the reopen is not timed
//   Search            MessageRepository::search for a word in 1% of the messages (1,000
//                     matches), every chat, the best kSearchLimit (per query)
//   SearchCold        the same on a connection opened just before
//   OpenUnlock        open an existing file + schema check (migrate) + close; for Encrypted
//                     this includes the VFS's page-1 authentication, not Argon2id
//
// And, once: Unlock/Argon2idModerate, ProfileStore::unlock of a profile made with
// KdfParams::moderate() (read the key file, Argon2id, unwrap, open the database); Page/Seal
// and Page/Open, the VFS's per-page cost (detail/page_cipher.h), and Page/Digest, the digest
// it keeps per page (for journal images), for the diagnosis. The read
// cases count page_misses (pages SQLite read from the file, SQLITE_DBSTATUS_CACHE_MISS) and
// Insert100k page_writes (SQLITE_DBSTATUS_CACHE_WRITE), per iteration. SearchBigCache is a
// diagnostic: Search with PRAGMA cache_size=-65536 on the benchmark's connection.
//
// The data files live in $EXILE_BENCH_STORE_DIR (default: a new directory under the system
// temporary directory), on disk, with Exile's pragmas (synchronous=EXTRA, journal_mode=DELETE).
#include "store_bench.h"

#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "common/sodium.h"
#include "store/detail/page_cipher.h"
#include "store/profile_store.h"

#ifndef EXILE_BENCH_STORE_VFS
#define EXILE_BENCH_STORE_VFS 0
#endif

namespace exile::bench::store {
namespace {

namespace fs = std::filesystem;

using OpenFn = std::function<Result<Database>(const fs::path&, OpenMode)>;

struct Side {
  std::string name;  // "Plain" or "Encrypted"
  OpenFn open;
  fs::path fixture;  // a database holding the whole workload, for the read cases
};

fs::path g_dir;
std::vector<Side> g_sides;

std::string describe(const Error& error) {
  return std::string(to_string(error.code)) + ": " + error.message;
}

// The key of the Encrypted side: fixed bytes (the benchmark measures the VFS, not key
// derivation; Unlock/Argon2idModerate prices that).
[[maybe_unused]] const DatabaseKey& bench_key() {
  static const DatabaseKey key = [] {
    DatabaseKey k;
    for (std::size_t i = 0; i < DatabaseKey::size(); ++i) {
      k.data()[i] = static_cast<std::uint8_t>(0xA5 ^ i);
    }
    return k;
  }();
  return key;
}

void remove_database(const fs::path& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
    fs::remove(fs::path(path.string() + suffix), ignored);
  }
}

// Opens path and prepares the workload on it; the workload refers to *db.
struct Connection {
  std::unique_ptr<Database> db;
  std::unique_ptr<Workload> workload;
};

Result<Connection> connect(const Side& side, const fs::path& path, OpenMode mode) {
  auto db = side.open(path, mode);
  if (!db) return fail(std::move(db).error());
  Connection c{std::make_unique<Database>(std::move(*db)), nullptr};
  auto workload = make_workload(*c.db);
  if (!workload) return fail(std::move(workload).error());
  c.workload = std::move(*workload);
  return c;
}

// A connection ready for the read cases: schema checked, so SQLite has read and parsed it.
Result<Connection> connect_ready(const Side& side) {
  auto c = connect(side, side.fixture, OpenMode::OpenExisting);
  if (!c) return c;
  EXILE_TRY(c->workload->check_schema());
  return c;
}

Result<void> build_fixture(const Side& side) {
  remove_database(side.fixture);
  auto c = connect(side, side.fixture, OpenMode::CreateIfMissing);
  if (!c) return fail(std::move(c).error());
  EXILE_TRY(c->workload->create_schema());
  // Larger transactions than Insert100k: the fixture's build is not timed.
  constexpr std::size_t kFixtureBatch = 5000;
  for (std::size_t first = 0; first < kMessages; first += kFixtureBatch) {
    EXILE_TRY(c->workload->insert_batch(first, kFixtureBatch));
  }
  return {};
}

constexpr std::string_view kBigCachePragma = "PRAGMA cache_size=-65536";  // 64 MiB

// Reads and resets one of the connection's SQLITE_DBSTATUS_* counters.
std::int64_t take_status(Database& db, int op) {
  int current = 0;
  int highwater = 0;
  sqlite3_db_status(db.handle(), op, &current, &highwater, 1);
  return current;
}

void insert_100k(benchmark::State& state, const Side& side) {
  const fs::path path = g_dir / (side.name + "-insert.db");
  std::int64_t writes = 0;
  std::int64_t misses = 0;
  for (auto _ : state) {
    state.PauseTiming();
    remove_database(path);
    auto c = connect(side, path, OpenMode::CreateIfMissing);
    if (!c) return state.SkipWithError(describe(c.error()).c_str());
    if (auto created = c->workload->create_schema(); !created) {
      return state.SkipWithError(describe(created.error()).c_str());
    }
    state.ResumeTiming();
    for (std::size_t first = 0; first < kMessages; first += kBatch) {
      if (auto done = c->workload->insert_batch(first, kBatch); !done) {
        return state.SkipWithError(describe(done.error()).c_str());
      }
    }
    state.PauseTiming();
    writes += take_status(*c->db, SQLITE_DBSTATUS_CACHE_WRITE);
    misses += take_status(*c->db, SQLITE_DBSTATUS_CACHE_MISS);
    c->workload.reset();
    c->db.reset();
    state.ResumeTiming();
  }
  remove_database(path);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kMessages));
  // Database pages written (each one a seal_page on the Encrypted side, plus its journal
  // image when the page existed before the transaction), per iteration.
  state.counters["page_writes"] =
      benchmark::Counter(static_cast<double>(writes), benchmark::Counter::kAvgIterations);
  state.counters["page_misses"] =
      benchmark::Counter(static_cast<double>(misses), benchmark::Counter::kAvgIterations);
}

template <class Query>
void read_case(benchmark::State& state, const Side& side, bool cold, std::size_t expected_rows,
               Query query, std::string_view extra_pragma = {}) {
  auto c = connect_ready(side);
  if (!c) return state.SkipWithError(describe(c.error()).c_str());
  if (!extra_pragma.empty()) {
    if (auto set = c->db->exec(extra_pragma); !set) {
      return state.SkipWithError(describe(set.error()).c_str());
    }
  }
  std::int64_t misses = 0;
  for (auto _ : state) {
    (void)take_status(*c->db, SQLITE_DBSTATUS_CACHE_MISS);
    if (cold) {
      state.PauseTiming();
      c->workload.reset();
      c->db.reset();
      c = connect_ready(side);
      if (!c) return state.SkipWithError(describe(c.error()).c_str());
      (void)take_status(*c->db, SQLITE_DBSTATUS_CACHE_MISS);
      state.ResumeTiming();
    }
    auto rows = query(*c->workload);
    if (!rows) return state.SkipWithError(describe(rows.error()).c_str());
    if (*rows != expected_rows) return state.SkipWithError("unexpected row count");
    misses += take_status(*c->db, SQLITE_DBSTATUS_CACHE_MISS);
  }
  // Pages read from the file (each one an open_page on the Encrypted side), per iteration.
  state.counters["page_misses"] =
      benchmark::Counter(static_cast<double>(misses), benchmark::Counter::kAvgIterations);
}

void load_latest(benchmark::State& state, const Side& side, bool cold) {
  read_case(state, side, cold, kLatest, [](Workload& w) { return w.latest(kLoadChat, kLatest); });
}

void search(benchmark::State& state, const Side& side, bool cold) {
  read_case(state, side, cold, kSearchLimit,
            [](Workload& w) { return w.search(kSearchWord, kSearchLimit); });
}

// Diagnostic, not a target case: Search on a connection whose page cache (PRAGMA cache_size,
// set here by the benchmark only) holds every page a search touches, so warm means warm.
void search_big_cache(benchmark::State& state, const Side& side) {
  read_case(
      state, side, false, kSearchLimit,
      [](Workload& w) { return w.search(kSearchWord, kSearchLimit); }, kBigCachePragma);
}

void open_unlock(benchmark::State& state, const Side& side) {
  std::int64_t misses = 0;
  for (auto _ : state) {
    auto c = connect(side, side.fixture, OpenMode::OpenExisting);
    if (!c) return state.SkipWithError(describe(c.error()).c_str());
    if (auto checked = c->workload->check_schema(); !checked) {
      return state.SkipWithError(describe(checked.error()).c_str());
    }
    misses += take_status(*c->db, SQLITE_DBSTATUS_CACHE_MISS);
    c->workload.reset();
    c->db.reset();  // closing is part of the cycle
  }
  state.counters["page_misses"] =
      benchmark::Counter(static_cast<double>(misses), benchmark::Counter::kAvgIterations);
}

// The passphrase path: ProfileStore::unlock with MODERATE parameters. The profile is made
// (one more Argon2id run) before the first timed unlock.
[[maybe_unused]] void unlock_argon2id(benchmark::State& state) {
  const fs::path dir = g_dir / "profile";
  static bool created = false;
  const auto passphrase = [] {
    constexpr std::string_view kPassphrase = "correct horse battery staple";
    return SecureBytes(kPassphrase.begin(), kPassphrase.end());
  }();
  ::exile::store::ProfileStore profile(dir);
  if (!created) {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    if (auto made = profile.create(passphrase, ::exile::store::KdfParams::moderate()); !made) {
      return state.SkipWithError(describe(made.error()).c_str());
    }
    created = true;
  }
  for (auto _ : state) {
    auto db = profile.unlock(passphrase);
    if (!db) return state.SkipWithError(describe(db.error()).c_str());
  }
}

// What the VFS adds per page: seal (on every page write, and for each journal image) and open
// (on every page read from the file), as detail/page_cipher.h does them.
[[maybe_unused]] void page_seal(benchmark::State& state) {
  namespace d = ::exile::store::detail;
  std::vector<std::uint8_t> plain(d::kPageSize, 0x5a);
  std::vector<std::uint8_t> sealed(d::kPageSize);
  const d::DatabaseId id{};
  for (auto _ : state) {
    d::seal_page(bench_key(), id, 7, plain.data(), sealed.data());
    benchmark::DoNotOptimize(sealed.data());
    benchmark::ClobberMemory();
  }
}

[[maybe_unused]] void page_open(benchmark::State& state) {
  namespace d = ::exile::store::detail;
  std::vector<std::uint8_t> plain(d::kPageSize, 0x5a);
  std::vector<std::uint8_t> sealed(d::kPageSize);
  d::DatabaseId id{};
  d::seal_page(bench_key(), id, 7, plain.data(), sealed.data());
  for (auto _ : state) {
    if (!d::open_page(bench_key(), id, 7, sealed.data(), plain.data())) {
      return state.SkipWithError("open_page failed");
    }
    benchmark::DoNotOptimize(plain.data());
    benchmark::ClobberMemory();
  }
}

// The digest the VFS keeps of every page it reads or writes, and computes for each journal
// image (detail/page_cipher.h page_digest): the price of journaling a page by copying its
// ciphertext instead of sealing it again.
[[maybe_unused]] void page_digest(benchmark::State& state) {
  namespace d = ::exile::store::detail;
  std::vector<std::uint8_t> plain(d::kPageSize, 0x5a);
  for (auto _ : state) {
    benchmark::DoNotOptimize(d::page_digest(plain.data()));
    benchmark::ClobberMemory();
  }
}

// Insert100k takes seconds per repetition; EXILE_BENCH_STORE_INSERT_REPETITIONS (scripts/bench
// --insert-repetitions) may give it fewer repetitions than the rest.
void register_side(const Side& side) {
  const std::string& n = side.name;
  auto* insert =
      benchmark::RegisterBenchmark((n + "/Insert100k").c_str(), insert_100k, std::cref(side))
          ->Iterations(1)
          ->Unit(benchmark::kMillisecond);
  if (const char* reps = std::getenv("EXILE_BENCH_STORE_INSERT_REPETITIONS");
      reps != nullptr && std::atoi(reps) > 0) {
    insert->Repetitions(std::atoi(reps));
  }
  benchmark::RegisterBenchmark((n + "/LoadLatest50").c_str(), load_latest, std::cref(side), false)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark((n + "/LoadLatest50Cold").c_str(), load_latest, std::cref(side),
                               true)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark((n + "/Search").c_str(), search, std::cref(side), false)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark((n + "/SearchCold").c_str(), search, std::cref(side), true)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark((n + "/OpenUnlock").c_str(), open_unlock, std::cref(side))
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark((n + "/SearchBigCache").c_str(), search_big_cache, std::cref(side))
      ->Unit(benchmark::kMicrosecond);
}

fs::path data_dir() {
  if (const char* dir = std::getenv("EXILE_BENCH_STORE_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return fs::temp_directory_path() / ("exile-bench-store." + std::to_string(::getpid()));
}

}  // namespace
}  // namespace exile::bench::store

int main(int argc, char** argv) {
  namespace st = exile::bench::store;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  exile::ensure_sodium();

  st::g_dir = st::data_dir();
  std::error_code ec;
  std::filesystem::create_directories(st::g_dir, ec);
  if (ec) {
    std::fprintf(stderr, "exile_bench_store: cannot create %s\n", st::g_dir.c_str());
    return 1;
  }

  st::g_sides.push_back({"Plain",
                         [](const std::filesystem::path& p, exile::store::OpenMode mode) {
                           return exile::store::Database::open_unencrypted(p, mode);
                         },
                         st::g_dir / "plain-fixture.db"});
#if EXILE_BENCH_STORE_VFS
  benchmark::RegisterBenchmark("Unlock/Argon2idModerate", st::unlock_argon2id)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("Page/Seal", st::page_seal);
  benchmark::RegisterBenchmark("Page/Open", st::page_open);
  benchmark::RegisterBenchmark("Page/Digest", st::page_digest);
  st::g_sides.push_back({"Encrypted",
                         [](const std::filesystem::path& p, exile::store::OpenMode mode) {
                           return exile::store::Database::open(p, st::bench_key(), mode);
                         },
                         st::g_dir / "encrypted-fixture.db"});
#endif
  benchmark::AddCustomContext("exile.store.encrypted", EXILE_BENCH_STORE_VFS ? "yes" : "no");
  benchmark::AddCustomContext("exile.store.workload", st::workload_path());
  benchmark::AddCustomContext("exile.store.dir", st::g_dir.string());
  benchmark::AddCustomContext("exile.store.sqlite", sqlite3_libversion());

  int status = 0;
  for (const auto& side : st::g_sides) {
    if (auto built = st::build_fixture(side); !built) {
      std::fprintf(stderr, "exile_bench_store: %s fixture: %s\n", side.name.c_str(),
                   st::describe(built.error()).c_str());
      status = 1;
    }
  }
  if (status == 0) {
    for (const auto& side : st::g_sides) st::register_side(side);
    benchmark::RunSpecifiedBenchmarks();
  }
  benchmark::Shutdown();
  for (const auto& side : st::g_sides) st::remove_database(side.fixture);
  std::filesystem::remove_all(st::g_dir / "profile", ec);
  if (std::getenv("EXILE_BENCH_STORE_DIR") == nullptr) std::filesystem::remove_all(st::g_dir, ec);
  return status;
}
