#include "store/atomic_ops.h"

#include "sqlite/cached_statement.h"
#include "store/repo_identity.h"
#include "store/repo_sessions.h"

namespace exile::store {
namespace {

// Deletes the OPK and records its use; the caller holds the transaction.
Result<std::optional<crypto::OneTimePreKey>> consume_one_time_prekey(
    Database& db, crypto::PreKeyId id, const crypto::SessionId& used_by, UnixMillis now) {
  SqlitePreKeyStore prekeys(db);
  auto key = prekeys.load_one_time_prekey(id);
  if (!key) return fail(std::move(key).error());
  if (!*key) return key;
  EXILE_TRY(prekeys.remove_one_time_prekey(id));
  EXILE_TRY(sqlite::execute(
      db, "INSERT INTO one_time_prekey_uses(prekey_id, session_id, used_at) VALUES (?1, ?2, ?3)",
      static_cast<std::int64_t>(id), std::string_view(used_by), to_millis(now)));
  return key;
}

Result<MessageId> store_session_and_message(Database& db, const crypto::SessionId& session_id,
                                            const crypto::Session& session,
                                            const NewMessage& message) {
  SqliteSessionStore sessions(db);
  EXILE_TRY(sessions.store_session(session_id, session));
  MessageRepository messages(db);
  return messages.insert(message);
}

Result<StoredOutgoing> store_outgoing_parts(Database& db, const crypto::SessionId& session_id,
                                            const crypto::Session& advanced,
                                            const OutgoingContent& content, UnixMillis now) {
  SqliteSessionStore sessions(db);
  EXILE_TRY(sessions.store_session(session_id, advanced));
  StoredOutgoing stored;
  if (content.message) {
    MessageRepository messages(db);
    auto id = messages.insert(*content.message);
    if (!id) return fail(std::move(id).error());
    stored.message = *id;
  }
  OutboxRepository outbox(db);
  auto item =
      outbox.enqueue(content.queue, stored.message, content.client_msg_id, content.envelope, now);
  if (!item) return fail(std::move(item).error());
  stored.outbox = *item;
  return stored;
}

}  // namespace

Result<MessageId> store_decrypted_message(Database& db, const crypto::SessionId& session_id,
                                          const crypto::Session& advanced,
                                          const NewMessage& message) {
  auto transaction = db.begin();
  if (!transaction) return fail(std::move(transaction).error());
  auto id = store_session_and_message(db, session_id, advanced, message);
  if (!id) return id;  // ~Transaction rolls back
  EXILE_TRY(transaction->commit());
  return id;
}

Result<std::optional<crypto::OneTimePreKey>> take_one_time_prekey_in_transaction(
    Database& db, crypto::PreKeyId id, const crypto::SessionId& used_by, UnixMillis now) {
  return consume_one_time_prekey(db, id, used_by, now);
}

Result<std::optional<crypto::OneTimePreKey>> take_one_time_prekey(Database& db, crypto::PreKeyId id,
                                                                  const crypto::SessionId& used_by,
                                                                  UnixMillis now) {
  auto transaction = db.begin();
  if (!transaction) return fail(std::move(transaction).error());
  auto key = consume_one_time_prekey(db, id, used_by, now);
  if (!key) return key;
  EXILE_TRY(transaction->commit());
  return key;
}

Result<MessageId> store_accepted_session(Database& db, const crypto::SessionId& session_id,
                                         const crypto::Session& session,
                                         const NewMessage& first_message,
                                         std::optional<crypto::PreKeyId> one_time_prekey,
                                         UnixMillis now) {
  auto transaction = db.begin();
  if (!transaction) return fail(std::move(transaction).error());
  if (one_time_prekey) {
    auto key = consume_one_time_prekey(db, *one_time_prekey, session_id, now);
    if (!key) return fail(std::move(key).error());
    if (!*key) return fail(ErrorCode::UnknownPreKey, "one-time prekey already used or unknown");
  }
  auto id = store_session_and_message(db, session_id, session, first_message);
  if (!id) return id;
  EXILE_TRY(transaction->commit());
  return id;
}

Result<StoredOutgoing> store_outgoing(Database& db, const crypto::SessionId& session_id,
                                      const crypto::Session& advanced,
                                      const OutgoingContent& content, UnixMillis now) {
  auto transaction = db.begin();
  if (!transaction) return fail(std::move(transaction).error());
  auto stored = store_outgoing_parts(db, session_id, advanced, content, now);
  if (!stored) return stored;  // ~Transaction rolls back
  EXILE_TRY(transaction->commit());
  return stored;
}

}  // namespace exile::store
