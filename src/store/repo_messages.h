// Messages of secret chats, with full-text search (tables messages and messages_fts,
// docs/storage.md §"Schema").
//
// Search uses an FTS5 external-content table over messages.body, kept in sync by triggers:
// inserting, deleting (also by cascade from a chat) or editing a message updates the index in
// the same statement. FTS5 in SQLite 3.40 has no "secure-delete": a deleted message's tokens
// stay in old index segments, unreachable by queries, until segments merge;
// purge_search_index() merges them all (the engine calls it after deletions, off the hot
// path). Everything is inside the encrypted database either way.
//
// Self-destruct: a message carries the chat's timer as it was when the message was sent; the
// countdown starts when the message is read (mark_read, mark_incoming_read_up_to and
// mark_outgoing_read set expires_at), and delete_expired() removes what is due. A
// TimerChanged message's timer_seconds is the chat's new timer, not its own: it never expires.
// Message text is user content: it never appears in an error message or a log line.
//
// Kinds: Text; TimerChanged (body empty; timer_seconds the new timer, nullopt for off);
// Undecryptable (body empty; envelope the ciphertext, kept for a retry after a session reset).
//
// States: outgoing messages are Queued (stored, in the outbox), Sent (the relay took it),
// Delivered, Read or Failed; incoming ones Received (unread) or Read. Outgoing states only move
// forward, Queued < Sent < Delivered < Read; Failed comes only from Queued, and goes back to
// Queued on a retry (advance_state).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "sqlite/cached_statement.h"
#include "store/database.h"
#include "store/repo_chats.h"

namespace exile::store {

using MessageId = std::int64_t;
inline constexpr std::size_t kMessageUidBytes = 16;
using MessageUid = std::array<std::uint8_t, kMessageUidBytes>;  // the content's random id

enum class Direction : std::uint8_t { Incoming = 0, Outgoing = 1 };
enum class MessageKind : std::uint8_t { Text = 1, TimerChanged = 2, Undecryptable = 3 };
enum class MessageState : std::uint8_t {
  Queued = 1,
  Sent = 2,
  Delivered = 3,
  Read = 4,
  Failed = 5,
  Received = 6
};

// body and envelope borrow the caller's bytes for the duration of the call that takes them.
//
// insert() checks the combination (InvalidArgument otherwise): an incoming message is Received
// or Read; an outgoing one Queued ... Failed, except that an outgoing message left at the
// default state (Received) is stored as Sent, what version 4 made of outgoing rows written
// before states existed; a TimerChanged or Undecryptable message has an empty body; only an
// Undecryptable message has an envelope.
struct NewMessage {
  ChatId chat = 0;
  MessageUid uid{};
  Direction direction = Direction::Incoming;
  std::string_view body;
  UnixMillis sent_at;      // the sender's clock
  UnixMillis received_at;  // ours (for outgoing: when written)
  std::optional<std::uint32_t> timer_seconds;
  MessageKind kind = MessageKind::Text;
  MessageState state = MessageState::Received;
  ByteView envelope;  // empty: none (NULL)
};

struct StoredMessage {
  MessageId id = 0;
  ChatId chat = 0;
  MessageUid uid{};
  Direction direction = Direction::Incoming;
  std::string body;
  UnixMillis sent_at;
  UnixMillis received_at;
  std::optional<UnixMillis> delivered_at;
  std::optional<UnixMillis> read_at;
  std::optional<std::uint32_t> timer_seconds;
  std::optional<UnixMillis> expires_at;
  MessageKind kind = MessageKind::Text;
  MessageState state = MessageState::Received;
  Bytes envelope;  // empty unless Undecryptable
};

// One line of the chat list (ChatRepository::summaries, store/repo_chats.h).
struct ChatSummaryRow {
  Chat chat;
  std::string contact_name;
  bool verified = false;
  std::optional<StoredMessage> last_message;  // the chat's highest id; none in an empty chat
  std::size_t unread = 0;                     // incoming messages in state Received
};

// What delete_expired_listed removed.
struct DeletedMessage {
  MessageId id = 0;
  ChatId chat = 0;
};

class MessageRepository {
 public:
  explicit MessageRepository(Database& db) : db_(db) {}

