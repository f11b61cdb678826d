#include "store/repo_queues.h"

#include "sqlite/cached_statement.h"

namespace exile::store {
namespace {

constexpr std::string_view kSelect =
    "SELECT id, chat_id, role, relay_url, recv_id, send_id, auth_public, auth_secret, "
    "peer_auth_key, secured, created_at FROM relay_queues ";

void bind_optional(sqlite::Statement& statement, int index, ByteView bytes) {
  if (bytes.empty()) {
    statement.bind_null(index);
  } else {
    statement.bind(index, bytes);
  }
}

RelayQueue read_queue(const sqlite::Statement& row) {
  return RelayQueue{
      .id = row.column_int64(0),
      .chat = row.column_is_null(1) ? std::nullopt : std::optional<ChatId>(row.column_int64(1)),
      .role = static_cast<QueueRole>(row.column_int64(2)),
      .relay_url = row.column_text(3),
      .recv_id = row.column_blob(4),
      .send_id = row.column_blob(5),
      .auth_public = row.column_blob(6),
      .auth_secret = row.column_secret(7),
      .peer_auth_key = row.column_blob(8),
      .secured = row.column_int64(9) != 0,
      .created_at = from_millis(row.column_int64(10))};
}

Result<std::vector<RelayQueue>> read_all(sqlite::Statement& statement) {
  std::vector<RelayQueue> queues;
  for (;;) {
    auto row = statement.step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return queues;
    queues.push_back(read_queue(statement));
  }
}

Result<std::optional<RelayQueue>> first_of(Result<std::vector<RelayQueue>> queues) {
  if (!queues) return fail(std::move(queues).error());
  if (queues->empty()) return std::optional<RelayQueue>();
  return std::optional<RelayQueue>(std::move(queues->front()));
}

}  // namespace

Result<QueueRowId> QueueRepository::add(const NewRelayQueue& queue, UnixMillis now) {
  auto statement = db_.prepare(
      "INSERT INTO relay_queues(chat_id, role, relay_url, recv_id, send_id, auth_public, "
      "auth_secret, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!statement) return fail(std::move(statement).error());
  if (queue.chat) {
    statement->bind(1, *queue.chat);
  } else {
    statement->bind_null(1);
  }
  statement->bind(2, static_cast<std::int64_t>(queue.role)).bind(3, queue.relay_url);
  bind_optional(*statement, 4, queue.recv_id);
  bind_optional(*statement, 5, queue.send_id);
  bind_optional(*statement, 6, queue.auth_public);
  bind_optional(*statement, 7, queue.auth_secret);
  statement->bind(8, to_millis(now));
  EXILE_TRY(statement->run());
  return db_.last_insert_rowid();
}

Result<std::optional<RelayQueue>> QueueRepository::find(QueueRowId id) {
  auto statement = db_.prepare(std::string(kSelect) + "WHERE id = ?1");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, id);
  return first_of(read_all(*statement));
}

Result<std::optional<RelayQueue>> QueueRepository::find_by_recv_id(std::string_view relay_url,
                                                                   ByteView recv_id) {
  auto statement = db_.prepare(std::string(kSelect) + "WHERE relay_url = ?1 AND recv_id = ?2");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, relay_url).bind(2, recv_id);
  return first_of(read_all(*statement));
}

Result<std::vector<RelayQueue>> QueueRepository::for_chat(ChatId chat) {
  auto statement = db_.prepare(std::string(kSelect) + "WHERE chat_id = ?1 ORDER BY id");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, chat);
  return read_all(*statement);
}

Result<std::vector<RelayQueue>> QueueRepository::receiving_on(std::string_view relay_url) {
  auto statement = db_.prepare(std::string(kSelect) +
                               "WHERE relay_url = ?1 AND recv_id IS NOT NULL ORDER BY id");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, relay_url);
  return read_all(*statement);
}

Result<std::vector<std::string>> QueueRepository::relays() {
  auto statement = db_.prepare("SELECT DISTINCT relay_url FROM relay_queues ORDER BY relay_url");
  if (!statement) return fail(std::move(statement).error());
  std::vector<std::string> urls;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return urls;
    urls.push_back(statement->column_text(0));
  }
}

Result<void> QueueRepository::mark_secured(QueueRowId id, ByteView peer_auth_key) {
  EXILE_TRY(sqlite::execute(db_,
                            "UPDATE relay_queues SET secured = 1, peer_auth_key = ?2 WHERE id = ?1",
                            id, peer_auth_key));
  if (db_.changes() == 0) return fail(ErrorCode::NotFound, "no such queue");
  return {};
}

Result<void> QueueRepository::remove(QueueRowId id) {
  return sqlite::execute(db_, "DELETE FROM relay_queues WHERE id = ?1", id);
}

Result<void> QueueRepository::set_route(QueueRowId id, std::string_view relay_url,
                                        ByteView send_id) {
  if (relay_url.empty() || send_id.empty()) {
    return fail(ErrorCode::InvalidArgument, "a route needs a relay and a send id");
  }
  EXILE_TRY(sqlite::execute(db_,
                            "UPDATE relay_queues SET relay_url = ?2, send_id = ?3 WHERE id = ?1",
                            id, relay_url, send_id));
  if (db_.changes() == 0) return fail(ErrorCode::NotFound, "no such queue");
  return {};
}

Result<std::optional<RelayQueue>> QueueRepository::find_for_chat(ChatId chat, QueueRole role) {
  auto statement =
      db_.prepare(std::string(kSelect) + "WHERE chat_id = ?1 AND role = ?2 ORDER BY id LIMIT 1");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, chat).bind(2, static_cast<std::int64_t>(role));
  return first_of(read_all(*statement));
}

Result<std::vector<RelayQueue>> QueueRepository::address_queues() {
  auto statement = db_.prepare(std::string(kSelect) + "WHERE role = ?1 ORDER BY id");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, static_cast<std::int64_t>(QueueRole::Address));
  return read_all(*statement);
}

}  // namespace exile::store
