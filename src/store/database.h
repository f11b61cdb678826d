// Database: one SQLite connection, used from one thread (the engine's), with prepared
// statements and transactions. Exile's databases are opened through the encrypting VFS
// (vfs.h; format in docs/storage.md); open_unencrypted exists for benchmarks and tests that
// compare against plain SQLite, never for user data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/bytes.h"
#include "common/result.h"
#include "common/secure_buffer.h"
#include "store/profile_lock.h"

struct sqlite3;
struct sqlite3_stmt;

namespace exile::store {

inline constexpr std::size_t kDatabaseKeyBytes = 32;
using DatabaseKey = SecureBuffer<kDatabaseKeyBytes>;

enum class OpenMode {
  OpenExisting,  // fail with NotFound if the file does not exist
  CreateIfMissing,
};

class Statement;
class Transaction;

class Database {
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

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  [[nodiscard]] Result<void> exec(std::string_view sql);
  [[nodiscard]] Result<Statement> prepare(std::string_view sql);
  // BEGIN IMMEDIATE; the returned Transaction rolls back unless commit() is called.
  [[nodiscard]] Result<Transaction> begin();
  [[nodiscard]] std::int64_t last_insert_rowid() const;
  [[nodiscard]] int changes() const;
  [[nodiscard]] sqlite3* handle() const { return db_; }

  // Maps the connection's last SQLite error to an Error (code by class; message without
  // SQL parameters, so never user content).
  [[nodiscard]] Error last_error(std::string_view what) const;

  // Keeps `lock` until this connection is closed (ProfileStore::unlock: the profile stays
  // locked for as long as its database is open; the connection closes before the lock goes).
  void hold(ProfileLock lock) { lock_ = std::move(lock); }

 private:
  friend Result<Database> open_with_vfs(const std::filesystem::path&, const char*, OpenMode,
                                        const char*);
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
  ProfileLock lock_;  // declared after db_: released after the destructor closed db_
};

// Opens path with the named VFS (nullptr: SQLite's default) and URI parameters (may be
// nullptr), then applies Exile's pragmas. Shared by Database::open and open_unencrypted.
[[nodiscard]] Result<Database> open_with_vfs(const std::filesystem::path& path, const char* vfs,
                                             OpenMode mode, const char* uri_params);

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Blobs and text are copied (SQLITE_TRANSIENT).
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, ByteView blob);
  Statement& bind_null(int index);

  // Steps once: true when a row is available, false when done.
  [[nodiscard]] Result<bool> step();
  // Steps to completion (for statements that return no rows).
  [[nodiscard]] Result<void> run();
  void reset();  // resets and clears bindings, so the statement can be reused

  [[nodiscard]] std::int64_t column_int64(int index) const;
  [[nodiscard]] std::string column_text(int index) const;
  [[nodiscard]] Bytes column_blob(int index) const;
  [[nodiscard]] SecureBytes column_secret(int index) const;  // for keys and session state
  [[nodiscard]] bool column_is_null(int index) const;

 private:
  friend class Database;
  Statement(const Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  const Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();  // rolls back if neither committed nor rolled back
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  [[nodiscard]] Result<void> commit();
  void rollback();

 private:
  friend class Database;
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_ = nullptr;
};

}  // namespace exile::store
