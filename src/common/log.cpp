#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace exile::log {
namespace {

std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}
Sink& current_sink() {
  static Sink s;
  return s;
}
std::atomic<int> g_minimum{static_cast<int>(Level::Info)};

const char* level_name(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "?";
}

}  // namespace

void set_sink(Sink sink) {
  std::lock_guard lock(sink_mutex());
  current_sink() = std::move(sink);
}

void set_level(Level minimum) { g_minimum = static_cast<int>(minimum); }

bool enabled(Level level) { return static_cast<int>(level) >= g_minimum.load(); }

void write_line(Level level, std::string_view category, std::string_view line) {
  if (!enabled(level)) return;
  std::lock_guard lock(sink_mutex());
  if (current_sink()) {
    current_sink()(level, category, line);
    return;
  }
  std::fprintf(stderr, "[%s] %.*s: %.*s\n", level_name(level), static_cast<int>(category.size()),
               category.data(), static_cast<int>(line.size()), line.data());
}

}  // namespace exile::log
