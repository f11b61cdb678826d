// The outbox: ciphertext envelopes waiting for a relay's OK (table outbox, docs/storage.md
// §"Schema"). An item is written in the transaction that advances the session for it, sent
// with its client_msg_id (so a retry after a lost OK is a no-op at the relay), and deleted
// when the relay confirms. Failures push next_attempt_at back (the engine picks the backoff).
// ORDER. Within a queue, next_attempt_at never decreases from one item to the next (by id):
// enqueue() starts a new item no earlier than the newest one of its queue, and record_failure()
// holds every later item of the queue at least as long. So due(), oldest due first, hands each
// queue's items out in the order they were written, and never one before an item ahead of it.
// An item whose queue is route pending (a Send queue without send_id, store/repo_queues.h)
// waits: due() and next_attempt_time() skip it until the queue has its route.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/ids.h"
#include "store/database.h"
#include "store/repo_messages.h"
#include "store/repo_queues.h"

namespace exile::store {

using OutboxId = std::int64_t;

struct OutboxItem {
  OutboxId id = 0;
  QueueRowId queue = 0;
  std::optional<MessageId> message;  // none for receipts, or once the message was deleted
  ClientMessageId client_msg_id{};
  Bytes envelope;
  std::uint32_t attempts = 0;
  UnixMillis next_attempt_at;
  UnixMillis created_at;
};

class OutboxRepository {
 public:
  explicit OutboxRepository(Database& db) : db_(db) {}

  // Due at `now`, or when the newest item of its queue is due if that is later.
  [[nodiscard]] Result<OutboxId> enqueue(QueueRowId queue, std::optional<MessageId> message,
                                         const ClientMessageId& client_msg_id, ByteView envelope,
                                         UnixMillis now);
  // Items with next_attempt_at <= now whose queue has a send id, oldest due first.
  [[nodiscard]] Result<std::vector<OutboxItem>> due(UnixMillis now, std::size_t limit);
  [[nodiscard]] Result<std::optional<OutboxItem>> find(OutboxId id);
  // The items carrying one message, by id.
  [[nodiscard]] Result<std::vector<OutboxItem>> for_message(MessageId id);
  // One more failed attempt; retry at next_attempt (or later, if it already waits longer), and
  // the later items of its queue no earlier. NotFound without the item.
  [[nodiscard]] Result<void> record_failure(OutboxId id, UnixMillis next_attempt);
  // The relay confirmed it.
  [[nodiscard]] Result<void> remove(OutboxId id);
  // The earliest next_attempt_at among the items due() would return at that time.
  [[nodiscard]] Result<std::optional<UnixMillis>> next_attempt_time();
  [[nodiscard]] Result<std::size_t> size();

 private:
  Database& db_;
};

}  // namespace exile::store
