// The replay cache of first messages (table first_message_replays, docs/storage.md
// §"Schema"; docs/protocol.md §4.7). A first message's replay id is remembered when the
// request it carries is stored, and a first message whose replay id is already here is
// dropped. The engine forgets ids older than its signed prekey's lifetime plus grace period:
// by then the prekey is gone and a replay cannot be accepted anyway.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/clock.h"
#include "store/database.h"

namespace exile::store {

inline constexpr std::size_t kReplayIdBytes = 32;
using ReplayId = std::array<std::uint8_t, kReplayIdBytes>;

class ReplayRepository {
 public:
  explicit ReplayRepository(Database& db) : db_(db) {}

  [[nodiscard]] Result<bool> seen(const ReplayId& id);
  // Constraint when the id is already present.
  [[nodiscard]] Result<void> add(const ReplayId& id, UnixMillis now);
  // Forgets every id added before `cutoff` (seen_at < cutoff); returns how many.
  [[nodiscard]] Result<std::size_t> forget_before(UnixMillis cutoff);

 private:
  Database& db_;
};

}  // namespace exile::store
