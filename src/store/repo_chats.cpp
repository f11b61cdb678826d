#include "store/repo_chats.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <string>

#include "sqlite/cached_statement.h"
#include "store/repo_messages.h"

namespace exile::store {
namespace {

constexpr std::string_view kSelect =
    "SELECT id, contact_id, session_id, timer_seconds, created_at, state, peer_sender_key "
    "FROM chats ";
constexpr int kChatColumns = 7;

Result<Chat> read_chat(const sqlite::Statement& row) {
  const std::int64_t state = row.column_int64(5);
  if (state < 1 || state > 3) return fail(ErrorCode::DatabaseCorrupt, "bad chat state");
  Chat chat{.id = row.column_int64(0),
            .contact = row.column_text(1),
            .session = row.column_text(2),
            .timer_seconds =
                row.column_is_null(3)
                    ? std::nullopt
                    : std::optional<std::uint32_t>(static_cast<std::uint32_t>(row.column_int64(3))),
            .created_at = from_millis(row.column_int64(4)),
            .state = static_cast<ChatState>(state),
            .peer_sender_key = std::nullopt};
  if (!row.column_is_null(6)) {
    const Bytes key = row.column_blob(6);
    if (key.size() != kPeerSenderKeyBytes) {
      return fail(ErrorCode::DatabaseCorrupt, "bad peer sender key");
    }
    chat.peer_sender_key.emplace();
    std::copy(key.begin(), key.end(), chat.peer_sender_key->begin());
  }
  return chat;
}

Result<std::vector<Chat>> read_all(sqlite::Statement& statement) {
  std::vector<Chat> chats;
  for (;;) {
    auto row = statement.step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return chats;
    auto chat = read_chat(statement);
    if (!chat) return fail(std::move(chat).error());
    chats.push_back(std::move(*chat));
  }
}

Result<void> update_one(Database& db, std::string_view sql, ChatId id, auto&& value) {
  EXILE_TRY(sqlite::execute(db, sql, id, value));
  if (db.changes() == 0) return fail(ErrorCode::NotFound, "no such chat");
  return {};
}

}  // namespace

Result<ChatId> ChatRepository::create(const crypto::ContactId& contact,
                                      const crypto::SessionId& session, UnixMillis now) {
  return create(contact, session, ChatState::Active, now);
}

Result<ChatId> ChatRepository::create(const crypto::ContactId& contact,
                                      const crypto::SessionId& session, ChatState state,
                                      UnixMillis now) {
  EXILE_TRY(sqlite::execute(
      db_, "INSERT INTO chats(contact_id, session_id, created_at, state) VALUES (?1, ?2, ?3, ?4)",
      std::string_view(contact), std::string_view(session), to_millis(now),
      static_cast<std::int64_t>(state)));
  return db_.last_insert_rowid();
}

Result<std::optional<Chat>> ChatRepository::find(ChatId id) {
  auto statement = db_.prepare(std::string(kSelect) + "WHERE id = ?1");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, id);
  auto chats = read_all(*statement);
  if (!chats) return fail(std::move(chats).error());
  if (chats->empty()) return std::optional<Chat>();
  return std::optional<Chat>(std::move(chats->front()));
}

Result<std::optional<Chat>> ChatRepository::find_by_session(const crypto::SessionId& session) {
  auto statement = db_.prepare(std::string(kSelect) + "WHERE session_id = ?1");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, std::string_view(session));
  auto chats = read_all(*statement);
  if (!chats) return fail(std::move(chats).error());
  if (chats->empty()) return std::optional<Chat>();
  return std::optional<Chat>(std::move(chats->front()));
}

Result<std::vector<Chat>> ChatRepository::for_contact(const crypto::ContactId& contact) {
  auto statement = db_.prepare(std::string(kSelect) + "WHERE contact_id = ?1 ORDER BY id");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, std::string_view(contact));
  return read_all(*statement);
}

Result<void> ChatRepository::set_timer(ChatId id, std::optional<std::uint32_t> seconds) {
  if (seconds && (*seconds < kMinTimerSeconds || *seconds > kMaxTimerSeconds)) {
    return fail(ErrorCode::InvalidArgument, "self-destruct timer out of range");
  }
  auto statement = db_.prepare("UPDATE chats SET timer_seconds = ?2 WHERE id = ?1");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, id);
  if (seconds) {
    statement->bind(2, static_cast<std::int64_t>(*seconds));
  } else {
    statement->bind_null(2);
  }
  EXILE_TRY(statement->run());
  if (db_.changes() == 0) return fail(ErrorCode::NotFound, "no such chat");
  return {};
}

