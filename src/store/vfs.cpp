// The exile VFS: an encrypting shim over SQLite's default (unix) VFS.
//
// PURPOSE. Every byte SQLite writes about user data reaches the disk sealed with
// XChaCha20-Poly1305 under the 32-byte database key, and every byte read back is authenticated
// before SQLite sees it. Format: docs/storage.md §"Page format"; per file kind: §"Files and what
// the VFS does with each".
//
// INVARIANTS.
//  1. Pages are 4096 bytes with 40 reserved bytes (nonce 24 ‖ tag 16). Database::open asks for
//     the reserve (SQLITE_FCNTL_RESERVE_BYTES) before the first write; main_write refuses to
//     write a page 1 that does not say 4096/40, and read_database_page refuses to return one.
//  2. Associated data binds each page to the database id and its page number, so pages cannot
//     move between positions or databases. A journal's page image is a sealed database page
//     (page 1 of another database is refused there by its id).
//     Page 1's readable header (bytes 0..23: the random database id in place of SQLite's magic
//     string, then page size, versions, reserve) is authenticated as associated data.
//  3. SQLite never receives bytes that failed authentication: a failed page read is
//     SQLITE_IOERR_DATA (ErrorCode::DatabaseCorrupt) with a zeroed buffer. One deliberate
//     exception: reads inside the 100-byte file header (read_file_header: readable bytes
//     16..23 and zeros, so a torn page 1 cannot block the hot-journal replay that repairs it).
//     In a journal, a header or whole record that fails authentication is SQLITE_IOERR_DATA
//     too, never the end of the journal: SQLite then keeps the journal, so a wrong key cannot
//     make it finish a "replay" and delete a hot journal. Only a journal that is cut short or
//     a record never written (all zeros) ends the replay, as SQLite intends.
//  4. Nothing unencrypted is opened: only main databases whose URI names a registered key
//     (detail/key_registry.h) and the rollback journals of open exile databases. Temp
//     databases, temp and statement journals, sub-journals, super-journals and WAL files get
//     SQLITE_CANTOPEN (fail closed) and the refusal is recorded for refine_vfs_error.
//  5. No WAL and no mmap: the io methods are version 1 (no xShmMap, no xFetch), mmap size
//     requests are answered with 0, and PRAGMA journal_mode other than DELETE/TRUNCATE is an
//     error (SQLITE_FCNTL_PRAGMA).
//
// FILES AND OPERATIONS (detail/vfs_file.cpp).
//  main database  xOpen: create a new file 0600, copy the key from the registry, read the database
//  id from bytes 0..15
//                 (a new file gets a random one), and try to authenticate page 1 (the answer,
//                 kFcntlPage1VerifiedAtOpen, lets Database::open skip its schema read). xRead:
//                 whole pages are opened in place; a partial read opens the page into a scratch
//                 buffer (wiped) and copies the slice; pages past the end read as zeros
//                 (SQLITE_IOERR_SHORT_READ). A read inside the 100-byte header is served from the
//                 connection's copy of the last page 1 it authenticated or wrote while page 1's
//                 nonce ‖ tag on disk are still that copy's (a 40-byte read); otherwise page 1 is
//                 read and opened. xWrite: exactly one aligned 4096-byte page, sealed with a fresh
//                 nonce. Other methods forward; SQLITE_FCNTL_MMAP_SIZE/CHUNK_SIZE are swallowed,
//                 SQLITE_FCNTL_VFSNAME answers "exile/unix".
//  journal        xOpen: find the open main database through sqlite3_filename_database and
//                 borrow its key and id. xWrite accepts only the write shapes of SQLite 3.40's
//                 pager (header, header commit, page number, page image, checksum, header
//                 reset, stale-header invalidation: detail/vfs_file.cpp) and refuses the rest.
//                 Headers get a nonce and tag over their fixed fields; a page image (one page at
//                 an offset ≡ 4 mod 8, its page number the 4 bytes before it) is the sealed
//                 page on disk, copied when the connection saw that plaintext and tag there, or
//                 the plaintext sealed as a database page otherwise. Reads: a header's magic
//                 is returned only if the header authenticates; images are opened. Record
//                 counts, page numbers and SQLite's checksums stay as SQLite wrote them, so its
//                 own torn-write checks work unchanged (docs/storage.md §"Journal format").
//  anything else  refused.
//
// KEYS. Database::open registers the key under a random handle, opens "file:PATH?exile_key=H"
// with this VFS and removes the registration when sqlite3_open_v2 returns; the main file object
// keeps its own copy in guarded memory, wiped at xClose. No key byte is in a filename or URI.
#include "store/vfs.h"

#include <sqlite3.h>

