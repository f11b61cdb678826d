#include "crypto/keyed_hash.h"

#include <cstdlib>

#include "common/sodium.h"

namespace exile::crypto {

KeyedBlake2b::KeyedBlake2b(ByteView key) {
  ensure_sodium();
  if (key.size() < crypto_generichash_KEYBYTES_MIN ||
      key.size() > crypto_generichash_KEYBYTES_MAX ||
      crypto_generichash_init(&state_, key.data(), key.size(), kKeyedBlake2bBytes) != 0) {
    std::abort();  // a programming error: every caller passes a fixed-size key
  }
}

KeyedBlake2b::~KeyedBlake2b() { sodium_memzero(&state_, sizeof state_); }

void KeyedBlake2b::mac(std::span<std::uint8_t, kKeyedBlake2bBytes> out, ByteView part1,
                       ByteView part2, ByteView part3) const {
  crypto_generichash_state st = state_;
  crypto_generichash_update(&st, part1.data(), part1.size());
  if (!part2.empty()) crypto_generichash_update(&st, part2.data(), part2.size());
  if (!part3.empty()) crypto_generichash_update(&st, part3.data(), part3.size());
  crypto_generichash_final(&st, out.data(), out.size());
  sodium_memzero(&st, sizeof st);
}

}  // namespace exile::crypto
