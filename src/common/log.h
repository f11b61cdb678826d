// Logging. One category per subsystem; a sink chosen by the program (stderr by default).
// What may be logged: event kinds, counts, sizes, error codes. What may never be logged:
// message text, keys (public or secret), queue ids, addresses of peers, names. Every key
// type's operator<< is redacting, so streaming a key into a log line prints a placeholder.
#pragma once

#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace exile::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

using Sink = std::function<void(Level, std::string_view category, std::string_view line)>;

void set_sink(Sink sink);  // replaces the sink; nullptr restores stderr
void set_level(Level minimum);
[[nodiscard]] bool enabled(Level level);
// Writes one line as it is (the sink, or stderr). Most callers want write() below.
void write_line(Level level, std::string_view category, std::string_view line);

// Streams every argument through operator<<, so a key type prints its redacted form. Not
// called `emit`: Qt defines that as a macro, and Qt files include this header too.
template <class... Args>
void write(Level level, std::string_view category, const Args&... args) {
  if (!enabled(level)) return;
  std::ostringstream out;
  (out << ... << args);
  write_line(level, category, out.str());
}

}  // namespace exile::log
