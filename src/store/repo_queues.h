// Relay queues and their credentials (table relay_queues, docs/storage.md §"Schema";
// protocol: PROTOCOL.md §4). Each row is one one-way queue on one relay:
//  - Receive: a queue we created and read (recv_id, send_id, our recipient auth key);
//    secured once we have sent KEY with the peer's sender key (peer_auth_key);
//  - Send: the peer's queue we write into (send_id, our sender auth key). A Send row may be
//    "route pending": made with our sender key before the peer's reply says where the queue
//    is, with send_id NULL (and relay_url possibly ''); set_route fills both in later;
//  - Address: our contact address (recv_id, send_id, recipient key; never secured).
// The auth secret key is a secret: stored as a blob in the encrypted database, read back
// into wiped memory. Queue ids are identifiers: they never appear in errors or logs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/secure_buffer.h"
#include "store/database.h"
#include "store/repo_chats.h"

namespace exile::store {

using QueueRowId = std::int64_t;

enum class QueueRole : std::uint8_t { Receive = 1, Send = 2, Address = 3 };

// The views borrow the caller's bytes for the duration of add().
struct NewRelayQueue {
  std::optional<ChatId> chat;  // none for the contact address
  QueueRole role = QueueRole::Receive;
  std::string_view relay_url;
  ByteView recv_id;  // empty when we do not read the queue
  ByteView send_id;  // empty: route pending (stored as NULL)
  ByteView auth_public;
  ByteView auth_secret;
};

struct RelayQueue {
  QueueRowId id = 0;
  std::optional<ChatId> chat;
  QueueRole role = QueueRole::Receive;
  std::string relay_url;
  Bytes recv_id;
  Bytes send_id;  // empty: route pending
  Bytes auth_public;
  SecureBytes auth_secret;
  Bytes peer_auth_key;  // empty until secured
  bool secured = false;
  UnixMillis created_at;
};

class QueueRepository {
 public:
  explicit QueueRepository(Database& db) : db_(db) {}

  // Constraint when (relay_url, recv_id) already exists or the chat does not.
  [[nodiscard]] Result<QueueRowId> add(const NewRelayQueue& queue, UnixMillis now);
  [[nodiscard]] Result<std::optional<RelayQueue>> find(QueueRowId id);
  // Routes an incoming MSG to its queue.
  [[nodiscard]] Result<std::optional<RelayQueue>> find_by_recv_id(std::string_view relay_url,
                                                                  ByteView recv_id);
  [[nodiscard]] Result<std::vector<RelayQueue>> for_chat(ChatId chat);
  // Queues we read on one relay (Receive and Address), for SUB after connecting.
  [[nodiscard]] Result<std::vector<RelayQueue>> receiving_on(std::string_view relay_url);
  // Every relay we have a queue on, sorted.
  [[nodiscard]] Result<std::vector<std::string>> relays();
  // After KEY succeeded. NotFound without the queue.
  [[nodiscard]] Result<void> mark_secured(QueueRowId id, ByteView peer_auth_key);
  [[nodiscard]] Result<void> remove(QueueRowId id);

  // Where a route-pending Send queue is (relay and send id). NotFound without the row;
  // InvalidArgument for an empty send id.
  [[nodiscard]] Result<void> set_route(QueueRowId id, std::string_view relay_url, ByteView send_id);
  // A chat's first queue (lowest id) in `role`.
  [[nodiscard]] Result<std::optional<RelayQueue>> find_for_chat(ChatId chat, QueueRole role);
  // Every Address queue (our contact addresses), by id.
  [[nodiscard]] Result<std::vector<RelayQueue>> address_queues();

 private:
  Database& db_;
};

}  // namespace exile::store
