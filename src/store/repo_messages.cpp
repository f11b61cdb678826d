#include "store/repo_messages.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <utility>

namespace exile::store {
namespace {

constexpr std::string_view kColumns =
    "m.id, m.chat_id, m.uid, m.outgoing, m.body, m.sent_at, m.received_at, m.delivered_at, "
    "m.read_at, m.timer_seconds, m.expires_at, m.kind, m.state, m.envelope";

// The self-destruct deadline for a message read at ?N: read time + its timer, except for
// TimerChanged messages (their timer_seconds is the chat's new timer, not theirs).
std::string expires_at(std::string_view read_time) {
  return "CASE WHEN kind = 2 THEN NULL ELSE " + std::string(read_time) +
         " + timer_seconds * 1000 END";
}

std::int64_t to_limit(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
}

Result<MessageUid> to_uid(const Bytes& bytes) {
  if (bytes.size() != kMessageUidBytes) return fail(ErrorCode::DatabaseCorrupt, "bad message uid");
  MessageUid uid{};
  std::copy(bytes.begin(), bytes.end(), uid.begin());
  return uid;
}

Result<StoredMessage> read_message(const sqlite::Statement& row) {
  const Bytes uid = row.column_blob(2);
  if (uid.size() != kMessageUidBytes) return fail(ErrorCode::DatabaseCorrupt, "bad message uid");
  const std::int64_t kind = row.column_int64(11);
  const std::int64_t state = row.column_int64(12);
  if (kind < 1 || kind > 3 || state < 1 || state > 6) {
    return fail(ErrorCode::DatabaseCorrupt, "bad message kind or state");
  }
  StoredMessage message{
      .id = row.column_int64(0),
      .chat = row.column_int64(1),
      .uid = {},
      .direction = row.column_int64(3) != 0 ? Direction::Outgoing : Direction::Incoming,
      .body = row.column_text(4),
      .sent_at = from_millis(row.column_int64(5)),
      .received_at = from_millis(row.column_int64(6)),
      .delivered_at = sqlite::optional_time(row, 7),
      .read_at = sqlite::optional_time(row, 8),
      .timer_seconds = std::nullopt,
      .expires_at = sqlite::optional_time(row, 10),
      .kind = static_cast<MessageKind>(kind),
      .state = static_cast<MessageState>(state),
      .envelope = row.column_blob(13)};
  std::copy(uid.begin(), uid.end(), message.uid.begin());
  if (!row.column_is_null(9)) {
    message.timer_seconds = static_cast<std::uint32_t>(row.column_int64(9));
  }
  return message;
}

Result<std::vector<StoredMessage>> read_all(sqlite::Statement& statement) {
  std::vector<StoredMessage> messages;
  for (;;) {
    auto row = statement.step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return messages;
    auto message = read_message(statement);
    if (!message) return fail(std::move(message).error());
    messages.push_back(std::move(*message));
  }
}

// The queries walk messages_by_chat backwards (no sort); display order is the reverse.
Result<std::vector<StoredMessage>> newest_first_to_display_order(
    Result<std::vector<StoredMessage>> messages) {
  if (messages) std::reverse(messages->begin(), messages->end());
  return messages;
}

Result<bool> update_one(Database& db, std::string_view sql, MessageId id, UnixMillis now) {
  EXILE_TRY(sqlite::execute(db, sql, id, to_millis(now)));
  return db.changes() > 0;
}

// The state insert() stores, or InvalidArgument (NewMessage's comment).
Result<MessageState> checked_state(const NewMessage& message) {
  if (message.kind != MessageKind::Text && !message.body.empty()) {
    return fail(ErrorCode::InvalidArgument, "only a text message has a body");
  }
  if (message.kind != MessageKind::Undecryptable && !message.envelope.empty()) {
    return fail(ErrorCode::InvalidArgument, "only an undecryptable message keeps its envelope");
  }
  const MessageState state = message.state;
  if (message.direction == Direction::Incoming) {
    if (state != MessageState::Received && state != MessageState::Read) {
      return fail(ErrorCode::InvalidArgument, "an incoming message is Received or Read");
    }
    return state;
  }
  if (state == MessageState::Received) return MessageState::Sent;
  if (state < MessageState::Queued || state > MessageState::Failed) {
    return fail(ErrorCode::InvalidArgument, "bad outgoing message state");
  }
  return state;
}

}  // namespace

std::string fts_query_for(std::string_view user_query) {
  // Each whitespace-separated word becomes a quoted FTS5 string ("" escapes a quote), so
  // operators and column filters typed by the user are searched for, not executed.
  std::string query;
  std::size_t pos = 0;
  while (pos < user_query.size()) {
    while (pos < user_query.size() && std::isspace(static_cast<unsigned char>(user_query[pos]))) {
      ++pos;
    }
    std::size_t end = pos;
    while (end < user_query.size() && !std::isspace(static_cast<unsigned char>(user_query[end]))) {
      ++end;
    }
    std::string_view word = user_query.substr(pos, end - pos);
    pos = end;
    const bool prefix = word.size() > 1 && word.back() == '*';
    if (prefix) word.remove_suffix(1);
    if (word.empty() || word == "*") continue;
    if (!query.empty()) query += ' ';
    query += '"';
    for (const char c : word) {
      if (c == '"') query += '"';
      query += c;
    }
    query += '"';
    if (prefix) query += '*';
  }
  return query;
}

Result<MessageId> MessageRepository::insert(const NewMessage& message) {
  auto state = checked_state(message);
  if (!state) return fail(std::move(state).error());
  auto statement = insert_.use(db_);
  if (!statement) return fail(std::move(statement).error());
  sqlite::Statement& s = **statement;
  s.bind(1, message.chat)
      .bind(2, ByteView(message.uid))
      .bind(3, std::int64_t{message.direction == Direction::Outgoing ? 1 : 0})
      .bind(4, message.body)
      .bind(5, to_millis(message.sent_at))
      .bind(6, to_millis(message.received_at));
  if (message.timer_seconds) {
    s.bind(7, static_cast<std::int64_t>(*message.timer_seconds));
  } else {
    s.bind_null(7);
  }
  s.bind(8, static_cast<std::int64_t>(message.kind)).bind(9, static_cast<std::int64_t>(*state));
  if (message.envelope.empty()) {
    s.bind_null(10);
  } else {
    s.bind(10, message.envelope);
  }
  EXILE_TRY(s.run());
  return db_.last_insert_rowid();
}

Result<std::vector<StoredMessage>> MessageRepository::latest(ChatId chat, std::size_t limit) {
  auto statement = latest_.use(db_);
  if (!statement) return fail(std::move(statement).error());
  (*statement)->bind(1, chat).bind(2, to_limit(limit));
  return newest_first_to_display_order(read_all(**statement));
}

Result<std::vector<StoredMessage>> MessageRepository::before(ChatId chat, MessageId before,
                                                             std::size_t limit) {
  auto statement = db_.prepare("SELECT " + std::string(kColumns) +
                               " FROM messages m WHERE m.chat_id = ?1 AND m.id < ?2 "
                               "ORDER BY m.id DESC LIMIT ?3");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, chat).bind(2, before).bind(3, to_limit(limit));
  return newest_first_to_display_order(read_all(*statement));
}

