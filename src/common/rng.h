// Randomness, passed in rather than global: the crypto core takes an Rng& for every key and
// nonce it makes, so tests can replay a run exactly (DeterministicRng) and production uses
// the operating system's generator (SystemRng, libsodium's randombytes_buf).
#pragma once

#include <array>
#include <cstdint>

#include "common/bytes.h"

namespace exile {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void fill(MutableByteView out) = 0;

  std::uint32_t uniform(std::uint32_t upper_bound);  // in [0, upper_bound), unbiased
  std::uint64_t next_u64();
};

class SystemRng final : public Rng {
 public:
  void fill(MutableByteView out) override;
};

// ChaCha20 keystream under a key derived from the seed. Same seed, same bytes, on every
// machine. For tests, fuzzing and benchmarks only: never for real keys.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(std::uint64_t seed);
  void fill(MutableByteView out) override;

 private:
  std::array<std::uint8_t, 32> key_{};
  std::uint64_t counter_ = 0;
};

}  // namespace exile
