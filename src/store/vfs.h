// The exile VFS: SQLite over the system's unix VFS, with every page of the database and of its
// rollback journal sealed with XChaCha20-Poly1305. Format: docs/storage.md; invariants and the
// handling of each file kind: the comment at the top of vfs.cpp.
//
// Database::open (database.h) is the way in; this header adds what the key file and backup
// layers need on top of it.
#pragma once

#include <filesystem>

#include "common/result.h"
#include "store/database.h"

namespace exile::store {

// The name under which the VFS is registered with SQLite (never as the default VFS).
inline constexpr const char* kExileVfsName = "exile";

// Registers the VFS once per process (thread-safe; later calls are cheap). Fails when the
// SQLite library in use is outside the versions the VFS was tested with (below).
[[nodiscard]] Result<void> register_exile_vfs();

// OK for a sqlite3_libversion_number() the VFS was tested with (3.40.x); otherwise an error that
// names the version. The VFS allows only the journal write shapes of that version's pager.
[[nodiscard]] Result<void> check_sqlite_version(int version);

// Writes an encrypted copy of `db` to `target` (which must not exist) under `new_key` and a new
// random database id: VACUUM INTO through the exile VFS. Key rotation is this followed by an
// atomic rename (the key file layer's job). On failure nothing is left at `target`.
[[nodiscard]] Result<void> vacuum_into(Database& db, const std::filesystem::path& target,
                                       const DatabaseKey& new_key);

// True when, on this thread, the VFS refused to open a file it cannot encrypt (a temp file,
// sub-journal, super-journal or WAL) since the last call; clears the flag. SQLite reports the
// refusal as SQLITE_CANTOPEN; callers use this to tell it apart and report
// ErrorCode::UnencryptedFileRefused.
[[nodiscard]] bool take_unencrypted_file_refusal() noexcept;

// Rewrites an error raised by a statement on an exile connection: a refusal recorded by the
// VFS becomes UnencryptedFileRefused; other errors are returned unchanged.
[[nodiscard]] Error refine_vfs_error(Error error);

}  // namespace exile::store
