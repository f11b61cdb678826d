// Secret chats: one per session, with its contact and self-destruct timer (table chats,
// docs/storage.md §"Schema"). The timer is off (nullopt) or a number of seconds; it applies
// to messages sent after a change (the engine copies it into each new message).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "crypto/store.h"
#include "store/database.h"

namespace exile::store {

using ChatId = std::int64_t;

// PROTOCOL.md §5: off, or 5 s ... 1 week.
inline constexpr std::uint32_t kMinTimerSeconds = 5;
inline constexpr std::uint32_t kMaxTimerSeconds = 7 * 24 * 3600;

struct Chat {
  ChatId id = 0;
  crypto::ContactId contact;
  crypto::SessionId session;
  std::optional<std::uint32_t> timer_seconds;  // nullopt: off
  UnixMillis created_at;
};

class ChatRepository {
 public:
  explicit ChatRepository(Database& db) : db_(db) {}

  // Constraint when the contact does not exist or the session already has a chat.
  [[nodiscard]] Result<ChatId> create(const crypto::ContactId& contact,
                                      const crypto::SessionId& session, UnixMillis now);
  [[nodiscard]] Result<std::optional<Chat>> find(ChatId id);
  [[nodiscard]] Result<std::optional<Chat>> find_by_session(const crypto::SessionId& session);
  [[nodiscard]] Result<std::vector<Chat>> for_contact(const crypto::ContactId& contact);
  // InvalidArgument outside [kMinTimerSeconds, kMaxTimerSeconds]; NotFound without the chat.
  [[nodiscard]] Result<void> set_timer(ChatId id, std::optional<std::uint32_t> seconds);
  // Deletes the chat with its messages (and their search entries) and queues.
  [[nodiscard]] Result<void> remove(ChatId id);

 private:
  Database& db_;
};

}  // namespace exile::store
