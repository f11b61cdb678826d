#include "store/detail/vfs_file.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>

#include "common/bytes.h"
#include "store/detail/key_registry.h"
#include "store/detail/page_cipher.h"

namespace exile::store::detail {
namespace {

constexpr sqlite3_int64 kPage = static_cast<sqlite3_int64>(kPageSize);
// SQLite's database header is 100 bytes; reads that stay inside it are not page reads.
constexpr sqlite3_int64 kFileHeaderBytes = 100;

// What a connection last read or wrote at a page number: the tag on disk and a digest of the
// plaintext. A rollback journal's image of a page SQLite has not changed since is then the
// ciphertext already on disk (journal_write), not a second seal of the same plaintext.
struct SeenPage {
  std::uint32_t pgno = 0;  // 0: empty
  std::array<std::uint8_t, kTagBytes> tag{};
  std::uint64_t digest = 0;
};
// Direct-mapped by page number. As many entries as the pages of Database's page cache
// (cache_size=-32768, 32 MiB): the pages a transaction journals were read or written recently.
inline constexpr std::size_t kSeenPages = 8192;

// The table, 256 KiB, is made when the connection first opens its journal (its first write
// transaction), so that a connection that only reads, or opens and closes, pays nothing for it;
// calloc hands out zeroed pages that are only touched when used. Wiped before it is freed.
struct SeenTableFree {
  void operator()(SeenPage* table) const noexcept {
    sodium_memzero(table, kSeenPages * sizeof(SeenPage));
    std::free(table);
  }
};
using SeenTable = std::unique_ptr<SeenPage[], SeenTableFree>;

// What the database and its journal share: the key, the database id and the database's own
// file. And, for the main database only, the last page 1 this connection authenticated or
// wrote: its 100-byte SQLite header and the 40-byte nonce ‖ tag it was sealed with (see
// read_file_header); and the pages it last read or wrote (SeenPage), once it has written.
struct MainState {
  DatabaseKey key;
  DatabaseId id{};
  sqlite3_file* database = nullptr;  // the base VFS's file of the main database
  bool header_cached = false;
  bool page1_verified_at_open = false;
  std::array<std::uint8_t, 100> header{};
  std::array<std::uint8_t, kReserveBytes> trailer{};
  SeenTable seen{};  // null until the first journal is opened (or if calloc failed)

