#include "store/repo_settings.h"

#include "sqlite/cached_statement.h"

namespace exile::store {

Result<std::optional<SecureBytes>> SettingsRepository::get(std::string_view key) {
  auto statement = db_.prepare("SELECT value FROM settings WHERE key = ?1");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, key);
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return std::optional<SecureBytes>();
  return std::optional<SecureBytes>(statement->column_secret(0));
}

Result<void> SettingsRepository::set(std::string_view key, ByteView value) {
  return sqlite::execute(db_,
                         "INSERT INTO settings(key, value) VALUES (?1, ?2) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                         key, value);
}

Result<void> SettingsRepository::remove(std::string_view key) {
  return sqlite::execute(db_, "DELETE FROM settings WHERE key = ?1", key);
}

}  // namespace exile::store
