// Secret chats: one per session, with its contact and self-destruct timer (table chats,
// docs/storage.md §"Schema"). The timer is off (nullopt) or a number of seconds; it applies
// to messages sent after a change (the engine copies it into each new message).
//
// A chat's state says how far first contact got: Requested (we sent the first message and
// wait for the reply), Pending (the peer's first message arrived; the user has not answered)
// or Active. A Pending chat keeps the key the peer will sign SENDs with (peer_sender_key):
// accepting secures our reply queue with it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "crypto/store.h"
#include "store/database.h"

namespace exile::store {

using ChatId = std::int64_t;

// PROTOCOL.md §5: off, or 5 s ... 1 week.
inline constexpr std::uint32_t kMinTimerSeconds = 5;
inline constexpr std::uint32_t kMaxTimerSeconds = 7 * 24 * 3600;

enum class ChatState : std::uint8_t { Requested = 1, Pending = 2, Active = 3 };

inline constexpr std::size_t kPeerSenderKeyBytes = 32;

struct Chat {
  ChatId id = 0;
  crypto::ContactId contact;
  crypto::SessionId session;
  std::optional<std::uint32_t> timer_seconds;  // nullopt: off
  UnixMillis created_at;
  ChatState state = ChatState::Active;
  std::optional<std::array<std::uint8_t, kPeerSenderKeyBytes>> peer_sender_key;
};

// One line of the chat list (defined in store/repo_messages.h, which has StoredMessage).
struct ChatSummaryRow;

class ChatRepository {
 public:
  explicit ChatRepository(Database& db) : db_(db) {}

  // Constraint when the contact does not exist or the session already has a chat. The first
  // form makes an Active chat.
  [[nodiscard]] Result<ChatId> create(const crypto::ContactId& contact,
                                      const crypto::SessionId& session, UnixMillis now);
  [[nodiscard]] Result<ChatId> create(const crypto::ContactId& contact,
                                      const crypto::SessionId& session, ChatState state,
                                      UnixMillis now);
  [[nodiscard]] Result<std::optional<Chat>> find(ChatId id);
  [[nodiscard]] Result<std::optional<Chat>> find_by_session(const crypto::SessionId& session);
  [[nodiscard]] Result<std::vector<Chat>> for_contact(const crypto::ContactId& contact);
  // InvalidArgument outside [kMinTimerSeconds, kMaxTimerSeconds]; NotFound without the chat.
  [[nodiscard]] Result<void> set_timer(ChatId id, std::optional<std::uint32_t> seconds);
  // Deletes the chat with its messages (and their search entries) and queues.
  [[nodiscard]] Result<void> remove(ChatId id);

  // NotFound without the chat.
  [[nodiscard]] Result<void> set_state(ChatId id, ChatState state);
  // Sets (32 bytes, else InvalidArgument) or clears (nullopt) the peer's sender key. NotFound
  // without the chat.
  [[nodiscard]] Result<void> set_peer_sender_key(ChatId id, std::optional<ByteView> key);
  // Every chat, by id.
  [[nodiscard]] Result<std::vector<Chat>> list();
  // The chats in one state, by id.
  [[nodiscard]] Result<std::vector<Chat>> with_state(ChatState state);
  // Every chat with its contact's name and verification, its last message (the highest id)
  // and its unread count (incoming messages in state Received); newest first: chats with
  // messages by their last message's id, descending; chats without messages by created_at,
  // then id, descending, each placed before the first chat whose last message was received
  // (received_at) earlier than the empty chat was created. ChatSummaryRow is defined in
  // store/repo_messages.h: include it to call this.
  [[nodiscard]] Result<std::vector<ChatSummaryRow>> summaries();

 private:
  Database& db_;
};

}  // namespace exile::store
