#include "relay/file_clock.h"

#include <charconv>
#include <fstream>
#include <string>

namespace exile::relay {

UnixMillis FileClock::now() const {
  std::int64_t value = -1;
  if (std::ifstream in(file_); in) {
    std::string text;
    std::getline(in, text);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.pop_back();
    std::int64_t parsed = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, parsed);
    if (!text.empty() && ec == std::errc() && ptr == end && parsed >= 0) value = parsed;
  }
  std::lock_guard lock(mutex_);
  if (value >= 0) last_ms_ = value;
  if (last_ms_ >= 0) return from_millis(last_ms_);
  return SystemClock().now();
}

}  // namespace exile::relay