Result<void> ChatRepository::remove(ChatId id) {
  return sqlite::execute(db_, "DELETE FROM chats WHERE id = ?1", id);
}

Result<void> ChatRepository::set_state(ChatId id, ChatState state) {
  return update_one(db_, "UPDATE chats SET state = ?2 WHERE id = ?1", id,
                    static_cast<std::int64_t>(state));
}

Result<void> ChatRepository::set_peer_sender_key(ChatId id, std::optional<ByteView> key) {
  if (!key) {
    EXILE_TRY(sqlite::execute(db_, "UPDATE chats SET peer_sender_key = NULL WHERE id = ?1", id));
    if (db_.changes() == 0) return fail(ErrorCode::NotFound, "no such chat");
    return {};
  }
  if (key->size() != kPeerSenderKeyBytes) {
    return fail(ErrorCode::InvalidArgument, "peer sender key must be 32 bytes");
  }
  return update_one(db_, "UPDATE chats SET peer_sender_key = ?2 WHERE id = ?1", id, *key);
}

Result<std::vector<Chat>> ChatRepository::list() {
  auto statement = db_.prepare(std::string(kSelect) + "ORDER BY id");
  if (!statement) return fail(std::move(statement).error());
  return read_all(*statement);
}

Result<std::vector<Chat>> ChatRepository::with_state(ChatState state) {
  auto statement = db_.prepare(std::string(kSelect) + "WHERE state = ?1 ORDER BY id");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, static_cast<std::int64_t>(state));
  return read_all(*statement);
}

Result<std::vector<ChatSummaryRow>> ChatRepository::summaries() {
  // One row per chat: the chat's columns, its contact, its last message id and its unread count
  // (kept by triggers, schema version 5); the last messages are then read by id.
  auto statement = db_.prepare(
      "SELECT c.id, c.contact_id, c.session_id, c.timer_seconds, c.created_at, c.state, "
      "c.peer_sender_key, k.display_name, k.verified, "
      "(SELECT max(m.id) FROM messages m WHERE m.chat_id = c.id), "
      "c.unread "
      "FROM chats c JOIN contacts k ON k.id = c.contact_id ORDER BY c.id");
  if (!statement) return fail(std::move(statement).error());
  std::vector<ChatSummaryRow> with_messages;
  std::vector<ChatSummaryRow> empty;
  std::vector<MessageId> last_ids;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) break;
    auto chat = read_chat(*statement);
    if (!chat) return fail(std::move(chat).error());
    ChatSummaryRow summary{
        .chat = std::move(*chat),
        .contact_name = statement->column_text(kChatColumns),
        .verified = statement->column_int64(kChatColumns + 1) != 0,
        .last_message = std::nullopt,
        .unread = static_cast<std::size_t>(statement->column_int64(kChatColumns + 3))};
    if (statement->column_is_null(kChatColumns + 2)) {
      empty.push_back(std::move(summary));
    } else {
      last_ids.push_back(statement->column_int64(kChatColumns + 2));
      with_messages.push_back(std::move(summary));
    }
  }
  // Newest last message first: sorted by the ids read above (GCC 12 in Release warns, wrongly,
  // that an optional's value may be uninitialized when the sort projects through it).
  std::vector<std::size_t> order(with_messages.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::ranges::sort(order, [&](std::size_t a, std::size_t b) { return last_ids[a] > last_ids[b]; });
  MessageRepository messages(db_);
  std::vector<ChatSummaryRow> sorted;
  sorted.reserve(order.size());
  for (const std::size_t i : order) {
    auto last = messages.find(last_ids[i]);
    if (!last) return fail(std::move(last).error());
    if (!*last) return fail(ErrorCode::Internal, "last message vanished while listing chats");
    with_messages[i].last_message = std::move(*last);
    sorted.push_back(std::move(with_messages[i]));
  }
  with_messages = std::move(sorted);
  std::ranges::sort(empty, [](const ChatSummaryRow& a, const ChatSummaryRow& b) {
    if (a.chat.created_at != b.chat.created_at) return a.chat.created_at > b.chat.created_at;
    return a.chat.id > b.chat.id;
  });
  // Merge: an empty chat goes before the first chat whose last message is older than it.
  std::vector<ChatSummaryRow> merged;
  merged.reserve(with_messages.size() + empty.size());
  auto next_empty = empty.begin();
  for (ChatSummaryRow& summary : with_messages) {
    while (next_empty != empty.end() &&
           next_empty->chat.created_at > summary.last_message->received_at) {
      merged.push_back(std::move(*next_empty++));
    }
    merged.push_back(std::move(summary));
  }
  std::move(next_empty, empty.end(), std::back_inserter(merged));
  return merged;
}

}  // namespace exile::store
