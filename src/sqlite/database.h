// exile_sqlite: a small wrapper over the system SQLite, shared by the encrypted store
// (exile_store, which opens it through the exile VFS) and the relay's queue store (plain files).
// It knows nothing of keys, VFSes or pragmas: each user opens, then sets its own.
//
// Database: one SQLite connection, used from one thread, with prepared statements and
// transactions. Statement and Transaction borrow the Database that made them and must not
// outlive it. Errors are exile::Error with the storage codes (3xx: DatabaseCorrupt, DiskFull,
// DatabaseBusy, ...); their messages name the SQLite error class, never SQL or values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "common/secure_buffer.h"

struct sqlite3;
struct sqlite3_stmt;

namespace exile::sqlite {

enum class OpenMode {
  OpenExisting,  // fail with NotFound if the file does not exist
  CreateIfMissing,
};

class Statement;
class Transaction;

class Database {
 public:
  // A hook that may rewrite every error raised on this connection (the store uses it to report
  // what its VFS refused); nullptr: none.
  using ErrorFilter = Error (*)(Error);

  // Opens `path` read-write with the named VFS (nullptr: SQLite's default) and URI parameters
  // (nullptr or empty: none), with extended result codes on. Any file name works: the path is
  // percent-encoded into a file: URI. Applies no pragma.
  [[nodiscard]] static Result<Database> open(const std::filesystem::path& path, OpenMode mode,
                                             const char* vfs = nullptr,
                                             const char* uri_params = nullptr);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  [[nodiscard]] Result<void> exec(std::string_view sql);
  // Statements are kept by their SQL text: a Statement that ends goes back to the connection
  // reset, with its bindings cleared, and the next prepare() of the same text takes it instead of
  // compiling the SQL again. A text in use is prepared afresh; at most kCachedStatements are kept.
  [[nodiscard]] Result<Statement> prepare(std::string_view sql);
  static constexpr std::size_t kCachedStatements = 256;
  // BEGIN IMMEDIATE; the returned Transaction rolls back unless commit() is called.
  [[nodiscard]] Result<Transaction> begin();
  [[nodiscard]] std::int64_t last_insert_rowid() const;
  [[nodiscard]] int changes() const;
  [[nodiscard]] sqlite3* handle() const { return db_; }

  // Maps the connection's last SQLite error to an Error (code by class; message without
  // SQL parameters, so never user content), through the error filter if one is set.
  [[nodiscard]] Error last_error(std::string_view what) const;
  void set_error_filter(ErrorFilter filter) { error_filter_ = filter; }

  // Closes the connection now (the destructor does it otherwise). Statements must be gone.
  void close() noexcept;

 private:
  friend class Statement;
  struct Cache;  // idle statements by SQL text; on the heap, so a Database can move
  explicit Database(sqlite3* db);
  sqlite3* db_ = nullptr;
  ErrorFilter error_filter_ = nullptr;
  // Shared with the Statements it lent (weakly): one that outlives close() finds it gone and is
  // finalized (sqlite3_close_v2 keeps the connection until then).
  std::shared_ptr<Cache> cache_;
};

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
  Statement(const Database* db, sqlite3_stmt* stmt, std::weak_ptr<Database::Cache> cache,
            sqlite3_stmt** slot)
      : db_(db), stmt_(stmt), cache_(std::move(cache)), slot_(slot) {}
  void release() noexcept;  // reset into its cache slot when that is free, else finalized
  const Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::weak_ptr<Database::Cache> cache_;
  sqlite3_stmt** slot_ = nullptr;  // the cache's entry for this SQL text, while the cache lives
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

}  // namespace exile::sqlite
