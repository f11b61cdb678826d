// The relay's budget of file descriptors (docs/relay-protocol.md §6, "Descriptors and
// connections"). Each client connection holds one descriptor; the rest of the process (stdio,
// the database and its journal files, the event loop, the listeners, the admin connections)
// holds at most kReservedDescriptors. A relay whose --max-connections does not fit its
// RLIMIT_NOFILE runs out of descriptors in accept() instead of refusing at the cap.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace exile::relay {

// Descriptors kept for everything but client connections.
inline constexpr std::uint64_t kReservedDescriptors = 64;

struct OpenFileLimit {
  std::uint64_t soft = 0;  // after raise_open_file_limit()
  std::uint64_t hard = 0;
  std::uint64_t before = 0;  // the soft limit the process started with
};

// Raises RLIMIT_NOFILE's soft limit to its hard limit (to /proc/sys/fs/nr_open when the hard
// limit is unlimited) and returns the limits. Fails only if the limits cannot be read.
[[nodiscard]] Result<OpenFileLimit> raise_open_file_limit();

// The connections a soft limit of `soft` descriptors allows (0 if it is too small for any).
[[nodiscard]] std::uint64_t connections_allowed(std::uint64_t soft);

// What the relay does when --max-connections does not fit (main.cpp): an explicit flag the
// limit cannot meet is refused; the default is lowered to what fits, with a warning.
struct ConnectionCapDecision {
  std::uint32_t max_connections = 0;  // the cap to use; 0: refuse to start
  std::string message;                // empty if the requested cap fits
};
[[nodiscard]] ConnectionCapDecision decide_connection_cap(std::uint32_t requested,
                                                          bool explicit_flag,
                                                          const OpenFileLimit& limit);

}  // namespace exile::relay
