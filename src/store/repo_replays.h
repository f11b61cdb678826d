// The replay cache of first messages (table first_message_replays, docs/storage.md
// §"Schema"; docs/protocol.md §4.7). A first message's replay id is stored in the transaction
// that stores the session it started; a first message whose replay id is already here is
// never accepted anew (the engine hands it to that session, or drops it). The engine forgets
// ids older than the signed prekey lifetime plus grace period: by then their headers fail
// with UnknownPreKey anyway.
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