Result<std::optional<StoredMessage>> MessageRepository::find(MessageId id) {
  auto statement =
      db_.prepare("SELECT " + std::string(kColumns) + " FROM messages m WHERE m.id = ?1");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, id);
  auto messages = read_all(*statement);
  if (!messages) return fail(std::move(messages).error());
  if (messages->empty()) return std::optional<StoredMessage>();
  return std::optional<StoredMessage>(std::move(messages->front()));
}

Result<std::optional<MessageId>> MessageRepository::find_by_uid(ChatId chat,
                                                                const MessageUid& uid) {
  auto statement = db_.prepare("SELECT id FROM messages WHERE chat_id = ?1 AND uid = ?2");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, chat).bind(2, ByteView(uid));
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return std::optional<MessageId>();
  return std::optional<MessageId>(statement->column_int64(0));
}

Result<std::optional<StoredMessage>> MessageRepository::find_by_uid_full(ChatId chat,
                                                                         const MessageUid& uid) {
  auto statement = db_.prepare("SELECT " + std::string(kColumns) +
                               " FROM messages m WHERE m.chat_id = ?1 AND m.uid = ?2");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, chat).bind(2, ByteView(uid));
  auto messages = read_all(*statement);
  if (!messages) return fail(std::move(messages).error());
  if (messages->empty()) return std::optional<StoredMessage>();
  return std::optional<StoredMessage>(std::move(messages->front()));
}

Result<bool> MessageRepository::mark_delivered(MessageId id, UnixMillis now) {
  return update_one(db_,
                    "UPDATE messages SET delivered_at = ?2, "
                    "state = CASE WHEN outgoing = 1 AND state IN (1, 2) THEN 3 ELSE state END "
                    "WHERE id = ?1 AND delivered_at IS NULL",
                    id, now);
}

Result<bool> MessageRepository::mark_read(MessageId id, UnixMillis now) {
  return update_one(db_,
                    "UPDATE messages SET read_at = ?2, state = 4, expires_at = " +
                        expires_at("?2") + " WHERE id = ?1 AND read_at IS NULL",
                    id, now);
}

