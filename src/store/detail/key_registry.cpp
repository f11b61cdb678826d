#include "store/detail/key_registry.h"

#include <sodium.h>

#include <map>
#include <mutex>

#include "common/sodium.h"

namespace exile::store::detail {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, DatabaseKey, std::less<>> keys;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

std::string random_handle() {
  ensure_sodium();
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  char hex[2 * sizeof raw + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return std::string(hex);
}

}  // namespace

RegisteredKey::RegisteredKey(const DatabaseKey& key) : handle_(random_handle()) {
  auto& r = registry();
  const std::lock_guard lock(r.mutex);
  r.keys.emplace(handle_, key.clone());
}

RegisteredKey::~RegisteredKey() {
  auto& r = registry();
  const std::lock_guard lock(r.mutex);
  r.keys.erase(handle_);  // SecureBuffer wipes on destruction
}

std::optional<DatabaseKey> find_registered_key(std::string_view handle) {
  auto& r = registry();
  const std::lock_guard lock(r.mutex);
  const auto it = r.keys.find(handle);
  if (it == r.keys.end()) return std::nullopt;
  return it->second.clone();
}

}  // namespace exile::store::detail
