// Time, passed in rather than read: the crypto core never reads a clock, and tests
// drive time with ManualClock.
#pragma once

#include <chrono>
#include <cstdint>

namespace exile {

// Milliseconds since the Unix epoch (UTC), the one time type of Exile's formats.
using UnixMillis = std::chrono::sys_time<std::chrono::milliseconds>;

inline std::int64_t to_millis(UnixMillis t) { return t.time_since_epoch().count(); }
inline UnixMillis from_millis(std::int64_t ms) { return UnixMillis(std::chrono::milliseconds(ms)); }

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual UnixMillis now() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] UnixMillis now() const override;
};

// A clock that moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixMillis start = from_millis(1'700'000'000'000)) : now_(start) {}
  [[nodiscard]] UnixMillis now() const override { return now_; }
  void set(UnixMillis t) { now_ = t; }
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  UnixMillis now_;
};

}  // namespace exile
