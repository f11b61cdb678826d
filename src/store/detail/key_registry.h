// Hands database keys to the exile VFS without putting key bytes in a filename or URI.
//
// Database::open and vacuum_into register a copy of the key under a random handle and pass
// only the handle as the URI parameter "exile_key"; the VFS's xOpen copies the key into the
// file object and the registration ends when the RegisteredKey goes out of scope (right after
// sqlite3_open_v2 or the VACUUM INTO returns). The handle is not a secret worth more than the
// time it is registered: it only names a key inside this process.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/database.h"

namespace exile::store::detail {

inline constexpr const char* kKeyUriParameter = "exile_key";

class RegisteredKey {
 public:
  explicit RegisteredKey(const DatabaseKey& key);  // copies the key into guarded memory
  ~RegisteredKey();                                // removes and wipes it
  RegisteredKey(const RegisteredKey&) = delete;
  RegisteredKey& operator=(const RegisteredKey&) = delete;

  [[nodiscard]] const std::string& handle() const { return handle_; }

 private:
  std::string handle_;
};

// A copy of the key registered under `handle`, or nothing.
[[nodiscard]] std::optional<DatabaseKey> find_registered_key(std::string_view handle);

}  // namespace exile::store::detail
