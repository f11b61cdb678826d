#include "store/repo_identity.h"

namespace exile::store {

using crypto::IdentityCheck;
using crypto::IdentityKeyPair;
using crypto::IdentityPublicKey;
using crypto::OneTimePreKey;
using crypto::PreKeyId;
using crypto::SignedPreKey;

namespace {

std::int64_t to_column(PreKeyId id) { return static_cast<std::int64_t>(id); }

}  // namespace

// --- own identity and pins -------------------------------------------------------------------

Result<void> SqliteIdentityStore::store_local_identity(const IdentityKeyPair& identity,
                                                       UnixMillis now) {
  return sqlite::execute(
      db_,
      "INSERT INTO local_identity(id, seed, created_at) VALUES (1, ?1, ?2) "
      "ON CONFLICT(id) DO UPDATE SET seed = excluded.seed, created_at = excluded.created_at",
      identity.seed().view(), to_millis(now));
}

Result<bool> SqliteIdentityStore::has_local_identity() const {
  auto statement = db_.prepare("SELECT 1 FROM local_identity WHERE id = 1");
  if (!statement) return fail(std::move(statement).error());
  return statement->step();
}

Result<IdentityKeyPair> SqliteIdentityStore::local_identity() const {
  auto statement = db_.prepare("SELECT seed FROM local_identity WHERE id = 1");
  if (!statement) return fail(std::move(statement).error());
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return fail(ErrorCode::NotFound, "no local identity stored");
  const SecureBytes seed = statement->column_secret(0);
  return IdentityKeyPair::from_seed(view(seed));
}

Result<IdentityCheck> SqliteIdentityStore::check_identity(const crypto::ContactId& contact,
                                                          const IdentityPublicKey& key) const {
  auto pinned = pinned_identity(contact);
  if (!pinned) return fail(std::move(pinned).error());
  if (!*pinned) return IdentityCheck::FirstUse;
  return **pinned == key ? IdentityCheck::Matches : IdentityCheck::Changed;
}

Result<void> SqliteIdentityStore::pin_identity(const crypto::ContactId& contact,
                                               const IdentityPublicKey& key) {
  // created_at for a contact first seen here: SQLite's clock (the engine names it later).
  return sqlite::execute(
      db_,
      "INSERT INTO contacts(id, identity_key, verified, created_at) VALUES (?1, ?2, 0, "
      "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) "
      "ON CONFLICT(id) DO UPDATE SET identity_key = excluded.identity_key, verified = 0",
      std::string_view(contact), key.view());
}

Result<std::optional<IdentityPublicKey>> SqliteIdentityStore::pinned_identity(
    const crypto::ContactId& contact) const {
  auto statement = select_pin_.use(db_);
  if (!statement) return fail(std::move(statement).error());
  (*statement)->bind(1, std::string_view(contact));
  auto row = (*statement)->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return std::optional<IdentityPublicKey>();
  auto key = IdentityPublicKey::from_bytes((*statement)->column_blob(0));
  if (!key) return fail(ErrorCode::DatabaseCorrupt, "stored identity key is not valid");
  return std::optional<IdentityPublicKey>(*key);
}

Result<void> SqliteIdentityStore::set_verified(const crypto::ContactId& contact, bool verified) {
  EXILE_TRY(sqlite::execute(
      db_, "UPDATE contacts SET verified = ?2 WHERE id = ?1 AND identity_key IS NOT NULL",
      std::string_view(contact), std::int64_t{verified ? 1 : 0}));
  // Verifying means "this pinned key is the right one": without a pin there is nothing to mark.
  if (db_.changes() == 0) {
    return fail(ErrorCode::InvalidArgument, "no identity pinned for contact");
  }
  return {};
}

Result<bool> SqliteIdentityStore::is_verified(const crypto::ContactId& contact) const {
  auto statement = select_pin_.use(db_);
  if (!statement) return fail(std::move(statement).error());
  (*statement)->bind(1, std::string_view(contact));
  auto row = (*statement)->step();
  if (!row) return fail(std::move(row).error());
  return *row && (*statement)->column_int64(1) != 0;
}

// --- prekeys ---------------------------------------------------------------------------------

Result<std::optional<SignedPreKey>> SqlitePreKeyStore::load_signed_prekey(PreKeyId id) const {
  auto statement =
      db_.prepare("SELECT secret, signature, created_at FROM signed_prekeys WHERE id = ?1");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, to_column(id));
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return std::optional<SignedPreKey>();
  const SecureBytes secret = statement->column_secret(0);
  auto key = crypto::X25519KeyPair::from_secret(view(secret));
  auto signature = crypto::Ed25519Signature::from_bytes(statement->column_blob(1));
  if (!key || !signature) return fail(ErrorCode::DatabaseCorrupt, "stored signed prekey invalid");
  return std::optional<SignedPreKey>(
      SignedPreKey{id, std::move(*key), *signature, from_millis(statement->column_int64(2))});
}

Result<void> SqlitePreKeyStore::store_signed_prekey(const SignedPreKey& key) {
  return sqlite::execute(db_,
                         "INSERT OR REPLACE INTO signed_prekeys(id, secret, signature, created_at) "
                         "VALUES (?1, ?2, ?3, ?4)",
                         to_column(key.id), key.key.secret().view(), key.signature.view(),
                         to_millis(key.created));
}

Result<void> SqlitePreKeyStore::remove_signed_prekey(PreKeyId id) {
  return sqlite::execute(db_, "DELETE FROM signed_prekeys WHERE id = ?1", to_column(id));
}

Result<std::vector<PreKeyId>> SqlitePreKeyStore::signed_prekey_ids() const {
  auto statement = db_.prepare("SELECT id FROM signed_prekeys ORDER BY id");
  if (!statement) return fail(std::move(statement).error());
  std::vector<PreKeyId> ids;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return ids;
    ids.push_back(static_cast<PreKeyId>(statement->column_int64(0)));
  }
}

Result<std::optional<OneTimePreKey>> SqlitePreKeyStore::load_one_time_prekey(PreKeyId id) const {
  auto statement = db_.prepare("SELECT secret FROM one_time_prekeys WHERE id = ?1");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, to_column(id));
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return std::optional<OneTimePreKey>();
  const SecureBytes secret = statement->column_secret(0);
  auto key = crypto::X25519KeyPair::from_secret(view(secret));
  if (!key) return fail(ErrorCode::DatabaseCorrupt, "stored one-time prekey invalid");
  return std::optional<OneTimePreKey>(OneTimePreKey{id, std::move(*key)});
}

Result<void> SqlitePreKeyStore::store_one_time_prekey(const OneTimePreKey& key) {
  return sqlite::execute(db_, "INSERT OR REPLACE INTO one_time_prekeys(id, secret) VALUES (?1, ?2)",
                         to_column(key.id), key.key.secret().view());
}

Result<void> SqlitePreKeyStore::remove_one_time_prekey(PreKeyId id) {
  return sqlite::execute(db_, "DELETE FROM one_time_prekeys WHERE id = ?1", to_column(id));
}

Result<std::size_t> SqlitePreKeyStore::count_one_time_prekeys() const {
  auto statement = db_.prepare("SELECT count(*) FROM one_time_prekeys");
  if (!statement) return fail(std::move(statement).error());
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  return static_cast<std::size_t>(statement->column_int64(0));
}

}  // namespace exile::store
