#include "store/repo_replays.h"

#include "sqlite/cached_statement.h"

namespace exile::store {

Result<bool> ReplayRepository::seen(const ReplayId& id) {
  auto statement = db_.prepare("SELECT 1 FROM first_message_replays WHERE replay_id = ?1");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, ByteView(id));
  return statement->step();
}

Result<void> ReplayRepository::add(const ReplayId& id, UnixMillis now) {
  return sqlite::execute(db_,
                         "INSERT INTO first_message_replays(replay_id, seen_at) VALUES (?1, ?2)",
                         ByteView(id), to_millis(now));
}

Result<std::size_t> ReplayRepository::forget_before(UnixMillis cutoff) {
  EXILE_TRY(sqlite::execute(db_, "DELETE FROM first_message_replays WHERE seen_at < ?1",
                            to_millis(cutoff)));
  return static_cast<std::size_t>(db_.changes());
}

}  // namespace exile::store
