// The per-source connection cap (--max-connections-per-source, docs/relay-protocol.md §6,
// "Descriptors and connections"). A source is an IPv4 address, or an IPv6 /64: one IPv6
// host usually holds a whole /64, so counting single IPv6 addresses would cap nothing.
// IPv4-mapped IPv6 addresses count as their IPv4 address.
//
// Thread-safe (one mutex); bounded by the connections open, since a source with no
// connection left is forgotten.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace exile::relay {

// 0: IPv4 (4 bytes used), 1: IPv6 /64 (8 bytes used).
struct SourceKey {
  std::array<std::uint8_t, 9> bytes{};
  friend bool operator==(const SourceKey&, const SourceKey&) = default;
};

struct SourceKeyHash {
  std::size_t operator()(const SourceKey& key) const noexcept {
    std::uint64_t a = 0;
    std::memcpy(&a, key.bytes.data() + 1, sizeof a);
    return std::hash<std::uint64_t>{}(a ^ (std::uint64_t{key.bytes[0]} << 63));
  }
};

// `v6` is 16 bytes of an IPv6 address; `v4` 4 bytes of an IPv4 address.
[[nodiscard]] inline SourceKey source_key_v4(const std::array<std::uint8_t, 4>& v4) {
  SourceKey key;
  std::memcpy(key.bytes.data() + 1, v4.data(), 4);
  return key;
}
[[nodiscard]] inline SourceKey source_key_v6(const std::array<std::uint8_t, 16>& v6) {
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(v6.data(), kMapped, sizeof kMapped) == 0) {
    return source_key_v4({v6[12], v6[13], v6[14], v6[15]});
  }
  SourceKey key;
  key.bytes[0] = 1;
  std::memcpy(key.bytes.data() + 1, v6.data(), 8);
  return key;
}

class SourceLimiter {
 public:
  // `cap` connections per source; 0: no cap.
  explicit SourceLimiter(std::uint32_t cap) : cap_(cap) {}

  // Counts a new connection of `key`; false (and nothing counted) if the source is at its cap.
  [[nodiscard]] bool acquire(const SourceKey& key) {
    if (cap_ == 0) return true;
    std::lock_guard lock(mutex_);
    auto& count = counts_[key];
    if (count >= cap_) return false;
    ++count;
    return true;
  }

  // Ends a connection counted by acquire().
  void release(const SourceKey& key) {
    if (cap_ == 0) return;
    std::lock_guard lock(mutex_);
    auto it = counts_.find(key);
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
  }

  [[nodiscard]] std::size_t sources() const {
    std::lock_guard lock(mutex_);
    return counts_.size();
  }

 private:
  std::uint32_t cap_;
  mutable std::mutex mutex_;
  std::unordered_map<SourceKey, std::uint32_t, SourceKeyHash> counts_;
};

}  // namespace exile::relay
