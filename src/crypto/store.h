// Storage interfaces of the crypto core. The engine's encrypted SQLite store implements them
// (src/store); memory_store.h has the in-memory versions the tests use.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "crypto/keys.h"
#include "crypto/prekeys.h"

namespace exile::crypto {

class Session;

// A local, opaque name for a contact (never sent anywhere).
using ContactId = std::string;
// A local, opaque name for one secret chat's session.
using SessionId = std::string;

enum class IdentityCheck {
  FirstUse,  // nothing pinned yet
  Matches,   // the pinned key
  Changed,   // a different key: sending is blocked until the user accepts it
};

class IdentityStore {
 public:
  virtual ~IdentityStore() = default;
  [[nodiscard]] virtual Result<IdentityKeyPair> local_identity() const = 0;
  [[nodiscard]] virtual Result<IdentityCheck> check_identity(
      const ContactId& contact, const IdentityPublicKey& key) const = 0;
  // Pins (or, after the user accepted a change, re-pins) the contact's key; clears verified.
  [[nodiscard]] virtual Result<void> pin_identity(const ContactId& contact,
                                                  const IdentityPublicKey& key) = 0;
  [[nodiscard]] virtual Result<std::optional<IdentityPublicKey>> pinned_identity(
      const ContactId& contact) const = 0;
  [[nodiscard]] virtual Result<void> set_verified(const ContactId& contact, bool verified) = 0;
  [[nodiscard]] virtual Result<bool> is_verified(const ContactId& contact) const = 0;
};

class PreKeyStore {
 public:
  virtual ~PreKeyStore() = default;
  [[nodiscard]] virtual Result<std::optional<SignedPreKey>> load_signed_prekey(
      PreKeyId id) const = 0;
  [[nodiscard]] virtual Result<void> store_signed_prekey(const SignedPreKey& key) = 0;
  [[nodiscard]] virtual Result<void> remove_signed_prekey(PreKeyId id) = 0;
  [[nodiscard]] virtual Result<std::vector<PreKeyId>> signed_prekey_ids() const = 0;

  [[nodiscard]] virtual Result<std::optional<OneTimePreKey>> load_one_time_prekey(
      PreKeyId id) const = 0;
  [[nodiscard]] virtual Result<void> store_one_time_prekey(const OneTimePreKey& key) = 0;
  [[nodiscard]] virtual Result<void> remove_one_time_prekey(PreKeyId id) = 0;
  [[nodiscard]] virtual Result<std::size_t> count_one_time_prekeys() const = 0;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  [[nodiscard]] virtual Result<std::optional<Session>> load_session(const SessionId& id) const = 0;
  [[nodiscard]] virtual Result<void> store_session(const SessionId& id, const Session& session) = 0;
  [[nodiscard]] virtual Result<void> delete_session(const SessionId& id) = 0;
  [[nodiscard]] virtual Result<std::vector<SessionId>> session_ids() const = 0;
};

}  // namespace exile::crypto
