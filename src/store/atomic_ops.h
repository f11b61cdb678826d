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
//  - store_outgoing: the local-first send: the advanced session, the message row (if any) and
//    its outbox entry, before anything goes on the wire. Stored apart, a crash could send an
//    envelope whose session advance is lost (the next message would reuse its keys) or lose a
//    message the user saw as sent.
//
// None may be called inside another transaction (SQLite transactions do not nest).
//
// The engine writes sessions only inside a transaction: through these operations, or with
// SqliteSessionStore (store/repo_sessions.h) inside its own Transaction together with what
// the new session state was used for. A session state stored alone can be ahead of or
// behind the messages and envelopes it produced.
#pragma once

#include <optional>

#include "common/clock.h"
#include "common/ids.h"
#include "crypto/prekeys.h"
#include "crypto/session.h"
#include "crypto/store.h"
#include "store/database.h"
#include "store/repo_messages.h"
#include "store/repo_outbox.h"
#include "store/repo_queues.h"

namespace exile::store {

[[nodiscard]] Result<MessageId> store_decrypted_message(Database& db,
                                                        const crypto::SessionId& session_id,
                                                        const crypto::Session& advanced,
                                                        const NewMessage& message);

// The OPK with this id, now deleted and its use by `used_by` recorded; nothing when there is
// no such OPK (already used, or never ours).
// take_one_time_prekey without its own transaction: for a caller that removes the OPK together
// with more than store_accepted_session stores (the engine's contact request: the contact, the
// chat, the replay id and the route). The caller holds the transaction.
[[nodiscard]] Result<std::optional<crypto::OneTimePreKey>> take_one_time_prekey_in_transaction(
    Database& db, crypto::PreKeyId id, const crypto::SessionId& used_by, UnixMillis now);

[[nodiscard]] Result<std::optional<crypto::OneTimePreKey>> take_one_time_prekey(
    Database& db, crypto::PreKeyId id, const crypto::SessionId& used_by, UnixMillis now);

// UnknownPreKey (and nothing stored) when one_time_prekey names an OPK that is gone.
[[nodiscard]] Result<MessageId> store_accepted_session(
    Database& db, const crypto::SessionId& session_id, const crypto::Session& session,
    const NewMessage& first_message, std::optional<crypto::PreKeyId> one_time_prekey,
    UnixMillis now);

// What store_outgoing writes besides the session. message and envelope borrow the caller's
// bytes for the duration of the call.
struct OutgoingContent {
  std::optional<NewMessage> message;  // none for receipts, typing and other content without a row
  QueueRowId queue = 0;
  ClientMessageId client_msg_id{};
  ByteView envelope;
};

struct StoredOutgoing {
  std::optional<MessageId> message;  // the message row, when content.message was given
  OutboxId outbox = 0;
};

// The advanced session, the message row (if any) and its outbox entry (due at `now`, naming
// the message row), in one transaction. Constraint (and nothing stored) when the chat or the
// queue does not exist, the chat already has the message's uid, or the client message id is
// taken; InvalidArgument for a message insert() refuses.
[[nodiscard]] Result<StoredOutgoing> store_outgoing(Database& db,
                                                    const crypto::SessionId& session_id,
                                                    const crypto::Session& advanced,
                                                    const OutgoingContent& content, UnixMillis now);

}  // namespace exile::store
