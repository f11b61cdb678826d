// Database pages and rollback journals from an untrusted disk, through the exile VFS
// (src/store/vfs.cpp; docs/storage.md §"Page format" and §"Journal format"). A small valid
// encrypted database (and a hot journal captured mid-transaction: its header authenticated, its
// images sealed) is built once; each input damages a copy, which is then opened, read, checked
// and written. Nothing may crash, hang or hand back unauthenticated data; errors are expected
// (a journal whose header or a whole record fails authentication is refused and left alone).
//
// The first input byte chooses the mode (mod 5); the rest is its argument:
//   0  byte edits of the database: groups of (page u8, offset u16, value u8)
//   1  a page image dropped in: page u8, then up to 4096 bytes over that page
//   2  the database with its hot journal, edited: groups of (offset u24, value u8); bytes 0 … 11
//      of a header (magic, record count) are not authenticated, 12 … 67 are
//   3  the database with the rest of the input as its hot journal
//   4  the database cut or extended to a length (u24), the rest appended
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "common/bytes.h"
#include "store/database.h"
#include "store/vfs.h"

using namespace exile;
using namespace exile::store;

namespace {

constexpr std::size_t kPage = 4096;

Bytes read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_all(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

struct Fixture {
  std::filesystem::path dir;
  std::filesystem::path db_path;
  std::filesystem::path journal_path;
  DatabaseKey key;
  Bytes database;
  Bytes journal;

  Fixture() {
    std::string pattern = (std::filesystem::temp_directory_path() / "exile-fuzz-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    dir = pattern;
    db_path = dir / "f.db";
    journal_path = dir / "f.db-journal";
    for (std::size_t i = 0; i < key.size(); ++i) key.data()[i] = static_cast<std::uint8_t>(i * 7);
    auto db = Database::open(db_path, key, OpenMode::CreateIfMissing);
    if (!db) std::abort();
    if (!db->exec("PRAGMA synchronous=OFF;"
                  "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, body TEXT);"
                  "CREATE INDEX t_n ON t(n);"
                  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40)"
                  " INSERT INTO t(n, body) SELECT x * 3, printf('%.*c', x * 40, 'q') FROM c;")) {
      std::abort();
    }
    database = read_all(db_path);
    if (!db->exec("BEGIN; UPDATE t SET body = 'z', n = n + 1 WHERE id % 2 = 0;")) std::abort();
    journal = read_all(journal_path);
    // As SQLite leaves it after syncing: magic and record count set, so that it is hot.
    constexpr std::uint8_t kMagic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
    if (journal.size() < 28) std::abort();
    std::copy(std::begin(kMagic), std::end(kMagic), journal.begin());
    const std::size_t sector = load_u32(journal.data() + 20);
    store_u32(journal.data() + 8,
              static_cast<std::uint32_t>((journal.size() - sector) / (kPage + 8)));
    (void)db->exec("ROLLBACK");
  }
  ~Fixture() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

Fixture& fixture() {
  static Fixture instance;
  return instance;
}

std::size_t u16(const std::uint8_t* p) { return std::size_t{p[0]} << 8 | p[1]; }
std::size_t u24(const std::uint8_t* p) { return std::size_t{p[0]} << 16 | u16(p + 1); }

void exercise(const Fixture& f) {
  auto db = Database::open(f.db_path, f.key, OpenMode::OpenExisting);
  if (!db) return;
  (void)db->exec("PRAGMA synchronous=OFF");  // speed: durability is crash_test's business
  if (auto stmt = db->prepare("SELECT id, n, length(body) FROM t ORDER BY n")) {
    for (int i = 0; i < 100 && stmt->step().value_or(false); ++i) {
    }
  }
  (void)db->exec("PRAGMA integrity_check");
  (void)db->exec("UPDATE t SET n = n + 1 WHERE id < 5");
  (void)db->exec("DELETE FROM t WHERE id = 7");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Fixture& f = fixture();
  Bytes database = f.database;
  const std::size_t pages = database.size() / kPage;
  const std::uint8_t* arg = data + 1;
  const std::size_t n = size - 1;
  std::error_code ignored;
  std::filesystem::remove(f.journal_path, ignored);
  switch (data[0] % 5) {
    case 0:
      for (std::size_t i = 0; i + 4 <= n && i < 4 * 64; i += 4) {
        database[(arg[i] % pages) * kPage + u16(arg + i + 1) % kPage] = arg[i + 3];
      }
      break;
    case 1:
      if (n >= 1) {
        const std::size_t page = arg[0] % pages;
        for (std::size_t i = 1; i < n && i <= kPage; ++i) database[page * kPage + i - 1] = arg[i];
      }
      break;
    case 2: {
      Bytes journal = f.journal;
      for (std::size_t i = 0; i + 4 <= n && !journal.empty() && i < 4 * 64; i += 4) {
        journal[u24(arg + i) % journal.size()] = arg[i + 3];
      }
      write_all(f.journal_path, journal);
      break;
    }
    case 3: write_all(f.journal_path, Bytes(arg, arg + n)); break;
    default:
      if (n >= 3) {
        database.resize(u24(arg) % (database.size() + 2 * kPage));
        database.insert(database.end(), arg + 3, arg + n);
      }
      break;
  }
  write_all(f.db_path, database);
  exercise(f);
  return 0;
}
