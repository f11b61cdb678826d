#include "relay/open_files.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace exile::relay {
namespace {

std::uint64_t nr_open() {
  std::ifstream in("/proc/sys/fs/nr_open");
  std::uint64_t value = 0;
  if (in >> value) return value;
  return 1u << 20;  // the kernel's default
}

}  // namespace

Result<OpenFileLimit> raise_open_file_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    return fail(ErrorCode::Internal,
                std::string("cannot read RLIMIT_NOFILE: ") + std::strerror(errno));
  }
  OpenFileLimit out;
  out.before = rl.rlim_cur;
  const rlim_t target = rl.rlim_max == RLIM_INFINITY ? static_cast<rlim_t>(nr_open()) : rl.rlim_max;
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur < target) {
    rlimit raised = rl;
    raised.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  out.soft = rl.rlim_cur;
  out.hard = rl.rlim_max == RLIM_INFINITY ? out.soft : rl.rlim_max;
  return out;
}

std::uint64_t connections_allowed(std::uint64_t soft) {
  return soft > kReservedDescriptors ? soft - kReservedDescriptors : 0;
}

ConnectionCapDecision decide_connection_cap(std::uint32_t requested, bool explicit_flag,
                                            const OpenFileLimit& limit) {
  const std::uint64_t allowed = connections_allowed(limit.soft);
  ConnectionCapDecision out;
  if (requested <= allowed) {
    out.max_connections = requested;
    return out;
  }
  const std::string needed = std::to_string(std::uint64_t{requested} + kReservedDescriptors);
  const std::string have = "the open-file limit is " + std::to_string(limit.soft) +
                           " (hard limit " + std::to_string(limit.hard) + ")";
  if (explicit_flag || allowed == 0) {
    out.max_connections = 0;
    out.message = "--max-connections " + std::to_string(requested) + " needs " + needed +
                  " open files, and " + have +
                  ": raise the limit (ulimit -n, or LimitNOFILE= in a systemd unit) or lower "
                  "--max-connections to at most " +
                  std::to_string(allowed);
    return out;
  }
  out.max_connections = static_cast<std::uint32_t>(allowed);
  out.message = "the default --max-connections " + std::to_string(requested) + " needs " + needed +
                " open files, and " + have + ": lowered to " + std::to_string(allowed) +
                " connections (raise the limit to serve more)";
  return out;
}

}  // namespace exile::relay