  // Constraint when the chat does not exist or the chat already has this uid (a redelivery).
  [[nodiscard]] Result<MessageId> insert(const NewMessage& message);
  // The newest `limit` messages of a chat, oldest first (display order).
  [[nodiscard]] Result<std::vector<StoredMessage>> latest(ChatId chat, std::size_t limit);
  // The `limit` messages before `before` (paging back), oldest first.
  [[nodiscard]] Result<std::vector<StoredMessage>> before(ChatId chat, MessageId before,
                                                          std::size_t limit);
  [[nodiscard]] Result<std::optional<StoredMessage>> find(MessageId id);
  [[nodiscard]] Result<std::optional<MessageId>> find_by_uid(ChatId chat, const MessageUid& uid);
  // The whole message with this content uid in `chat` (receipts name uids).
  [[nodiscard]] Result<std::optional<StoredMessage>> find_by_uid_full(ChatId chat,
                                                                      const MessageUid& uid);

  // Each returns false when the message does not exist or was already marked; the first
  // mark wins. mark_read starts the self-destruct countdown. mark_delivered moves a Queued or
  // Sent outgoing message to Delivered; mark_read moves any message to Read.
  [[nodiscard]] Result<bool> mark_delivered(MessageId id, UnixMillis now);
  [[nodiscard]] Result<bool> mark_read(MessageId id, UnixMillis now);

  // Moves the state alone (no time is recorded) along an allowed step: outgoing Queued <
  // Sent < Delivered < Read forward only, Queued -> Failed, Failed -> Queued; incoming
  // Received -> Read. False when the step is not allowed or there is no such message.
  [[nodiscard]] Result<bool> advance_state(MessageId id, MessageState state);
  // Incoming messages of `chat` with id <= up_to in state Received become Read (read_at = now;
  // expires_at = now + timer when the message has one). Returns the messages it changed, in id
  // order: their ids (the engine announces each) and uids (it names them in a read receipt).
  struct ReadMessage {
    MessageId id = 0;
    MessageUid uid{};
    bool operator==(const ReadMessage&) const = default;
  };
  [[nodiscard]] Result<std::vector<ReadMessage>> mark_incoming_read_up_to(ChatId chat,
                                                                          MessageId up_to,
                                                                          UnixMillis now);
  // An outgoing message the peer has read: state Read, read_at = now, expires_at = now + timer
  // when it has one (the countdown starts when the recipient displayed it). False if not
  // found, not outgoing or already read.
  [[nodiscard]] Result<bool> mark_outgoing_read(MessageId id, UnixMillis now);
  // Incoming messages of `chat` in state Received.
  [[nodiscard]] Result<std::size_t> unread_count(ChatId chat);

  // Delete (for both sides: the engine calls it on the local request and on the peer's).
  // False when there was nothing to delete.
  [[nodiscard]] Result<bool> remove(MessageId id);
  // Deletes every message with expires_at <= now; returns how many.
  [[nodiscard]] Result<std::size_t> delete_expired(UnixMillis now);
  // Deletes at most `limit` messages with expires_at <= now (earliest deadlines first) and
  // says which, in id order; the engine calls it until it returns fewer than `limit`.
  [[nodiscard]] Result<std::vector<DeletedMessage>> delete_expired_listed(UnixMillis now,
                                                                          std::size_t limit);
  // The earliest pending deadline, for the engine's timer.
  [[nodiscard]] Result<std::optional<UnixMillis>> next_expiry();

  // Messages whose text contains every word of `query` (a word ending in '*' matches as a
  // prefix; FTS5 syntax is not interpreted), best match first; optionally one chat only.
  [[nodiscard]] Result<std::vector<StoredMessage>> search(std::string_view query,
                                                          std::optional<ChatId> chat,
                                                          std::size_t limit);
  // Merges the index so that no segment keeps tokens of deleted messages.
  [[nodiscard]] Result<void> purge_search_index();

 private:
  Database& db_;
  sqlite::CachedStatement insert_{
      "INSERT INTO messages(chat_id, uid, outgoing, body, sent_at, received_at, timer_seconds, "
      "kind, state, envelope) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"};
  sqlite::CachedStatement latest_{
      "SELECT m.id, m.chat_id, m.uid, m.outgoing, m.body, m.sent_at, m.received_at, "
      "m.delivered_at, m.read_at, m.timer_seconds, m.expires_at, m.kind, m.state, m.envelope "
      "FROM messages m WHERE m.chat_id = ?1 ORDER BY m.id DESC LIMIT ?2"};
};

// Turns user input into an FTS5 query that matches all its words (exposed for tests).
[[nodiscard]] std::string fts_query_for(std::string_view user_query);

}  // namespace exile::store
