// Database: the store's SQLite connection (an exile::sqlite::Database, sqlite/database.h), used
// from one thread (the engine's). Exile's databases are opened through the encrypting VFS
// (vfs.h; format in docs/storage.md) with the store's pragmas; open_unencrypted exists for
// benchmarks and tests that compare against plain SQLite, never for user data. Statements and
// transactions are sqlite::Statement and sqlite::Transaction.
#pragma once

#include <cstddef>
#include <filesystem>
#include <utility>

#include "common/result.h"
#include "common/secure_buffer.h"
#include "sqlite/database.h"
#include "store/profile_lock.h"

namespace exile::store {

inline constexpr std::size_t kDatabaseKeyBytes = 32;
using DatabaseKey = SecureBuffer<kDatabaseKeyBytes>;

// The store's open modes are the wrapper's (kept under this name for the store's callers).
using OpenMode = sqlite::OpenMode;

class Database : public sqlite::Database {
 public:
  // Opens (or creates) an encrypted database with the exile VFS and applies Exile's pragmas
  // (journal_mode, temp_store=MEMORY, secure_delete, mmap off, foreign_keys). A wrong key is
  // DatabaseCorrupt on page 1 (the VFS cannot tell a wrong key from a damaged page: the key
  // file, not the database, tells a wrong passphrase apart). Implemented in vfs.cpp.
  [[nodiscard]] static Result<Database> open(const std::filesystem::path& path,
                                             const DatabaseKey& key, OpenMode mode);
  // Plain SQLite with the same pragmas: the benchmark's peer. Never for user data.
  [[nodiscard]] static Result<Database> open_unencrypted(const std::filesystem::path& path,
                                                         OpenMode mode);

  Database(Database&& other) noexcept = default;
  // Closes this connection before it lets go of its profile lock, then takes other's.
  Database& operator=(Database&& other) noexcept = default;
  ~Database();  // closes the connection, then releases the profile lock (if held)
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Keeps `lock` until this connection is closed (ProfileStore::unlock: the profile stays
  // locked for as long as its database is open; the connection closes before the lock goes).
  void hold(ProfileLock lock) { lock_ = std::move(lock); }

 private:
  friend Result<Database> open_with_vfs(const std::filesystem::path&, const char*, OpenMode,
                                        const char*);
  explicit Database(sqlite::Database connection) : sqlite::Database(std::move(connection)) {}
  ProfileLock lock_;
};

// Opens path with the named VFS (nullptr: SQLite's default) and URI parameters (may be
// nullptr), then applies Exile's pragmas; errors on the connection go through
// refine_vfs_error (vfs.h). Shared by Database::open and open_unencrypted.
[[nodiscard]] Result<Database> open_with_vfs(const std::filesystem::path& path, const char* vfs,
                                             OpenMode mode, const char* uri_params);

}  // namespace exile::store
