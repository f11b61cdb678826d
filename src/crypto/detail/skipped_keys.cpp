#include "crypto/detail/skipped_keys.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "crypto/limits.h"

namespace exile::crypto::detail {

std::int64_t expiry_cutoff(std::int64_t now_ms) {
  constexpr std::int64_t kLifetime = kSkippedKeyLifetime.count();
  if (now_ms < std::numeric_limits<std::int64_t>::min() + kLifetime) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return now_ms - kLifetime;
}

std::optional<std::size_t> SkippedKeyStore::find(Key header_key, std::uint32_t counter,
                                                 std::int64_t expiry_cutoff_ms) const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const SkippedKey& e = entries_[i];
    // The counter is compared first: it is cheap and rarely matches.
    if (e.counter != counter || e.stored_at_ms < expiry_cutoff_ms) continue;
    if (sodium_memcmp(e.header_key.data(), header_key.data(), header_key.size()) == 0) return i;
  }
  return std::nullopt;
}

bool SkippedKeyStore::starts_run(std::size_t i) const {
  if (i == 0) return true;
  // Our own keys, compared for grouping only: no attacker-controlled value is involved.
  return std::memcmp(entries_[i].header_key.data(), entries_[i - 1].header_key.data(),
                     entries_[i].header_key.size()) != 0;
}

void SkippedKeyStore::reserve_more(std::size_t extra) {
  if (entries_.capacity() - entries_.size() < extra) {
    entries_.reserve(std::max(entries_.size() + extra, 2 * entries_.capacity()));
  }
}

void SkippedKeyStore::append(Key header_key, std::span<const std::uint8_t, 32> message_key,
                             std::uint32_t counter, std::int64_t now_ms) {
  if (entries_.capacity() == 0) entries_.reserve(16);
  SkippedKey& e = entries_.emplace_back();
  std::copy(header_key.begin(), header_key.end(), e.header_key.begin());
  std::copy(message_key.begin(), message_key.end(), e.message_key.begin());
  e.stored_at_ms = now_ms;
  e.counter = counter;
  note_appended();
}

void SkippedKeyStore::restore(Key header_key, std::span<const std::uint8_t, 32> message_key,
                              std::uint32_t counter, std::int64_t stored_at_ms) {
  append(header_key, message_key, counter, stored_at_ms);
}

void SkippedKeyStore::note_appended() {
  const std::size_t last = entries_.size() - 1;
  const std::int64_t at = entries_[last].stored_at_ms;
  oldest_ms_ = last == 0 ? at : std::min(oldest_ms_, at);
  if (starts_run(last)) ++runs_;
}

void SkippedKeyStore::commit(std::optional<std::size_t> used, std::int64_t expiry_cutoff_ms) {
  const std::size_t n = entries_.size();
  const bool expiry_due = n != 0 && oldest_ms_ < expiry_cutoff_ms;
  if (!used && !expiry_due && n <= kMaxSkippedKeys && runs_ <= kMaxSkippedChains) return;

  std::size_t kept = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if ((used && i == *used) || entries_[i].stored_at_ms < expiry_cutoff_ms) continue;
    if (kept != i) entries_[kept] = entries_[i];
    ++kept;
  }
  if (kept > kMaxSkippedKeys) {  // evict the oldest: the front
    const std::size_t drop = kept - kMaxSkippedKeys;
    std::memmove(entries_.data(), entries_.data() + drop, kMaxSkippedKeys * sizeof(SkippedKey));
    kept = kMaxSkippedKeys;
  }
  // Evict the oldest chains beyond kMaxSkippedChains, whole: find where the newest
  // kMaxSkippedChains runs begin, scanning from the back, and drop everything before it.
  std::size_t runs = 0;
  for (std::size_t i = kept; i-- > 0;) {
    if (starts_run(i) && ++runs == kMaxSkippedChains && i > 0) {
      std::memmove(entries_.data(), entries_.data() + i, (kept - i) * sizeof(SkippedKey));
      kept -= i;
      break;
    }
  }
  truncate(kept);
  oldest_ms_ = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    oldest_ms_ = i == 0 ? entries_[i].stored_at_ms : std::min(oldest_ms_, entries_[i].stored_at_ms);
  }
}

void SkippedKeyStore::truncate(std::size_t new_size) {
  if (new_size >= entries_.size()) return;
  sodium_memzero(entries_.data() + new_size, (entries_.size() - new_size) * sizeof(SkippedKey));
  entries_.resize(new_size);
  runs_ = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) runs_ += starts_run(i) ? 1u : 0u;
}

}  // namespace exile::crypto::detail
