// Prepared statements kept by their user (a store repository, the relay's queue store):
// prepared on first use, kept for the user's lifetime, and reset (bindings cleared) when a use
// ends, so that no statement holds a read lock or a bound secret between calls.
#pragma once

#include <optional>
#include <string_view>
#include <utility>

#include "common/clock.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace exile::sqlite {

// One use of a cached statement; resets it on destruction.
class StatementUse {
 public:
  explicit StatementUse(Statement& statement) : statement_(&statement) {}
  StatementUse(StatementUse&& other) noexcept
      : statement_(std::exchange(other.statement_, nullptr)) {}
  StatementUse& operator=(StatementUse&&) = delete;
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  ~StatementUse() {
    if (statement_ != nullptr) statement_->reset();
  }
  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  Statement* statement_;
};

class CachedStatement {
 public:
  explicit CachedStatement(std::string_view sql) : sql_(sql) {}

  [[nodiscard]] Result<StatementUse> use(Database& db) {
    if (!statement_) {
      auto prepared = db.prepare(sql_);
      if (!prepared) return fail(std::move(prepared).error());
      statement_.emplace(std::move(*prepared));
    }
    return StatementUse(*statement_);
  }

 private:
  std::string_view sql_;  // a string literal: lives as long as the program
  std::optional<Statement> statement_;
};

// Prepares, binds (parameters 1, 2, ... in order) and runs a statement that returns no rows.
// For calls off the hot path; hot statements are CachedStatement members.
[[nodiscard]] inline Result<void> execute(Database& db, std::string_view sql, auto&&... binds) {
  auto statement = db.prepare(sql);
  if (!statement) return fail(std::move(statement).error());
  int index = 0;
  (statement->bind(++index, binds), ...);
  return statement->run();
}

// SQLite integers are signed 64-bit; Exile's times are UnixMillis.
inline std::optional<UnixMillis> optional_time(const Statement& row, int column) {
  if (row.column_is_null(column)) return std::nullopt;
  return from_millis(row.column_int64(column));
}

}  // namespace exile::sqlite
