// Token buckets for the relay's rate limits (docs/relay-protocol.md §6). Time is passed in
// (milliseconds on any monotonic scale), so tests drive it; nothing here reads a clock.
//
// TokenBucket: `rate` tokens per `period`, at most `burst` stored; it starts full. take()
// returns 0 when a token was taken, else how many milliseconds until one is available (≥ 1).
// Not thread-safe: one per connection, used on that connection's strand.
//
// KeyedRateLimiter: one bucket per key (a queue id), shared by all connections, behind a
// mutex. Bounded: past `max_keys` buckets, the ones that have refilled completely (and so
// carry no state) are dropped; if none can be dropped the limiter refuses new keys rather than
// grow (fail closed: RATE_LIMITED).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <mutex>
#include <unordered_map>

namespace exile::relay {

class TokenBucket {
 public:
  // `rate` tokens per `period_ms`; `burst` ≥ 1.
  TokenBucket(double rate, std::uint64_t period_ms, double burst, std::int64_t now_ms)
      : per_ms_(rate / static_cast<double>(period_ms)),
        burst_(std::max(burst, 1.0)),
        tokens_(burst_),
        last_ms_(now_ms) {}

  [[nodiscard]] std::uint32_t take(std::int64_t now_ms) {
    refill(now_ms);
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return 0;
    }
    if (per_ms_ <= 0.0) return 60'000;
    const double wait = (1.0 - tokens_) / per_ms_;
    return static_cast<std::uint32_t>(std::clamp(wait + 1.0, 1.0, 3'600'000.0));
  }

  // True if the bucket is full at `now_ms` (it then holds no information worth keeping).
  [[nodiscard]] bool full(std::int64_t now_ms) {
    refill(now_ms);
    return tokens_ >= burst_;
  }

 private:
  void refill(std::int64_t now_ms) {
    if (now_ms > last_ms_) {
      tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) * per_ms_);
      last_ms_ = now_ms;
    }
  }

  double per_ms_;
  double burst_;
  double tokens_;
  std::int64_t last_ms_;
};

template <class Key, class Hash>
class KeyedRateLimiter {
 public:
  KeyedRateLimiter(double rate, std::uint64_t period_ms, double burst, std::size_t max_keys)
      : rate_(rate), period_ms_(period_ms), burst_(burst), max_keys_(max_keys) {}

  // 0 if allowed; otherwise milliseconds to wait.
  [[nodiscard]] std::uint32_t take(const Key& key, std::int64_t now_ms) {
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
      if (buckets_.size() >= max_keys_) {
        for (auto e = buckets_.begin(); e != buckets_.end();) {
          e = e->second.full(now_ms) ? buckets_.erase(e) : std::next(e);
        }
        if (buckets_.size() >= max_keys_) return 1000;
      }
      it = buckets_.emplace(key, TokenBucket(rate_, period_ms_, burst_, now_ms)).first;
    }
    return it->second.take(now_ms);
  }

  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
  }

 private:
  double rate_;
  std::uint64_t period_ms_;
  double burst_;
  std::size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, TokenBucket, Hash> buckets_;
};

}  // namespace exile::relay
