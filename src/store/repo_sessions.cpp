#include "store/repo_sessions.h"

namespace exile::store {

using crypto::Session;
using crypto::SessionId;

Result<std::optional<Session>> SqliteSessionStore::load_session(const SessionId& id) const {
  auto statement = select_.use(db_);
  if (!statement) return fail(std::move(statement).error());
  (*statement)->bind(1, std::string_view(id));
  auto row = (*statement)->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return std::optional<Session>();
  const SecureBytes state = (*statement)->column_secret(0);
  auto session = Session::deserialize(view(state));
  if (!session) return fail(std::move(session).error());
  return std::optional<Session>(std::move(*session));
}

Result<void> SqliteSessionStore::store_session(const SessionId& id, const Session& session) {
  const SecureBytes state = session.serialize();
  auto statement = upsert_.use(db_);
  if (!statement) return fail(std::move(statement).error());
  (*statement)->bind(1, std::string_view(id)).bind(2, view(state));
  return (*statement)->run();
}

Result<void> SqliteSessionStore::delete_session(const SessionId& id) {
  return sqlite::execute(db_, "DELETE FROM sessions WHERE id = ?1", std::string_view(id));
}

Result<std::vector<SessionId>> SqliteSessionStore::session_ids() const {
  // TEXT compares with memcmp (BINARY collation): byte-wise ascending, like std::map.
  auto statement = db_.prepare("SELECT id FROM sessions ORDER BY id");
  if (!statement) return fail(std::move(statement).error());
  std::vector<SessionId> ids;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return ids;
    ids.push_back(statement->column_text(0));
  }
}

}  // namespace exile::store
