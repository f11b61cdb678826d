// The file objects of the exile VFS (sqlite3_file + sqlite3_io_methods). vfs.cpp's header
// comment states what each kind of file does; this is the code behind it.
#pragma once

#include <sqlite3.h>

namespace exile::store::detail {

// sqlite3_file_control opcode (int* out): 1 if page 1 of the main database was whole and
// authenticated under the connection's key when the file was opened, else 0. A private value,
// far from SQLite's own SQLITE_FCNTL_* numbers.
inline constexpr int kFcntlPage1VerifiedAtOpen = 0x45584c01;

// Bytes SQLite must allocate per file object (ours followed by the base VFS's).
[[nodiscard]] int exile_file_size(const sqlite3_vfs* base);

// xOpen of the exile VFS over `base`. Refuses (SQLITE_CANTOPEN, and records the refusal for
// take_unencrypted_file_refusal) every file that is neither a main database with a registered
// key nor the rollback journal of an open exile main database.
int exile_file_open(sqlite3_vfs* base, sqlite3_filename name, sqlite3_file* file, int flags,
                    int* out_flags);

// Sets the calling thread's refusal flag (vfs.cpp owns it).
void note_unencrypted_file_refused() noexcept;

}  // namespace exile::store::detail