Result<bool> MessageRepository::advance_state(MessageId id, MessageState state) {
  // The allowed steps (the header's list), as one condition on the row's (outgoing, state)
  // and the new state ?2.
  EXILE_TRY(
      sqlite::execute(db_,
                      "UPDATE messages SET state = ?2 WHERE id = ?1 AND ("
                      "(outgoing = 1 AND ((state IN (1, 2, 3) AND ?2 IN (2, 3, 4) AND ?2 > state) "
                      "OR (state = 1 AND ?2 = 5) OR (state = 5 AND ?2 = 1))) "
                      "OR (outgoing = 0 AND state = 6 AND ?2 = 4))",
                      id, static_cast<std::int64_t>(state)));
  return db_.changes() > 0;
}

Result<std::vector<MessageRepository::ReadMessage>> MessageRepository::mark_incoming_read_up_to(
    ChatId chat, MessageId up_to, UnixMillis now) {
  // One statement (atomic by itself; no transaction, so it may run inside the caller's).
  // RETURNING gives rows in no promised order: they are sorted by id here.
  auto statement = db_.prepare(
      "UPDATE messages SET state = 4, read_at = ?3, expires_at = " + expires_at("?3") +
      " WHERE chat_id = ?1 AND id <= ?2 AND outgoing = 0 AND state = 6 RETURNING id, uid");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, chat).bind(2, up_to).bind(3, to_millis(now));
  std::vector<ReadMessage> changed;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) break;
    auto uid = to_uid(statement->column_blob(1));
    if (!uid) return fail(std::move(uid).error());
    changed.push_back({statement->column_int64(0), *uid});
  }
  std::ranges::sort(changed, {}, &ReadMessage::id);
  return changed;
}

Result<bool> MessageRepository::mark_outgoing_read(MessageId id, UnixMillis now) {
  return update_one(
      db_,
      "UPDATE messages SET state = 4, read_at = ?2, expires_at = " + expires_at("?2") +
          " WHERE id = ?1 AND outgoing = 1 AND state != 4 AND read_at IS NULL",
      id, now);
}

Result<std::size_t> MessageRepository::unread_count(ChatId chat) {
  auto statement = db_.prepare(
      "SELECT count(*) FROM messages WHERE chat_id = ?1 AND outgoing = 0 AND state = 6");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, chat);
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  return static_cast<std::size_t>(statement->column_int64(0));
}

Result<bool> MessageRepository::remove(MessageId id) {
  EXILE_TRY(sqlite::execute(db_, "DELETE FROM messages WHERE id = ?1", id));
  return db_.changes() > 0;
}

Result<std::size_t> MessageRepository::delete_expired(UnixMillis now) {
  EXILE_TRY(
      sqlite::execute(db_, "DELETE FROM messages WHERE expires_at IS NOT NULL AND expires_at <= ?1",
                      to_millis(now)));
  return static_cast<std::size_t>(db_.changes());
}

Result<std::vector<DeletedMessage>> MessageRepository::delete_expired_listed(UnixMillis now,
                                                                             std::size_t limit) {
  auto statement = db_.prepare(
      "DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE expires_at IS NOT NULL "
      "AND expires_at <= ?1 ORDER BY expires_at, id LIMIT ?2) RETURNING id, chat_id");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, to_millis(now)).bind(2, to_limit(limit));
  std::vector<DeletedMessage> deleted;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) break;
    deleted.push_back({.id = statement->column_int64(0), .chat = statement->column_int64(1)});
  }
  std::ranges::sort(deleted, {}, &DeletedMessage::id);
  return deleted;
}

Result<std::optional<UnixMillis>> MessageRepository::next_expiry() {
  auto statement = db_.prepare("SELECT min(expires_at) FROM messages WHERE expires_at IS NOT NULL");
  if (!statement) return fail(std::move(statement).error());
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  return sqlite::optional_time(*statement, 0);
}

Result<std::vector<StoredMessage>> MessageRepository::search(std::string_view query,
                                                             std::optional<ChatId> chat,
                                                             std::size_t limit) {
  const std::string match = fts_query_for(query);
  if (match.empty()) return std::vector<StoredMessage>();
  auto statement = db_.prepare("SELECT " + std::string(kColumns) +
                               " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
                               "WHERE messages_fts MATCH ?1 AND (?2 IS NULL OR m.chat_id = ?2) "
                               "ORDER BY messages_fts.rank, m.id DESC LIMIT ?3");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, std::string_view(match)).bind(3, to_limit(limit));
  if (chat) {
    statement->bind(2, *chat);
  } else {
    statement->bind_null(2);
  }
  return read_all(*statement);
}

Result<void> MessageRepository::purge_search_index() {
  return db_.exec("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')");
}

}  // namespace exile::store
