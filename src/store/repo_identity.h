// Identity and prekeys in the encrypted database: the crypto core's IdentityStore and
// PreKeyStore (contract: docs/protocol.md Appendix A.1; behaviour identical to
// crypto/memory_store.h). Tables: local_identity, contacts (pins), signed_prekeys,
// one_time_prekeys (docs/storage.md §"Schema"). Secrets are read back into wiped memory.
#pragma once

#include "common/clock.h"
#include "crypto/store.h"
#include "sqlite/cached_statement.h"
#include "store/database.h"

namespace exile::store {

class SqliteIdentityStore final : public crypto::IdentityStore {
 public:
  explicit SqliteIdentityStore(Database& db) : db_(db) {}

  // The profile's own identity: stored once, at profile creation (a second store replaces
  // it, for restoring from a backup). local_identity() fails with NotFound before that.
  [[nodiscard]] Result<void> store_local_identity(const crypto::IdentityKeyPair& identity,
                                                  UnixMillis now);
  [[nodiscard]] Result<bool> has_local_identity() const;

  [[nodiscard]] Result<crypto::IdentityKeyPair> local_identity() const override;
  [[nodiscard]] Result<crypto::IdentityCheck> check_identity(
      const crypto::ContactId& contact, const crypto::IdentityPublicKey& key) const override;
  // Creates the contact row (empty display name) when the contact is not known yet.
  [[nodiscard]] Result<void> pin_identity(const crypto::ContactId& contact,
                                          const crypto::IdentityPublicKey& key) override;
  [[nodiscard]] Result<std::optional<crypto::IdentityPublicKey>> pinned_identity(
      const crypto::ContactId& contact) const override;
  [[nodiscard]] Result<void> set_verified(const crypto::ContactId& contact, bool verified) override;
  [[nodiscard]] Result<bool> is_verified(const crypto::ContactId& contact) const override;

 private:
  Database& db_;
  mutable sqlite::CachedStatement select_pin_{
      "SELECT identity_key, verified FROM contacts WHERE id = ?1 AND identity_key IS NOT NULL"};
};

class SqlitePreKeyStore final : public crypto::PreKeyStore {
 public:
  explicit SqlitePreKeyStore(Database& db) : db_(db) {}

  [[nodiscard]] Result<std::optional<crypto::SignedPreKey>> load_signed_prekey(
      crypto::PreKeyId id) const override;
  [[nodiscard]] Result<void> store_signed_prekey(const crypto::SignedPreKey& key) override;
  [[nodiscard]] Result<void> remove_signed_prekey(crypto::PreKeyId id) override;
  [[nodiscard]] Result<std::vector<crypto::PreKeyId>> signed_prekey_ids() const override;

  [[nodiscard]] Result<std::optional<crypto::OneTimePreKey>> load_one_time_prekey(
      crypto::PreKeyId id) const override;
  [[nodiscard]] Result<void> store_one_time_prekey(const crypto::OneTimePreKey& key) override;
  [[nodiscard]] Result<void> remove_one_time_prekey(crypto::PreKeyId id) override;
  [[nodiscard]] Result<std::size_t> count_one_time_prekeys() const override;

 private:
  Database& db_;
};

}  // namespace exile::store
