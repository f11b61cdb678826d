// Page sealing for the exile VFS: one page in, one authenticated ciphertext page out.
// The byte layout is docs/storage.md §"Page format"; vfs.cpp decides which page is which.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "store/database.h"

namespace exile::store::detail {

inline constexpr std::size_t kPageSize = 4096;
inline constexpr std::size_t kNonceBytes = 24;  // crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
inline constexpr std::size_t kTagBytes = 16;    // crypto_aead_xchacha20poly1305_ietf_ABYTES
inline constexpr std::size_t kReserveBytes = kNonceBytes + kTagBytes;  // 40
inline constexpr std::size_t kSealedEnd = kPageSize - kReserveBytes;   // 4056: nonce starts here
inline constexpr std::size_t kDatabaseIdBytes = 16;
// Page 1 keeps bytes [0, 24) readable: [0, 16) the database id (in place of SQLite's magic
// string), [16, 24) SQLite's page size, versions, reserve and payload fractions.
inline constexpr std::size_t kHeaderPlainEnd = 24;

using DatabaseId = std::array<std::uint8_t, kDatabaseIdBytes>;

// The 16 bytes SQLite expects at the start of page 1 ("SQLite format 3\0").
inline constexpr std::array<std::uint8_t, 16> kSqliteMagic = {
    'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', 0};

// Seals the kPageSize-byte plaintext `plain` as page `pgno` into `sealed` (may not overlap) with
// a fresh random nonce. Page 1: `sealed` starts with `id` and plain[16..24). A rollback
// journal's page image is the sealed page itself (docs/storage.md §"Journal format").
void seal_page(const DatabaseKey& key, const DatabaseId& id, std::uint32_t pgno,
               const std::uint8_t* plain, std::uint8_t* sealed);

// Opens a sealed page into `plain` (may equal `sealed`). For page 1 the database id is the one
// stored in the page itself (returned through `id`); for every other page `id` is an input.
// On failure `plain` is all zero and false is returned; never partial plaintext.
[[nodiscard]] bool open_page(const DatabaseKey& key, DatabaseId& id, std::uint32_t pgno,
                             const std::uint8_t* sealed, std::uint8_t* plain);

// A 64-bit digest of a kPageSize-byte plaintext page: not cryptographic, and never stored. The
// VFS compares a page image SQLite journals with the page it last read or wrote at that number
// (vfs_file.cpp, "journal images"), to guard that copy against a mistake, not an adversary.
[[nodiscard]] std::uint64_t page_digest(const std::uint8_t* plain);

// Rollback journal headers (docs/storage.md §"Journal format"). SQLite's header is 28 bytes at
// a sector boundary: magic (8), record count (4), then the 16 bytes that never change once
// written: checksum initialiser, original page count, sector size, page size. The VFS stores
// a nonce and a tag after them; the tag authenticates (no ciphertext) the 16 fixed bytes, the
// database id and the header's offset in the journal under the database key.
inline constexpr std::size_t kJournalHeaderBytes = 28;
inline constexpr std::size_t kJournalHeaderFixed = 12;  // the fixed fields start here
inline constexpr std::size_t kJournalHeaderSealEnd = kJournalHeaderBytes + kReserveBytes;  // 68

// Writes nonce ‖ tag into header[28, 68) for the header at `offset` (header[12, 28) is read).
void seal_journal_header(const DatabaseKey& key, const DatabaseId& id, std::int64_t offset,
                         std::uint8_t* header);

// True when header[28, 68) authenticates header[12, 28) at `offset` under key and id.
[[nodiscard]] bool journal_header_authentic(const DatabaseKey& key, const DatabaseId& id,
                                            std::int64_t offset, const std::uint8_t* header);

}  // namespace exile::store::detail
