// In-memory stores (semantics: docs/protocol.md §"In-memory stores"). They follow
// the contract of store.h exactly, so that a test passing against them says something about
// the SQLite store too:
//  - identities: a contact has at most one pinned key; pin_identity replaces it and clears
//    "verified"; check_identity never changes anything;
//  - prekeys: loads return clones (the caller cannot alias our key material); removing an
//    id that is not there succeeds (removal is idempotent);
//  - sessions: kept as Session::serialize() bytes in wiped memory and restored with
//    Session::deserialize(), so every load goes through the real state format.
#include "crypto/memory_store.h"

namespace exile::crypto {

// --- identities ------------------------------------------------------------------------------

Result<IdentityKeyPair> InMemoryIdentityStore::local_identity() const { return own_.clone(); }

Result<IdentityCheck> InMemoryIdentityStore::check_identity(const ContactId& contact,
                                                            const IdentityPublicKey& key) const {
  const auto it = pins_.find(contact);
  if (it == pins_.end()) return IdentityCheck::FirstUse;
  return it->second.key == key ? IdentityCheck::Matches : IdentityCheck::Changed;
}

Result<void> InMemoryIdentityStore::pin_identity(const ContactId& contact,
                                                 const IdentityPublicKey& key) {
  pins_.insert_or_assign(contact, Pin{key, false});
  return {};
}

Result<std::optional<IdentityPublicKey>> InMemoryIdentityStore::pinned_identity(
    const ContactId& contact) const {
  const auto it = pins_.find(contact);
  if (it == pins_.end()) return std::optional<IdentityPublicKey>();
  return std::optional<IdentityPublicKey>(it->second.key);
}

Result<void> InMemoryIdentityStore::set_verified(const ContactId& contact, bool verified) {
  const auto it = pins_.find(contact);
  // Verifying means "this pinned key is the right one": without a pin there is nothing to mark.
  if (it == pins_.end()) return fail(ErrorCode::InvalidArgument, "no identity pinned for contact");
  it->second.verified = verified;
  return {};
}

Result<bool> InMemoryIdentityStore::is_verified(const ContactId& contact) const {
  const auto it = pins_.find(contact);
  return it != pins_.end() && it->second.verified;
}

// --- prekeys ---------------------------------------------------------------------------------

Result<std::optional<SignedPreKey>> InMemoryPreKeyStore::load_signed_prekey(PreKeyId id) const {
  const auto it = signed_.find(id);
  if (it == signed_.end()) return std::optional<SignedPreKey>();
  return std::optional<SignedPreKey>(it->second.clone());
}

Result<void> InMemoryPreKeyStore::store_signed_prekey(const SignedPreKey& key) {
  signed_.insert_or_assign(key.id, key.clone());
  return {};
}

Result<void> InMemoryPreKeyStore::remove_signed_prekey(PreKeyId id) {
  signed_.erase(id);
  return {};
}

Result<std::vector<PreKeyId>> InMemoryPreKeyStore::signed_prekey_ids() const {
  std::vector<PreKeyId> ids;
  ids.reserve(signed_.size());
  for (const auto& entry : signed_) ids.push_back(entry.first);
  return ids;
}

Result<std::optional<OneTimePreKey>> InMemoryPreKeyStore::load_one_time_prekey(PreKeyId id) const {
  const auto it = one_time_.find(id);
  if (it == one_time_.end()) return std::optional<OneTimePreKey>();
  return std::optional<OneTimePreKey>(it->second.clone());
}

Result<void> InMemoryPreKeyStore::store_one_time_prekey(const OneTimePreKey& key) {
  one_time_.insert_or_assign(key.id, key.clone());
  return {};
}

Result<void> InMemoryPreKeyStore::remove_one_time_prekey(PreKeyId id) {
  one_time_.erase(id);
  return {};
}

Result<std::size_t> InMemoryPreKeyStore::count_one_time_prekeys() const { return one_time_.size(); }

// --- sessions --------------------------------------------------------------------------------

Result<std::optional<Session>> InMemorySessionStore::load_session(const SessionId& id) const {
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::optional<Session>();
  auto session = Session::deserialize(view(it->second));
  if (!session) return fail(std::move(session).error());
  return std::optional<Session>(std::move(*session));
}

Result<void> InMemorySessionStore::store_session(const SessionId& id, const Session& session) {
  sessions_.insert_or_assign(id, session.serialize());
  return {};
}

Result<void> InMemorySessionStore::delete_session(const SessionId& id) {
  sessions_.erase(id);
  return {};
}

Result<std::vector<SessionId>> InMemorySessionStore::session_ids() const {
  std::vector<SessionId> ids;
  ids.reserve(sessions_.size());
  for (const auto& entry : sessions_) ids.push_back(entry.first);
  return ids;
}

}  // namespace exile::crypto
