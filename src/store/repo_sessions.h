// Sessions in the encrypted database: the crypto core's SessionStore (contract:
// docs/protocol.md Appendix A.1, identical to crypto::InMemorySessionStore). Table: sessions,
// one row per session id holding Session::serialize() bytes (docs/storage.md §"Schema").
#pragma once

#include "crypto/session.h"
#include "crypto/store.h"
#include "sqlite/cached_statement.h"
#include "store/database.h"

namespace exile::store {

class SqliteSessionStore final : public crypto::SessionStore {
 public:
  explicit SqliteSessionStore(Database& db) : db_(db) {}

  [[nodiscard]] Result<std::optional<crypto::Session>> load_session(
      const crypto::SessionId& id) const override;
  [[nodiscard]] Result<void> store_session(const crypto::SessionId& id,
                                           const crypto::Session& session) override;
  [[nodiscard]] Result<void> delete_session(const crypto::SessionId& id) override;
  [[nodiscard]] Result<std::vector<crypto::SessionId>> session_ids() const override;

 private:
  Database& db_;
  // Per received or sent message: load, then store.
  mutable sqlite::CachedStatement select_{"SELECT state FROM sessions WHERE id = ?1"};
  sqlite::CachedStatement upsert_{
      "INSERT INTO sessions(id, state) VALUES (?1, ?2) "
      "ON CONFLICT(id) DO UPDATE SET state = excluded.state"};
};

}  // namespace exile::store
