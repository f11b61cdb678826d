// Hashing of the relay's fixed-size ids and keys for unordered containers. Queue ids are random
// (relay-drawn), but keys are client-chosen: the hash is keyed per process so that a client
// cannot aim for collisions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace exile::relay {

std::uint64_t process_hash_key();

struct ArrayHash {
  template <std::size_t N>
  std::size_t operator()(const std::array<std::uint8_t, N>& a) const noexcept {
    // FNV-1a over the bytes, started from a per-process random key.
    std::uint64_t h = process_hash_key() ^ 0xcbf29ce484222325ull;
    for (std::uint8_t b : a) {
      h ^= b;
      h *= 0x100000001b3ull;
    }
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

}  // namespace exile::relay
