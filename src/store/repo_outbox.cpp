#include "store/repo_outbox.h"

#include <algorithm>
#include <string>

#include "sqlite/cached_statement.h"

namespace exile::store {
namespace {

constexpr std::string_view kSelect =
    "SELECT o.id, o.queue_id, o.message_id, o.client_msg_id, o.envelope, o.attempts, "
    "o.next_attempt_at, o.created_at FROM outbox o ";

Result<std::vector<OutboxItem>> read_all(sqlite::Statement& statement) {
  std::vector<OutboxItem> items;
  for (;;) {
    auto row = statement.step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return items;
    const Bytes client_msg_id = statement.column_blob(3);
    if (client_msg_id.size() != kClientMessageIdBytes) {
      return fail(ErrorCode::DatabaseCorrupt, "bad outbox client message id");
    }
    OutboxItem item{.id = statement.column_int64(0),
                    .queue = statement.column_int64(1),
                    .message = statement.column_is_null(2)
                                   ? std::nullopt
                                   : std::optional<MessageId>(statement.column_int64(2)),
                    .client_msg_id = {},
                    .envelope = statement.column_blob(4),
                    .attempts = static_cast<std::uint32_t>(statement.column_int64(5)),
                    .next_attempt_at = from_millis(statement.column_int64(6)),
                    .created_at = from_millis(statement.column_int64(7))};
    std::copy(client_msg_id.begin(), client_msg_id.end(), item.client_msg_id.begin());
    items.push_back(std::move(item));
  }
}

}  // namespace

Result<OutboxId> OutboxRepository::enqueue(QueueRowId queue, std::optional<MessageId> message,
                                           const ClientMessageId& client_msg_id, ByteView envelope,
                                           UnixMillis now) {
  // Never due before the item ahead of it in its queue (the newest one holds the queue's latest
  // next_attempt_at: record_failure keeps that so), so that due() keeps each queue's order.
  auto statement = db_.prepare(
      "INSERT INTO outbox(queue_id, message_id, client_msg_id, envelope, next_attempt_at, "
      "created_at) VALUES (?1, ?2, ?3, ?4, max(?5, coalesce((SELECT next_attempt_at FROM outbox "
      "WHERE queue_id = ?1 ORDER BY id DESC LIMIT 1), ?5)), ?5)");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, queue);
  if (message) {
    statement->bind(2, *message);
  } else {
    statement->bind_null(2);
  }
  statement->bind(3, ByteView(client_msg_id)).bind(4, envelope).bind(5, to_millis(now));
  EXILE_TRY(statement->run());
  return db_.last_insert_rowid();
}

Result<std::vector<OutboxItem>> OutboxRepository::due(UnixMillis now, std::size_t limit) {
  // Walks outbox_due; the join drops items of route-pending queues.
  auto statement = db_.prepare(std::string(kSelect) +
                               "JOIN relay_queues q ON q.id = o.queue_id "
                               "WHERE o.next_attempt_at <= ?1 AND q.send_id IS NOT NULL "
                               "ORDER BY o.next_attempt_at, o.id LIMIT ?2");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, to_millis(now))
      .bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  return read_all(*statement);
}

Result<std::optional<OutboxItem>> OutboxRepository::find(OutboxId id) {
  auto statement = db_.prepare(std::string(kSelect) + "WHERE o.id = ?1");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, id);
  auto items = read_all(*statement);
  if (!items) return fail(std::move(items).error());
  if (items->empty()) return std::optional<OutboxItem>();
  return std::optional<OutboxItem>(std::move(items->front()));
}

Result<std::vector<OutboxItem>> OutboxRepository::for_message(MessageId id) {
  auto statement = db_.prepare(std::string(kSelect) + "WHERE o.message_id = ?1 ORDER BY o.id");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, id);
  return read_all(*statement);
}

Result<void> OutboxRepository::record_failure(OutboxId id, UnixMillis next_attempt) {
  EXILE_TRY(sqlite::execute(
      db_,
      "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = max(next_attempt_at, ?2) "
      "WHERE id = ?1",
      id, to_millis(next_attempt)));
  if (db_.changes() == 0) return fail(ErrorCode::NotFound, "no such outbox item");
  // The items behind it in its queue wait at least as long: a queue goes out in order.
  return sqlite::execute(db_,
                         "UPDATE outbox SET next_attempt_at = max(next_attempt_at, ?2) "
                         "WHERE queue_id = (SELECT queue_id FROM outbox WHERE id = ?1) AND id > ?1",
                         id, to_millis(next_attempt));
}

Result<void> OutboxRepository::remove(OutboxId id) {
  return sqlite::execute(db_, "DELETE FROM outbox WHERE id = ?1", id);
}

Result<std::optional<UnixMillis>> OutboxRepository::next_attempt_time() {
  auto statement = db_.prepare(
      "SELECT min(o.next_attempt_at) FROM outbox o JOIN relay_queues q ON q.id = o.queue_id "
      "WHERE q.send_id IS NOT NULL");
  if (!statement) return fail(std::move(statement).error());
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  return sqlite::optional_time(*statement, 0);
}

Result<std::size_t> OutboxRepository::size() {
  auto statement = db_.prepare("SELECT count(*) FROM outbox");
  if (!statement) return fail(std::move(statement).error());
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  return static_cast<std::size_t>(statement->column_int64(0));
}

}  // namespace exile::store
