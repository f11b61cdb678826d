#include "common/rng.h"

#include <sodium.h>

#include "common/sodium.h"

namespace exile {

std::uint32_t Rng::uniform(std::uint32_t upper_bound) {
  if (upper_bound < 2) return 0;
  // Rejection sampling: discard values in the short last bucket.
  const std::uint32_t min = static_cast<std::uint32_t>(-upper_bound) % upper_bound;
  for (;;) {
    std::uint8_t b[4];
    fill(b);
    const std::uint32_t r = load_u32(b);
    if (r >= min) return r % upper_bound;
  }
}

std::uint64_t Rng::next_u64() {
  std::uint8_t b[8];
  fill(b);
  std::uint64_t v = 0;
  for (auto byte : b) v = (v << 8) | byte;
  return v;
}

void SystemRng::fill(MutableByteView out) {
  ensure_sodium();
  if (out.empty()) return;  // randombytes_buf's buffer is declared nonnull
  randombytes_buf(out.data(), out.size());
}

DeterministicRng::DeterministicRng(std::uint64_t seed) {
  ensure_sodium();
  std::uint8_t s[8];
  for (int i = 0; i < 8; ++i) s[i] = static_cast<std::uint8_t>(seed >> (8 * i));
  static constexpr char kContext[] = "Exile_DeterministicRng_v1";
  crypto_generichash(key_.data(), key_.size(), s, sizeof s,
                     reinterpret_cast<const unsigned char*>(kContext), sizeof kContext - 1);
}

void DeterministicRng::fill(MutableByteView out) {
  // One ChaCha20 block stream per call, nonce = call counter: every call gets fresh bytes.
  std::uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = {};
  for (int i = 0; i < 8; ++i) nonce[i] = static_cast<std::uint8_t>(counter_ >> (8 * i));
  ++counter_;  // an empty fill uses up its nonce too: every call advances the stream alike
  if (out.empty()) return;  // crypto_stream_chacha20's output is declared nonnull
  crypto_stream_chacha20(out.data(), out.size(), nonce, key_.data());
}

}  // namespace exile
