// In-memory stores for tests, fuzzing and benchmarks. Sessions are kept serialized, so
// every load/store goes through the same state format as the real store.
#pragma once

#include <map>

#include "crypto/session.h"
#include "crypto/store.h"

namespace exile::crypto {

class InMemoryIdentityStore final : public IdentityStore {
 public:
  explicit InMemoryIdentityStore(IdentityKeyPair own) : own_(std::move(own)) {}
  [[nodiscard]] Result<IdentityKeyPair> local_identity() const override;
  [[nodiscard]] Result<IdentityCheck> check_identity(const ContactId& contact,
                                                     const IdentityPublicKey& key) const override;
  [[nodiscard]] Result<void> pin_identity(const ContactId& contact,
                                          const IdentityPublicKey& key) override;
  [[nodiscard]] Result<std::optional<IdentityPublicKey>> pinned_identity(
      const ContactId& contact) const override;
  [[nodiscard]] Result<void> set_verified(const ContactId& contact, bool verified) override;
  [[nodiscard]] Result<bool> is_verified(const ContactId& contact) const override;

 private:
  struct Pin {
    IdentityPublicKey key;
    bool verified = false;
  };
  IdentityKeyPair own_;
  std::map<ContactId, Pin> pins_;
};

class InMemoryPreKeyStore final : public PreKeyStore {
 public:
  [[nodiscard]] Result<std::optional<SignedPreKey>> load_signed_prekey(PreKeyId id) const override;
  [[nodiscard]] Result<void> store_signed_prekey(const SignedPreKey& key) override;
  [[nodiscard]] Result<void> remove_signed_prekey(PreKeyId id) override;
  [[nodiscard]] Result<std::vector<PreKeyId>> signed_prekey_ids() const override;
  [[nodiscard]] Result<std::optional<OneTimePreKey>> load_one_time_prekey(
      PreKeyId id) const override;
  [[nodiscard]] Result<void> store_one_time_prekey(const OneTimePreKey& key) override;
  [[nodiscard]] Result<void> remove_one_time_prekey(PreKeyId id) override;
  [[nodiscard]] Result<std::size_t> count_one_time_prekeys() const override;

 private:
  std::map<PreKeyId, SignedPreKey> signed_;
  std::map<PreKeyId, OneTimePreKey> one_time_;
};

class InMemorySessionStore final : public SessionStore {
 public:
  [[nodiscard]] Result<std::optional<Session>> load_session(const SessionId& id) const override;
  [[nodiscard]] Result<void> store_session(const SessionId& id, const Session& session) override;
  [[nodiscard]] Result<void> delete_session(const SessionId& id) override;
  [[nodiscard]] Result<std::vector<SessionId>> session_ids() const override;

 private:
  std::map<SessionId, SecureBytes> sessions_;
};

}  // namespace exile::crypto
