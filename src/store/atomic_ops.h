// The store's multi-table writes that must be all-or-nothing (docs/storage.md §"Schema",
// "Atomic operations"). Each runs in one transaction (BEGIN IMMEDIATE ... COMMIT); on any
// error the transaction is rolled back and the database is exactly as before.
//
//  - store_decrypted_message: the advanced session and the message it decrypted. Stored
//    apart, a crash between them would either lose a message whose keys are gone (session
//    first) or let the message be decrypted twice (message first).
//  - take_one_time_prekey: the OPK secret is deleted and its use recorded together
//    (docs/protocol.md §3.5: a used OPK secret must not survive).
//  - store_accepted_session: the first message of a session, the new session and the
//    consumption of its OPK, together: a failed or replayed first message consumes nothing.
//
// None may be called inside another transaction (SQLite transactions do not nest).
#pragma once

#include <optional>

#include "common/clock.h"
#include "crypto/prekeys.h"
#include "crypto/session.h"
#include "crypto/store.h"
#include "store/database.h"
#include "store/repo_messages.h"

namespace exile::store {

[[nodiscard]] Result<MessageId> store_decrypted_message(Database& db,
                                                        const crypto::SessionId& session_id,
                                                        const crypto::Session& advanced,
                                                        const NewMessage& message);

// The OPK with this id, now deleted and its use by `used_by` recorded; nothing when there is
// no such OPK (already used, or never ours).
[[nodiscard]] Result<std::optional<crypto::OneTimePreKey>> take_one_time_prekey(
    Database& db, crypto::PreKeyId id, const crypto::SessionId& used_by, UnixMillis now);

// UnknownPreKey (and nothing stored) when one_time_prekey names an OPK that is gone.
[[nodiscard]] Result<MessageId> store_accepted_session(
    Database& db, const crypto::SessionId& session_id, const crypto::Session& session,
    const NewMessage& first_message, std::optional<crypto::PreKeyId> one_time_prekey,
    UnixMillis now);

}  // namespace exile::store