#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "common/sodium.h"
#include "store/detail/key_registry.h"
#include "store/detail/page_cipher.h"
#include "store/detail/vfs_file.h"

namespace exile::store {
namespace {

thread_local bool t_unencrypted_refused = false;
thread_local bool t_stray_wal_seen = false;

// The SQLite versions whose pager write shapes detail/vfs_file.cpp allows (journal_write) and
// that the store's tests ran against: 3.40.x, Debian 12's.
constexpr int kSqliteTestedMin = 3040000;
constexpr int kSqliteTestedMax = 3040999;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

sqlite3_vfs* base_vfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int x_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  return detail::exile_file_open(base_vfs(vfs), name, file, flags, out_flags);
}
int x_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return base_vfs(vfs)->xDelete(base_vfs(vfs), name, sync_dir);
}
int x_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  const int rc = base_vfs(vfs)->xAccess(base_vfs(vfs), name, flags, out);
  // SQLite looks for X-wal before each read transaction; if one exists it tries to open it as
  // a WAL, which this VFS cannot do (SQLITE_CANTOPEN). Remember why, for refine_vfs_error.
  if (rc == SQLITE_OK && flags == SQLITE_ACCESS_EXISTS && *out != 0 && name != nullptr &&
      ends_with(name, "-wal")) {
    t_stray_wal_seen = true;
  }
  return rc;
}
int x_full_pathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return base_vfs(vfs)->xFullPathname(base_vfs(vfs), name, n, out);
}
void* x_dl_open(sqlite3_vfs* vfs, const char* name) {
  return base_vfs(vfs)->xDlOpen(base_vfs(vfs), name);
}
void x_dl_error(sqlite3_vfs* vfs, int n, char* out) {
  base_vfs(vfs)->xDlError(base_vfs(vfs), n, out);
}
void (*x_dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return base_vfs(vfs)->xDlSym(base_vfs(vfs), handle, symbol);
}
void x_dl_close(sqlite3_vfs* vfs, void* handle) { base_vfs(vfs)->xDlClose(base_vfs(vfs), handle); }
int x_randomness(sqlite3_vfs* vfs, int n, char* out) {
  return base_vfs(vfs)->xRandomness(base_vfs(vfs), n, out);
}
int x_sleep(sqlite3_vfs* vfs, int micros) { return base_vfs(vfs)->xSleep(base_vfs(vfs), micros); }
int x_current_time(sqlite3_vfs* vfs, double* out) {
  return base_vfs(vfs)->xCurrentTime(base_vfs(vfs), out);
}
int x_get_last_error(sqlite3_vfs* vfs, int n, char* out) {
  return base_vfs(vfs)->xGetLastError(base_vfs(vfs), n, out);
}
int x_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return base_vfs(vfs)->xCurrentTimeInt64(base_vfs(vfs), out);
}

sqlite3_vfs g_exile_vfs = {};

int register_once() {
  if (!check_sqlite_version(sqlite3_libversion_number())) return SQLITE_MISUSE;
  sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
  if (base == nullptr || base->iVersion < 2) return SQLITE_ERROR;
  g_exile_vfs.iVersion = 2;
  g_exile_vfs.szOsFile = detail::exile_file_size(base);
  g_exile_vfs.mxPathname = base->mxPathname;
  g_exile_vfs.zName = kExileVfsName;
  g_exile_vfs.pAppData = base;
  g_exile_vfs.xOpen = x_open;
  g_exile_vfs.xDelete = x_delete;
  g_exile_vfs.xAccess = x_access;
  g_exile_vfs.xFullPathname = x_full_pathname;
  g_exile_vfs.xDlOpen = x_dl_open;
  g_exile_vfs.xDlError = x_dl_error;
  g_exile_vfs.xDlSym = x_dl_sym;
  g_exile_vfs.xDlClose = x_dl_close;
  g_exile_vfs.xRandomness = x_randomness;
  g_exile_vfs.xSleep = x_sleep;
  g_exile_vfs.xCurrentTime = x_current_time;
  g_exile_vfs.xGetLastError = x_get_last_error;
  g_exile_vfs.xCurrentTimeInt64 = x_current_time_int64;
  return sqlite3_vfs_register(&g_exile_vfs, 0);
}

// Percent-encodes the characters that end or escape a URI path (docs: "URI Filenames").
std::string uri_path(const std::filesystem::path& path) {
  std::string out = "file:";
  for (const char c : path.string()) {
    switch (c) {
      case '%': out += "%25"; break;
      case '?': out += "%3f"; break;
      case '#': out += "%23"; break;
      default: out += c;
    }
  }
  return out;
}

void remove_database_files(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  std::filesystem::remove(path.string() + "-journal", ignored);
}

}  // namespace

namespace detail {
void note_unencrypted_file_refused() noexcept { t_unencrypted_refused = true; }
}  // namespace detail

