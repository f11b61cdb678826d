// Profile values by name (table settings, docs/storage.md §"Schema"): the display name, the
// home relay, the bundle key, the next prekey id and whatever else the engine keeps per
// profile. Values are bytes; some are keys, so they are read back into wiped memory. Keys
// (the names) are the engine's constants; values never appear in an error or a log line.
#pragma once

#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "common/secure_buffer.h"
#include "store/database.h"

namespace exile::store {

class SettingsRepository {
 public:
  explicit SettingsRepository(Database& db) : db_(db) {}

  // The value, or nothing when the key was never set (or was removed). An empty value is a
  // value.
  [[nodiscard]] Result<std::optional<SecureBytes>> get(std::string_view key);
  // Sets or replaces.
  [[nodiscard]] Result<void> set(std::string_view key, ByteView value);
  // Removing a key that is not there is not an error.
  [[nodiscard]] Result<void> remove(std::string_view key);

 private:
  Database& db_;
};

}  // namespace exile::store