  void cache_page1(const std::uint8_t* plain, const std::uint8_t* sealed_trailer) {
    std::memcpy(header.data(), plain, header.size());
    std::memcpy(trailer.data(), sealed_trailer, trailer.size());
    header_cached = true;
  }
  void start_seeing() {
    if (!seen) seen.reset(static_cast<SeenPage*>(std::calloc(kSeenPages, sizeof(SeenPage))));
  }
  SeenPage* seen_slot(std::uint32_t pgno) { return seen ? &seen[pgno % kSeenPages] : nullptr; }
  void note_page(std::uint32_t pgno, const std::uint8_t* plain, const std::uint8_t* sealed_tag) {
    SeenPage* slot = seen_slot(pgno);
    if (slot == nullptr) return;
    slot->pgno = pgno;
    std::memcpy(slot->tag.data(), sealed_tag, slot->tag.size());
    slot->digest = page_digest(plain);
  }
  void forget_page(std::uint32_t pgno) {
    SeenPage* slot = seen_slot(pgno);
    if (slot != nullptr && slot->pgno == pgno) slot->pgno = 0;
  }
  ~MainState() { sodium_memzero(header.data(), header.size()); }
};

enum class FileKind : int { MainDatabase, Journal };

// SQLite allocates exile_file_size() bytes; the base VFS's file object follows this struct.
struct ExileFile {
  sqlite3_file base;  // must be first: SQLite sees an ExileFile as a sqlite3_file
  sqlite3_file* real;
  MainState* main;  // owned by the main database file, borrowed by its journal
  FileKind kind;
  // Journal only: the last record page number written, and where (journal_write).
  std::uint32_t record_pgno;
  sqlite3_int64 record_pgno_offset;
};

ExileFile* as_exile(sqlite3_file* file) { return reinterpret_cast<ExileFile*>(file); }

// Open main databases by SQLite's filename pointer: a journal's name resolves to the same
// pointer through sqlite3_filename_database, which is how a journal finds its key and id.
struct OpenMains {
  std::mutex mutex;
  std::map<const char*, MainState*> by_name;
};
OpenMains& open_mains() {
  static OpenMains instance;
  return instance;
}

int real_read(ExileFile* f, void* buffer, sqlite3_int64 amount, sqlite3_int64 offset) {
  return f->real->pMethods->xRead(f->real, buffer, static_cast<int>(amount), offset);
}

// --- main database ----------------------------------------------------------------------------

// Reads page `pgno` (1-based) and opens it into `plain`. SQLITE_OK, SQLITE_IOERR_SHORT_READ
// (page beyond the end: zeros), SQLITE_IOERR_DATA (authentication failed, or a partial page).
int read_database_page(ExileFile* f, std::uint32_t pgno, sqlite3_int64 file_size,
                       std::uint8_t* plain) {
  const sqlite3_int64 start = static_cast<sqlite3_int64>(pgno - 1) * kPage;
  if (start >= file_size) {
    std::memset(plain, 0, kPageSize);
    return SQLITE_IOERR_SHORT_READ;
  }
  if (start + kPage > file_size) return SQLITE_IOERR_DATA;
  const int rc = real_read(f, plain, kPage, start);
  if (rc != SQLITE_OK) return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_DATA : rc;
  std::array<std::uint8_t, kReserveBytes> trailer{};
  std::memcpy(trailer.data(), plain + kPageSize - kReserveBytes, trailer.size());
  if (!open_page(f->main->key, f->main->id, pgno, plain, plain)) {
    f->main->forget_page(pgno);
    return SQLITE_IOERR_DATA;
  }
  // Page 1's readable header is authenticated; it must still say 4096-byte pages and 40
  // reserved bytes, or the nonce and tag would overlap SQLite's data.
  if (pgno == 1 && (load_u16(plain + 16) != kPageSize || plain[20] != kReserveBytes)) {
    sodium_memzero(plain, kPageSize);
    return SQLITE_IOERR_DATA;
  }
  if (pgno == 1) f->main->cache_page1(plain, trailer.data());
  f->main->note_page(pgno, plain, trailer.data() + kNonceBytes);
  return SQLITE_OK;
}

// A read inside SQLite's 100-byte file header (sqlite3BtreeOpen reads it for the page size and
// reserve; the pager reads the change counter at 24). If page 1 does not authenticate, SQLite
// gets the readable bytes 16..23 and zeros: enough to open, and its next full read of page 1
// fails. So a torn or wrong-key page 1 cannot stop a hot journal from being replayed first.
//
// The pager reads the change counter at the start of every read transaction. When page 1 on
// disk still carries the nonce ‖ tag of the page 1 this connection last authenticated or wrote,
// the header comes from that copy: a 40-byte read instead of a 4096-byte read and an AEAD open.
// Nonces are random per write, so another writer's page 1 never matches; a page whose body was
// changed under an unchanged trailer gets the authentic header here and fails at its next full
// read, like any damaged page.
int read_file_header(ExileFile* f, std::uint8_t* out, sqlite3_int64 amount, sqlite3_int64 offset,
                     sqlite3_int64 file_size) {
  MainState& m = *f->main;
  if (m.header_cached && file_size >= kPage) {
    std::array<std::uint8_t, kReserveBytes> trailer{};
    if (real_read(f, trailer.data(), kReserveBytes, kPage - kReserveBytes) == SQLITE_OK &&
        trailer == m.trailer) {
      std::memcpy(out, m.header.data() + offset, static_cast<std::size_t>(amount));
      return SQLITE_OK;
    }
  }
  alignas(8) std::uint8_t page[kPageSize];
  int rc = read_database_page(f, 1, file_size, page);
  if (rc == SQLITE_IOERR_DATA) {
    std::memset(page, 0, kPageSize);
    std::copy(kSqliteMagic.begin(), kSqliteMagic.end(), page);
    rc = real_read(f, page + 16, 8, 16);
    if (rc != SQLITE_OK) std::memset(page + 16, 0, 8);
    rc = SQLITE_OK;
  }
  if (rc == SQLITE_OK || rc == SQLITE_IOERR_SHORT_READ) {
    std::memcpy(out, page + offset, static_cast<std::size_t>(amount));
  }
  sodium_memzero(page, sizeof page);
  return rc;
}

int main_read(ExileFile* f, void* buffer, int amount, sqlite3_int64 offset) {
  if (amount <= 0 || offset < 0) return SQLITE_IOERR_READ;
  auto* out = static_cast<std::uint8_t*>(buffer);
  sqlite3_int64 file_size = 0;
  int rc = f->real->pMethods->xFileSize(f->real, &file_size);
  if (rc != SQLITE_OK) return rc;
  const sqlite3_int64 end = offset + amount;
  if (end <= kFileHeaderBytes) return read_file_header(f, out, amount, offset, file_size);

  bool short_read = false;
  alignas(8) std::uint8_t page[kPageSize];
  for (sqlite3_int64 pos = offset; pos < end;) {
    const auto pgno = static_cast<std::uint32_t>(pos / kPage + 1);
    const sqlite3_int64 in_page = pos % kPage;
    const sqlite3_int64 n = std::min(kPage - in_page, end - pos);
    std::uint8_t* dst = out + (pos - offset);
    const bool whole = in_page == 0 && n == kPage;
    rc = read_database_page(f, pgno, file_size, whole ? dst : page);
    if (rc == SQLITE_IOERR_SHORT_READ) {
      short_read = true;
      std::memset(dst, 0, static_cast<std::size_t>(n));
    } else if (rc != SQLITE_OK) {
      sodium_memzero(page, sizeof page);
      std::memset(out, 0, static_cast<std::size_t>(amount));
      return rc;
    } else if (!whole) {
      std::memcpy(dst, page + in_page, static_cast<std::size_t>(n));
    }
    pos += n;
  }
  sodium_memzero(page, sizeof page);
  return short_read ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

int main_write(ExileFile* f, const void* buffer, int amount, sqlite3_int64 offset) {
  if (amount != static_cast<int>(kPageSize) || offset < 0 || offset % kPage != 0) {
    return SQLITE_IOERR_WRITE;  // only whole, aligned 4096-byte pages are ever written
  }
  const auto* plain = static_cast<const std::uint8_t*>(buffer);
  const auto pgno = static_cast<std::uint32_t>(offset / kPage + 1);
  if (pgno == 1 && (load_u16(plain + 16) != kPageSize || plain[20] != kReserveBytes)) {
    return SQLITE_IOERR_WRITE;  // fail closed: no room for the nonce and tag
  }
  alignas(8) std::uint8_t sealed[kPageSize];
  seal_page(f->main->key, f->main->id, pgno, plain, sealed);
  // Until the write below is known to be done, what is on disk at pgno is not known.
  if (pgno == 1) f->main->header_cached = false;
  f->main->forget_page(pgno);
  const int rc = f->real->pMethods->xWrite(f->real, sealed, amount, offset);
  if (rc == SQLITE_OK) {
    if (pgno == 1) f->main->cache_page1(plain, sealed + kSealedEnd);
    f->main->note_page(pgno, plain, sealed + kSealedEnd + kNonceBytes);
  }
  return rc;
}

// --- rollback journal -------------------------------------------------------------------------
//
// The write shapes of SQLite 3.40's pager for a rollback journal (pager.c: writeJournalHdr,
// syncJournal, pagerAddPageToRollbackJournal, zeroJournalHdr), S being the pager's sector size
// (512 … 4096: x_sector_size keeps it there, and a page is 4096):
//   header      S bytes at a multiple of S: magic ‖ nRec either zero or magic ‖ 0xffffffff,
//               then checksum initialiser, page count, sector size = S, page size = 4096, zeros
//   commit      12 bytes at a header: magic ‖ nRec, once the records are synced
//   record      be32(page number) (offset ≡ 0 mod 8), then straight after it the page image
//               (4096 bytes, ≡ 4 mod 8), be32(checksum) (≡ 4 mod 8); records start after the
//               first header
//   reset       28 zero bytes at 0 (a persistent or exclusive-mode journal being finished)
//   invalidate  1 zero byte on the magic of a stale header where the next header goes
// Everything else is refused with SQLITE_IOERR_WRITE before anything reaches the disk. That
// includes the super-journal name record (SQLite writes it only after creating a super-journal,
// which this VFS refuses to open) and a record written in one call.

constexpr std::array<std::uint8_t, 8> kJournalMagic = {0xd9, 0xd5, 0x05, 0xf9,
                                                       0x20, 0xa1, 0x63, 0xd7};
constexpr sqlite3_int64 kMinSector = 512;
constexpr sqlite3_int64 kMaxSector = 4096;

bool is_page_image(int amount, sqlite3_int64 offset) {
  return amount == static_cast<int>(kPageSize) && offset >= kMinSector + 4 && offset % 8 == 4;
}

bool all_zero(const std::uint8_t* p, std::size_t n) { return sodium_is_zero(p, n) == 1; }

bool is_header_write(const std::uint8_t* in, int amount, sqlite3_int64 offset) {
  const sqlite3_int64 n = amount;
  if (n < kMinSector || n > kMaxSector || (n & (n - 1)) != 0 || offset % n != 0) return false;
  const bool unsynced = all_zero(in, 12);
  const bool no_sync =
      std::equal(kJournalMagic.begin(), kJournalMagic.end(), in) && load_u32(in + 8) == 0xffffffffu;
  return (unsynced || no_sync) && load_u32(in + 20) == static_cast<std::uint32_t>(n) &&
         load_u32(in + 24) == kPageSize &&
         all_zero(in + kJournalHeaderBytes, static_cast<std::size_t>(n) - kJournalHeaderBytes);
}

// Whether the journal holds an authentic header at `offset` (sealed by this database's key).
bool header_authentic_at(ExileFile* f, sqlite3_int64 offset) {
  std::uint8_t header[kJournalHeaderSealEnd];
  if (real_read(f, header, sizeof header, offset) != SQLITE_OK) return false;
  return journal_header_authentic(f->main->key, f->main->id, offset, header);
}

bool magic_on_disk(ExileFile* f, sqlite3_int64 offset) {
  std::array<std::uint8_t, 8> magic{};
  return real_read(f, magic.data(), magic.size(), offset) == SQLITE_OK && magic == kJournalMagic;
}

int read_record_pgno(ExileFile* f, sqlite3_int64 image_offset, std::uint32_t& pgno) {
  std::uint8_t raw[4];
  const int rc = real_read(f, raw, 4, image_offset - 4);
  if (rc != SQLITE_OK) return rc;
  pgno = load_u32(raw);
  return SQLITE_OK;
}

// SQLite's page number for a super-journal record: the page holding the lock byte.
constexpr std::uint32_t kSuperJournalPgno = 0x40000000u / kPageSize + 1;

int journal_read(ExileFile* f, void* buffer, int amount, sqlite3_int64 offset) {
  auto* out = static_cast<std::uint8_t*>(buffer);
  // SQLite reads nothing this large from a journal but a page image where a record puts one
  // (only a header claiming another page or sector size could ask otherwise, and headers are
  // authenticated). Refuse.
  if (amount >= 512 && !is_page_image(amount, offset)) {
    std::memset(out, 0, static_cast<std::size_t>(amount));
    return SQLITE_IOERR_DATA;
  }
  int rc = real_read(f, buffer, amount, offset);
  // Short reads pass through: a journal that ends early ends the replay (SQLite's own rule for
  // a journal cut by a crash). The part of a cut image that was read is not handed over.
  if (rc != SQLITE_OK) {
    if (is_page_image(amount, offset)) std::memset(out, 0, kPageSize);
    return rc;
  }
  if (amount == static_cast<int>(kJournalMagic.size()) &&
      std::equal(kJournalMagic.begin(), kJournalMagic.end(), out)) {
    // SQLite reads a header's magic before its fields, always when replaying a hot journal. The
    // header must be ours: its page count would truncate the database before any record is read.
    if (header_authentic_at(f, offset)) return SQLITE_OK;
    std::memset(out, 0, static_cast<std::size_t>(amount));
    return SQLITE_IOERR_DATA;
  }
  if (!is_page_image(amount, offset)) return SQLITE_OK;
  std::uint32_t pgno = 0;
  rc = read_record_pgno(f, offset, pgno);
  if (rc != SQLITE_OK) {
    std::memset(out, 0, kPageSize);
    return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_DATA : rc;
  }
  if (pgno == 0 || pgno == kSuperJournalPgno) {
    // SQLite ends the journal at such a record without looking at its image.
    std::memset(out, 0, kPageSize);
    return SQLITE_OK;
  }
  if (all_zero(out, kPageSize)) {
    // Never written (a sealed image has a random nonce): the journal ends here, as when it is
    // cut short.
    return SQLITE_IOERR_SHORT_READ;
  }
  // An image is a sealed database page. Page 1 names its database: it must be this one.
  DatabaseId id = f->main->id;
  if (open_page(f->main->key, id, pgno, out, out)) {
    if (id == f->main->id) return SQLITE_OK;
    std::memset(out, 0, kPageSize);
  }
  // open_page zeroed the buffer. A whole record that does not authenticate (another key, a
  // forgery, damage, page 1 of another database) is a hard error: the replay stops, SQLite
  // leaves the journal where it is and the database reports DatabaseCorrupt until the right key
  // opens it.
  return SQLITE_IOERR_DATA;
}

// A journal image of page `pgno` whose plaintext `plain` SQLite last read from, or wrote to, the
// database file, and which is still on disk there: that sealed page is copied into `sealed` and
// true returned. SQLite journals a page before it first changes it in a transaction, so this is
// the common case, and it saves sealing the same plaintext a second time. The copy is made only
// when the disk still carries the tag this connection saw at pgno and `plain` has the digest of
// the plaintext it saw; otherwise false, and the caller seals `plain`.
bool copy_from_database(ExileFile* f, std::uint32_t pgno, const std::uint8_t* plain,
                        std::uint8_t* sealed) {
  MainState& m = *f->main;
  const SeenPage* seen = m.seen_slot(pgno);
  if (seen == nullptr || seen->pgno != pgno || page_digest(plain) != seen->digest) return false;
  const sqlite3_int64 start = static_cast<sqlite3_int64>(pgno - 1) * kPage;
  if (m.database->pMethods->xRead(m.database, sealed, static_cast<int>(kPage), start) !=
      SQLITE_OK) {
    return false;
  }
  return sodium_memcmp(sealed + kSealedEnd + kNonceBytes, seen->tag.data(), kTagBytes) == 0;
}

int journal_write(ExileFile* f, const void* buffer, int amount, sqlite3_int64 offset) {
  const auto* in = static_cast<const std::uint8_t*>(buffer);
  if (amount <= 0 || offset < 0) return SQLITE_IOERR_WRITE;
  // The pager writes a record's page number, then its image right after it: an image is
  // accepted only straight after its page number's write, which gives the page number.
  const bool after_pgno = f->record_pgno_offset == offset - 4;
  f->record_pgno_offset = -1;
  if (is_page_image(amount, offset)) {
    if (!after_pgno) return SQLITE_IOERR_WRITE;
    const std::uint32_t pgno = f->record_pgno;
    alignas(8) std::uint8_t sealed[kPageSize];
    if (!copy_from_database(f, pgno, in, sealed)) {
      seal_page(f->main->key, f->main->id, pgno, in, sealed);
    }
    return f->real->pMethods->xWrite(f->real, sealed, amount, offset);
  }
  if (is_header_write(in, amount, offset)) {
    alignas(8) std::uint8_t header[kMaxSector];
    std::memcpy(header, in, static_cast<std::size_t>(amount));
    seal_journal_header(f->main->key, f->main->id, offset, header);
    return f->real->pMethods->xWrite(f->real, header, amount, offset);
  }
  bool allowed = false;
  switch (amount) {
    case 4: allowed = offset >= kMinSector; break;  // a record's page number or checksum
    case 12:
      allowed = offset % kMinSector == 0 &&
                std::equal(kJournalMagic.begin(), kJournalMagic.end(), in) &&
                header_authentic_at(f, offset);
      break;
    case static_cast<int>(kJournalHeaderBytes):
      allowed = offset == 0 && all_zero(in, kJournalHeaderBytes);
      break;
    case 1: allowed = in[0] == 0 && offset % kMinSector == 0 && magic_on_disk(f, offset); break;
    default: break;
  }
  if (!allowed) return SQLITE_IOERR_WRITE;
  const int rc = f->real->pMethods->xWrite(f->real, buffer, amount, offset);
  if (rc == SQLITE_OK && amount == 4) {
    // Perhaps a record's page number: its image follows at offset + 4.
    f->record_pgno = load_u32(in);
    f->record_pgno_offset = offset;
  }
  return rc;
}

// --- io methods -------------------------------------------------------------------------------

int x_close(sqlite3_file* file) {
  ExileFile* f = as_exile(file);
  const int rc = f->real->pMethods != nullptr ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
  if (f->kind == FileKind::MainDatabase && f->main != nullptr) {
    {
      auto& mains = open_mains();
      const std::lock_guard lock(mains.mutex);
      for (auto it = mains.by_name.begin(); it != mains.by_name.end(); ++it) {
        if (it->second == f->main) {
          mains.by_name.erase(it);
          break;
        }
      }
    }
    delete f->main;
  }
  f->main = nullptr;
  f->base.pMethods = nullptr;
  return rc;
}

int x_read(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
  ExileFile* f = as_exile(file);
  return f->kind == FileKind::MainDatabase ? main_read(f, buffer, amount, offset)
                                           : journal_read(f, buffer, amount, offset);
}

int x_write(sqlite3_file* file, const void* buffer, int amount, sqlite3_int64 offset) {
  ExileFile* f = as_exile(file);
  return f->kind == FileKind::MainDatabase ? main_write(f, buffer, amount, offset)
                                           : journal_write(f, buffer, amount, offset);
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
  ExileFile* f = as_exile(file);
  f->record_pgno_offset = -1;
  return f->real->pMethods->xTruncate(f->real, size);
}
int x_sync(sqlite3_file* file, int flags) {
  sqlite3_file* real = as_exile(file)->real;
  return real->pMethods->xSync(real, flags);
}
int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
  sqlite3_file* real = as_exile(file)->real;
  return real->pMethods->xFileSize(real, size);
}
int x_lock(sqlite3_file* file, int level) {
  sqlite3_file* real = as_exile(file)->real;
  return real->pMethods->xLock(real, level);
}
int x_unlock(sqlite3_file* file, int level) {
  sqlite3_file* real = as_exile(file)->real;
  return real->pMethods->xUnlock(real, level);
}
int x_check_reserved_lock(sqlite3_file* file, int* out) {
  sqlite3_file* real = as_exile(file)->real;
  return real->pMethods->xCheckReservedLock(real, out);
}

bool is_allowed_journal_mode(const char* mode) {
  return sqlite3_stricmp(mode, "delete") == 0 || sqlite3_stricmp(mode, "truncate") == 0;
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
  ExileFile* f = as_exile(file);
  sqlite3_file* real = f->real;
  switch (op) {
    case kFcntlPage1VerifiedAtOpen:
      if (f->kind != FileKind::MainDatabase) return SQLITE_NOTFOUND;
      *static_cast<int*>(arg) = f->main->page1_verified_at_open ? 1 : 0;
      return SQLITE_OK;
    case SQLITE_FCNTL_PRAGMA: {
      // azArg[1] is the pragma's name, azArg[2] its value (or null for a query).
      auto** args = static_cast<char**>(arg);
      if (args[1] != nullptr && args[2] != nullptr &&
          sqlite3_stricmp(args[1], "journal_mode") == 0 && !is_allowed_journal_mode(args[2])) {
        args[0] = sqlite3_mprintf("the exile VFS supports journal_mode DELETE and TRUNCATE only");
        return SQLITE_ERROR;
      }
      return real->pMethods->xFileControl(real, op, arg);
    }
    case SQLITE_FCNTL_MMAP_SIZE:  // never map the (ciphertext) file
      *static_cast<sqlite3_int64*>(arg) = 0;
      return SQLITE_OK;
    case SQLITE_FCNTL_CHUNK_SIZE:  // a pre-extended file would hold zero pages that fail to open
      return SQLITE_OK;
    case SQLITE_FCNTL_VFSNAME: {  // "exile/unix": this VFS over the one below it
      char* below = nullptr;
      if (real->pMethods->xFileControl(real, op, &below) != SQLITE_OK) below = nullptr;
      *static_cast<char**>(arg) =
          below != nullptr ? sqlite3_mprintf("exile/%z", below) : sqlite3_mprintf("exile");
      return SQLITE_OK;
    }
    default: return real->pMethods->xFileControl(real, op, arg);
  }
}

// Kept within 512 … 4096 (the unix VFS says 4096): a journal header then takes exactly one
// write of one sector, which is how journal_write recognises it.
int x_sector_size(sqlite3_file* file) {
  sqlite3_file* real = as_exile(file)->real;
  const int size = real->pMethods->xSectorSize(real);
  return static_cast<int>(std::clamp<sqlite3_int64>(size, kMinSector, kMaxSector));
}

int x_device_characteristics(sqlite3_file* file) {
  sqlite3_file* real = as_exile(file)->real;
  // No atomic-write or safe-append claims: SQLite must always use a real rollback journal
  // (never an in-memory one) and write its record count only after syncing the records.
  constexpr int kRemoved = SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_ATOMIC512 | SQLITE_IOCAP_ATOMIC1K |
                           SQLITE_IOCAP_ATOMIC2K | SQLITE_IOCAP_ATOMIC4K | SQLITE_IOCAP_ATOMIC8K |
                           SQLITE_IOCAP_ATOMIC16K | SQLITE_IOCAP_ATOMIC32K |
                           SQLITE_IOCAP_ATOMIC64K | SQLITE_IOCAP_SAFE_APPEND |
                           SQLITE_IOCAP_SEQUENTIAL | SQLITE_IOCAP_BATCH_ATOMIC;
  return real->pMethods->xDeviceCharacteristics(real) & ~kRemoved;
}

// Version 1: no xShmMap (so no WAL) and no xFetch (so no memory-mapped I/O).
const sqlite3_io_methods kExileIoMethods = {1,
                                            x_close,
                                            x_read,
                                            x_write,
                                            x_truncate,
                                            x_sync,
                                            x_file_size,
                                            x_lock,
                                            x_unlock,
                                            x_check_reserved_lock,
                                            x_file_control,
                                            x_sector_size,
                                            x_device_characteristics,
                                            nullptr,
                                            nullptr,
                                            nullptr,
                                            nullptr,
                                            nullptr,
                                            nullptr};

int refuse() {
  note_unencrypted_file_refused();
  return SQLITE_CANTOPEN;
}

}  // namespace

int exile_file_size(const sqlite3_vfs* base) {
  static_assert(sizeof(ExileFile) % 8 == 0, "the base VFS's file object follows, aligned");
  return static_cast<int>(sizeof(ExileFile)) + base->szOsFile;
}

int exile_file_open(sqlite3_vfs* base, sqlite3_filename name, sqlite3_file* file, int flags,
                    int* out_flags) {
  ExileFile* f = as_exile(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->real->pMethods = nullptr;
  f->main = nullptr;
  f->record_pgno = 0;
  f->record_pgno_offset = -1;
  const bool is_main = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  const bool is_journal = (flags & SQLITE_OPEN_MAIN_JOURNAL) != 0;
  if (name == nullptr || (!is_main && !is_journal)) return refuse();

  MainState* state = nullptr;
  if (is_main) {
    const char* handle = sqlite3_uri_parameter(name, kKeyUriParameter);
    if (handle == nullptr) return refuse();
    try {
      std::optional<DatabaseKey> key = find_registered_key(handle);
      if (!key) return refuse();
      state = new MainState{std::move(*key), {}};
    } catch (const std::bad_alloc&) {
      return SQLITE_NOMEM;
    }
  } else {
    auto& mains = open_mains();
    const std::lock_guard lock(mains.mutex);
    const auto it = mains.by_name.find(sqlite3_filename_database(name));
    if (it == mains.by_name.end()) return refuse();
    state = it->second;
    state->start_seeing();  // from its first write transaction on, journal images are copies
  }

  const bool creating = (flags & SQLITE_OPEN_CREATE) != 0 && ::access(name, F_OK) != 0;
  const int rc = base->xOpen(base, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (is_main) delete state;
    return rc;
  }
  // Owner-only, whatever the umask (the unix VFS creates a database 0644 & ~umask and gives a
  // journal its database's mode). Nothing has been written to the new file yet.
  if (creating) (void)::chmod(name, S_IRUSR | S_IWUSR);
  f->main = state;
  f->kind = is_main ? FileKind::MainDatabase : FileKind::Journal;
  f->base.pMethods = &kExileIoMethods;
  if (is_main) {
    state->database = f->real;
    // The database id: page 1's first 16 bytes, or a fresh one for a new (empty) file.
    sqlite3_int64 size = 0;
    if (f->real->pMethods->xFileSize(f->real, &size) == SQLITE_OK &&
        size >= static_cast<sqlite3_int64>(kDatabaseIdBytes) &&
        real_read(f, state->id.data(), kDatabaseIdBytes, 0) == SQLITE_OK) {
      // Read from disk. If page 1 is whole and authenticates, the key is right: Database::open
      // need not read the schema to find out. If not (wrong key, or a torn page 1 that a hot
      // journal will restore), SQLite's own first read decides.
      alignas(8) std::uint8_t page[kPageSize];
      state->page1_verified_at_open = read_database_page(f, 1, size, page) == SQLITE_OK;
      sodium_memzero(page, sizeof page);
    } else {
      randombytes_buf(state->id.data(), state->id.size());
    }
    auto& mains = open_mains();
    const std::lock_guard lock(mains.mutex);
    mains.by_name[name] = state;
  }
  return SQLITE_OK;
}

}  // namespace exile::store::detail
