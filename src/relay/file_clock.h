// FileClock: a Clock that reads the time (Unix milliseconds, decimal text) from a file at each
// now(), for process-level tests of expiry (--test-clock FILE). If the file cannot be read or
// parsed, the last good value is kept (the system clock before the first one).
#pragma once

#include <filesystem>
#include <mutex>

#include "common/clock.h"

namespace exile::relay {

class FileClock final : public Clock {
 public:
  explicit FileClock(std::filesystem::path file) : file_(std::move(file)) {}
  [[nodiscard]] UnixMillis now() const override;

 private:
  std::filesystem::path file_;
  mutable std::mutex mutex_;
  mutable std::int64_t last_ms_ = -1;
};

}  // namespace exile::relay
