// Contacts: a local name, the pinned identity key and its verification state (table contacts,
// docs/storage.md §"Schema"). Pinning and verifying go through SqliteIdentityStore
// (repo_identity.h), which owns the pin's rules; this repository names and lists contacts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "crypto/keys.h"
#include "crypto/store.h"
#include "store/database.h"

namespace exile::store {

struct Contact {
  crypto::ContactId id;
  std::string display_name;
  std::optional<crypto::IdentityPublicKey> identity;  // the pinned key, if any
  bool verified = false;
  UnixMillis created_at;
};

class ContactRepository {
 public:
  explicit ContactRepository(Database& db) : db_(db) {}

  // Constraint when the id exists.
  [[nodiscard]] Result<void> add(const crypto::ContactId& id, std::string_view display_name,
                                 UnixMillis now);
  [[nodiscard]] Result<std::optional<Contact>> find(const crypto::ContactId& id);
  // Ordered by display name, then id.
  [[nodiscard]] Result<std::vector<Contact>> list();
  // NotFound when there is no such contact.
  [[nodiscard]] Result<void> rename(const crypto::ContactId& id, std::string_view display_name);
  // Deletes the contact with its chats, their messages and queues (ON DELETE CASCADE).
  [[nodiscard]] Result<void> remove(const crypto::ContactId& id);

 private:
  Database& db_;
};

}  // namespace exile::store
