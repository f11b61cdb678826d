// Skipped message keys: keys derived ahead of a gap in a receiving chain, kept so that a late
// message can still be read (Double Ratchet spec §3.5/§4; docs/protocol.md §"Limits").
//
// Each entry holds (receiving header key, N, message key, stored_at). Entries are kept in
// insertion order, which is also their age order; eviction drops from the front.
//
// Invariants:
//   - committed size() <= kMaxSkippedKeys and chains() <= kMaxSkippedChains after every
//     commit.
//   - entries of one receiving chain are contiguous (a chain only gains keys while it is the
//     current chain), so the distinct header keys are the starts of runs. Lookups compare the
//     header key of every candidate entry and do not rely on this; it only saves AEAD trials.
//   - memory past size() never holds key bytes (truncate wipes before shrinking; the allocator
//     wipes on reallocation and free).
//
// All-or-nothing: decrypt appends new keys as a tentative tail (mark() / append() /
// rollback(mark)). Lookups only see entries before the mark taken at the start of decrypt.
// commit() makes the tail permanent, removes the used key, drops expired keys, evicts the
// oldest keys beyond kMaxSkippedKeys and then the oldest chains beyond kMaxSkippedChains, in
// one pass.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/secure_buffer.h"

namespace exile::crypto::detail {

struct SkippedKey {
  std::array<std::uint8_t, 32> header_key;
  std::array<std::uint8_t, 32> message_key;
  std::int64_t stored_at_ms;
  std::uint32_t counter;
};

class SkippedKeyStore {
 public:
  using Key = std::span<const std::uint8_t, 32>;

  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] const SkippedKey& operator[](std::size_t i) const { return entries_[i]; }

  // The index of the live (not expired) key for (header_key, counter), or nothing.
  [[nodiscard]] std::optional<std::size_t> find(Key header_key, std::uint32_t counter,
                                                std::int64_t expiry_cutoff_ms) const;

  // True when entry i starts a run of one header key (the first entry of a chain).
  [[nodiscard]] bool starts_run(std::size_t i) const;
  // The number of runs (chains) among the entries.
  [[nodiscard]] std::size_t chains() const { return runs_; }

  [[nodiscard]] std::size_t mark() const { return entries_.size(); }
  // Makes room for `extra` appends at once (a skip of 1000 keys allocates once, not ten times).
  void reserve_more(std::size_t extra);
  void append(Key header_key, std::span<const std::uint8_t, 32> message_key, std::uint32_t counter,
              std::int64_t now_ms);
  void rollback(std::size_t mark) { truncate(mark); }

  // Makes every entry permanent; removes entry `used` (if any), every entry stored before
  // expiry_cutoff_ms, the oldest entries beyond kMaxSkippedKeys, then every entry of the
  // oldest chains beyond kMaxSkippedChains.
  void commit(std::optional<std::size_t> used, std::int64_t expiry_cutoff_ms);

  // For deserialize: appends without checks (the caller validates counts). The keys are
  // copied straight into the store's wiped memory: no copy is left elsewhere.
  void restore(Key header_key, std::span<const std::uint8_t, 32> message_key, std::uint32_t counter,
               std::int64_t stored_at_ms);

 private:
  void truncate(std::size_t new_size);
  void note_appended();  // keeps runs_ and oldest_ms_ up to date after one emplace_back

  std::vector<SkippedKey, SecureAllocator<SkippedKey>> entries_;
  // The smallest stored_at among entries (valid when non-empty): lets commit skip the expiry
  // scan on the common path.
  std::int64_t oldest_ms_ = 0;
  std::size_t runs_ = 0;  // chains(): kept up to date by append, restore and truncate
};

// now - kSkippedKeyLifetime, saturating (now comes from the caller and may be anything).
[[nodiscard]] std::int64_t expiry_cutoff(std::int64_t now_ms);

}  // namespace exile::crypto::detail
