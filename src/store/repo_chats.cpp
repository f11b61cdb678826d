#include "store/repo_chats.h"

#include <string>

#include "sqlite/cached_statement.h"

namespace exile::store {
namespace {

constexpr std::string_view kSelect =
    "SELECT id, contact_id, session_id, timer_seconds, created_at FROM chats ";

Chat read_chat(const sqlite::Statement& row) {
  return Chat{.id = row.column_int64(0),
              .contact = row.column_text(1),
              .session = row.column_text(2),
              .timer_seconds = row.column_is_null(3)
                                   ? std::nullopt
                                   : std::optional<std::uint32_t>(
                                         static_cast<std::uint32_t>(row.column_int64(3))),
              .created_at = from_millis(row.column_int64(4))};
}

Result<std::vector<Chat>> read_all(sqlite::Statement& statement) {
  std::vector<Chat> chats;
  for (;;) {
    auto row = statement.step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return chats;
    chats.push_back(read_chat(statement));
  }
}

}  // namespace

Result<ChatId> ChatRepository::create(const crypto::ContactId& contact,
                                      const crypto::SessionId& session, UnixMillis now) {
  EXILE_TRY(sqlite::execute(
      db_, "INSERT INTO chats(contact_id, session_id, created_at) VALUES (?1, ?2, ?3)",
      std::string_view(contact), std::string_view(session), to_millis(now)));
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

}  // namespace exile::store