bool take_unencrypted_file_refusal() noexcept {
  const bool refused = t_unencrypted_refused;
  t_unencrypted_refused = false;
  return refused;
}

Error refine_vfs_error(Error error) {
  const bool stray_wal = std::exchange(t_stray_wal_seen, false);
  if (stray_wal && error.code == ErrorCode::NotFound) {
    (void)take_unencrypted_file_refusal();
    return Error(ErrorCode::UnencryptedFileRefused,
                 "a write-ahead log (-wal file) lies beside the database: the exile store never "
                 "writes one and cannot read one; it was left in place");
  }
  if (take_unencrypted_file_refusal()) {
    return Error(ErrorCode::UnencryptedFileRefused,
                 "the exile VFS refused to open a file it cannot encrypt");
  }
  return error;
}

Result<void> check_sqlite_version(int version) {
  if (version >= kSqliteTestedMin && version <= kSqliteTestedMax) return {};
  return fail(ErrorCode::Internal,
              "SQLite " + std::to_string(version / 1000000) + "." +
                  std::to_string(version / 1000 % 1000) + "." + std::to_string(version % 1000) +
                  " is not a version the exile VFS was tested with (3.40.x): its rollback "
                  "journal writes are not known, so the encrypted store will not open");
}

Result<void> register_exile_vfs() {
  static std::once_flag once;
  static int rc = SQLITE_ERROR;
  std::call_once(once, [] {
    ensure_sodium();
    rc = register_once();
  });
  if (rc == SQLITE_MISUSE) return check_sqlite_version(sqlite3_libversion_number());
  if (rc != SQLITE_OK) return fail(ErrorCode::Internal, "cannot register the exile VFS");
  return {};
}

Result<Database> Database::open(const std::filesystem::path& path, const DatabaseKey& key,
                                OpenMode mode) {
  if (!key.valid()) return fail(ErrorCode::InvalidArgument, "database key is empty");
  EXILE_TRY(register_exile_vfs());
  (void)take_unencrypted_file_refusal();
  t_stray_wal_seen = false;
  Result<Database> db = [&] {
    const detail::RegisteredKey registered(key);
    const std::string params = std::string(detail::kKeyUriParameter) + "=" + registered.handle();
    return open_with_vfs(path, kExileVfsName, mode, params.c_str());
  }();
  if (!db) return fail(refine_vfs_error(std::move(db).error()));
  // Before the first write of a new database: 40 reserved bytes per page for nonce and tag,
  // 4096-byte pages. Both are fixed once page 1 exists; the VFS checks them on every open.
  int reserve = static_cast<int>(detail::kReserveBytes);
  if (sqlite3_file_control(db->handle(), "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) !=
      SQLITE_OK) {
    return fail(ErrorCode::Internal, "cannot reserve page bytes for encryption");
  }
  // An existing database whose page 1 authenticated when the VFS opened it has the right key
  // and fixed page settings. Otherwise (a new file, a wrong key, a torn page 1 with a hot
  // journal): set the page size, then read the schema, so that a wrong key or a damaged page 1
  // is DatabaseCorrupt here and not at the caller's first query.
  int verified = 0;
  if (sqlite3_file_control(db->handle(), "main", detail::kFcntlPage1VerifiedAtOpen, &verified) !=
      SQLITE_OK) {
    verified = 0;
  }
  if (verified == 0) {
    EXILE_TRY(db->exec("PRAGMA page_size=4096"));
    if (auto read = db->exec("SELECT count(*) FROM sqlite_schema"); !read) {
      return fail(refine_vfs_error(std::move(read).error()));
    }
  }
  return db;
}

Result<void> vacuum_into(Database& db, const std::filesystem::path& target,
                         const DatabaseKey& new_key) {
  if (!new_key.valid()) return fail(ErrorCode::InvalidArgument, "database key is empty");
  std::error_code ec;
  if (std::filesystem::exists(target, ec) || ec) {
    return fail(ErrorCode::InvalidArgument, "vacuum target already exists");
  }
  EXILE_TRY(register_exile_vfs());
  (void)take_unencrypted_file_refusal();
  const detail::RegisteredKey registered(new_key);
  const std::string uri = uri_path(target) + "?vfs=" + kExileVfsName + "&" +
                          detail::kKeyUriParameter + "=" + registered.handle();
  auto stmt = db.prepare("VACUUM INTO ?1");
  if (!stmt) return fail(refine_vfs_error(std::move(stmt).error()));
  stmt->bind(1, std::string_view(uri));
  if (auto done = stmt->run(); !done) {
    remove_database_files(target);
    return fail(refine_vfs_error(std::move(done).error()));
  }
  return {};
}

}  // namespace exile::store
