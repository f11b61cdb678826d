// The daemon's requests: one JSON object per line on stdin (docs/cli.md, "Daemon"), parsed into
// the same Command values as the command line. Untrusted input in the sense that it may be
// anything: every field is checked, unknown fields are refused.
#pragma once

#include <QByteArrayView>
#include <QJsonValue>

#include "cli/command.h"
#include "common/result.h"

namespace exile::cli {

// The longest request line the daemon reads; a longer one is refused whole.
inline constexpr std::size_t kMaxRequestBytes = 1 << 20;

struct DaemonRequest {
  QJsonValue id;            // as the request gave it (any JSON value); null if it has none
  Result<Command> command;  // InvalidEncoding (not a JSON object), InvalidArgument
};

[[nodiscard]] DaemonRequest parse_daemon_request(QByteArrayView line);

}  // namespace exile::cli
