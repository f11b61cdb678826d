#include "sqlite/database.h"

#include <sqlite3.h>

#include <functional>
#include <string>
#include <unordered_map>
#include <utility>

namespace exile::sqlite {
namespace {

ErrorCode code_for(int sqlite_code) {
  // A VFS that authenticates pages (SQLite's checksum VFS, the store's exile VFS) reports one that
  // fails as SQLITE_IOERR_DATA: to callers that is a damaged database.
  if (sqlite_code == SQLITE_IOERR_DATA) return ErrorCode::DatabaseCorrupt;
  switch (sqlite_code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return ErrorCode::DatabaseCorrupt;
    case SQLITE_FULL: return ErrorCode::DiskFull;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::DatabaseBusy;
    case SQLITE_CONSTRAINT: return ErrorCode::Constraint;
    case SQLITE_CANTOPEN: return ErrorCode::NotFound;
    case SQLITE_IOERR:
    case SQLITE_PERM:
    case SQLITE_READONLY: return ErrorCode::StorageIo;
    case SQLITE_NOMEM: return ErrorCode::OutOfMemory;
    default: return ErrorCode::Internal;
  }
}

Error make_error(int sqlite_code, std::string_view what) {
  // sqlite3_errstr describes the class of error only; it never includes SQL or values.
  std::string message(what);
  message += ": ";
  message += sqlite3_errstr(sqlite_code);
  return {code_for(sqlite_code), std::move(message)};
}

}  // namespace

// Idle prepared statements by SQL text. An entry's value is nullptr while its statement is in use
// (or before the first one ends); entries are never erased before close, so a Statement may keep a
// pointer to its value.
struct Database::Cache {
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };
  std::unordered_map<std::string, sqlite3_stmt*, Hash, std::equal_to<>> idle;

  void clear() noexcept {
    for (auto& entry : idle) {
      if (entry.second != nullptr) sqlite3_finalize(entry.second);
    }
    idle.clear();
  }
};

Database::Database(sqlite3* db) : db_(db), cache_(std::make_shared<Cache>()) {}

Result<Database> Database::open(const std::filesystem::path& path, OpenMode mode, const char* vfs,
                                const char* uri_params) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  if (mode == OpenMode::CreateIfMissing) flags |= SQLITE_OPEN_CREATE;
  if (mode == OpenMode::OpenExisting && !std::filesystem::exists(path)) {
    return fail(ErrorCode::NotFound, "database file does not exist");
  }
  // Percent-encode what a URI path cannot hold literally ('?' starts the query, '#' a fragment,
  // '%' an escape), so any file name works.
  std::string uri = "file:";
  for (const char c : path.string()) {
    if (c == '?' || c == '#' || c == '%') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(c);
      uri += '%';
      uri += kHex[byte >> 4];
      uri += kHex[byte & 0x0f];
    } else {
      uri += c;
    }
  }
  if (uri_params != nullptr && *uri_params != '\0') {
    uri += '?';
    uri += uri_params;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(uri.c_str(), &raw, flags, vfs);
  Database db(raw);  // closes raw on every path below
  if (rc != SQLITE_OK) return fail(make_error(rc, "open"));
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      error_filter_(other.error_filter_),
      cache_(std::move(other.cache_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    error_filter_ = other.error_filter_;
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Database::~Database() { close(); }

void Database::close() noexcept {
  if (cache_) {
    cache_->clear();
    cache_.reset();  // Statements still out finalize themselves when they end
  }
  if (db_ != nullptr) sqlite3_close_v2(std::exchange(db_, nullptr));
}

Result<void> Database::exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return fail(last_error("exec"));
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  decltype(Cache::idle)::iterator entry;
  bool cached = false;
  if (cache_) {
    entry = cache_->idle.find(sql);
    cached = entry != cache_->idle.end();
  }
  if (cached && entry->second != nullptr) {
    return Statement(this, std::exchange(entry->second, nullptr), cache_, &entry->second);
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return fail(last_error("prepare"));
  if (cached) return Statement(this, stmt, cache_, &entry->second);
  if (cache_ && cache_->idle.size() < kCachedStatements) {
    return Statement(this, stmt, cache_,
                     &cache_->idle.emplace(std::string(sql), nullptr).first->second);
  }
  return Statement(this, stmt, {}, nullptr);
}

Result<Transaction> Database::begin() {
  EXILE_TRY(exec("BEGIN IMMEDIATE"));
  return Transaction(this);
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Database::changes() const { return sqlite3_changes(db_); }

Error Database::last_error(std::string_view what) const {
  Error error = make_error(db_ != nullptr ? sqlite3_extended_errcode(db_) : SQLITE_ERROR, what);
  return error_filter_ != nullptr ? error_filter_(std::move(error)) : error;
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      cache_(std::move(other.cache_)),
      slot_(std::exchange(other.slot_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    release();
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    cache_ = std::move(other.cache_);
    slot_ = std::exchange(other.slot_, nullptr);
  }
  return *this;
}

Statement::~Statement() { release(); }

void Statement::release() noexcept {
  if (stmt_ == nullptr) return;
  const auto cache = cache_.lock();  // gone once its connection closed
  if (cache && slot_ != nullptr && *slot_ == nullptr) {
    // Reset and unbound, it holds no read lock and no bound value while it waits.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *slot_ = std::exchange(stmt_, nullptr);
  } else {
    sqlite3_finalize(std::exchange(stmt_, nullptr));
  }
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind(int index, ByteView blob) {
  // A zero-length blob is a blob, not NULL.
  static constexpr std::uint8_t kEmpty = 0;
  sqlite3_bind_blob64(stmt_, index, blob.empty() ? &kEmpty : blob.data(), blob.size(),
                      SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(db_->last_error("step"));
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int64(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);
  const int n = sqlite3_column_bytes(stmt_, index);
  return text == nullptr
             ? std::string()
             : std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n));
}

Bytes Statement::column_blob(int index) const {
  const auto* blob = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, index));
  const int n = sqlite3_column_bytes(stmt_, index);
  return blob == nullptr ? Bytes() : Bytes(blob, blob + n);
}

SecureBytes Statement::column_secret(int index) const {
  const auto* blob = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, index));
  const int n = sqlite3_column_bytes(stmt_, index);
  return blob == nullptr ? SecureBytes() : SecureBytes(blob, blob + n);
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() { rollback(); }

Result<void> Transaction::commit() {
  if (db_ == nullptr) return fail(ErrorCode::Internal, "transaction already finished");
  auto result = db_->exec("COMMIT");
  if (!result) {
    rollback();
    return result;
  }
  db_ = nullptr;
  return {};
}

void Transaction::rollback() {
  if (db_ == nullptr) return;
  (void)db_->exec("ROLLBACK");
  db_ = nullptr;
}

}  // namespace exile::sqlite
