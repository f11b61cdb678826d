#include "relay/array_hash.h"

#include <sodium.h>

#include "common/sodium.h"

namespace exile::relay {

std::uint64_t process_hash_key() {
  static const std::uint64_t key = [] {
    ensure_sodium();
    std::uint64_t k = 0;
    randombytes_buf(&k, sizeof k);
    return k;
  }();
  return key;
}

}  // namespace exile::relay
