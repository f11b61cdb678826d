// MemoryQueueStore: a QueueStore in memory, for unit tests and the fuzz target (and a stand-in
// when no persistent backend is built). Not durable. append() and ack() complete inline, on
// the caller's thread, before they return. Thread-safe: one mutex around everything.
#pragma once

#include <map>
#include <mutex>

#include "relay/queue_store.h"

namespace exile::relay::detail {

class MemoryQueueStore final : public QueueStore {
 public:
  MemoryQueueStore() = default;

  Result<void> create_queue(const QueueRecord& queue) override;
  Result<std::optional<QueueRecord>> find_by_recv_id(const QueueId& id) override;
  Result<std::optional<QueueRecord>> find_by_send_id(const QueueId& id) override;
  Result<void> each_queue_id(
      const std::function<void(const QueueId& recv_id, const QueueId& send_id,
                               bool contact_address)>& visit) override;
  Result<bool> secure_queue(const QueueId& recv_id, const PublicKey& sender_key) override;
  Result<bool> delete_queue(const QueueId& recv_id) override;
  void append(AppendRequest request, std::function<void(Result<AppendResult>)> done) override;
  void ack(const QueueId& recv_id, std::uint64_t msg_id,
           std::function<void(Result<void>)> done) override;
  Result<std::vector<StoredMessage>> pending(const QueueId& recv_id, std::uint64_t after,
                                             std::size_t limit) override;
  Result<std::uint32_t> put_bundle(const QueueId& recv_id, const Bytes& bundle,
                                   const std::vector<Bytes>& one_time_keys,
                                   bool replace_one_time_keys) override;
  Result<std::optional<TakenBundle>> take_bundle(const QueueId& send_id) override;
  Result<std::uint64_t> expire(std::uint64_t message_cutoff_ms,
                               std::uint64_t dedup_cutoff_ms) override;
  Result<StoreCounts> counts() override;
  void drain() override;

  // At most this many one-time keys per address (relay-protocol.md §4); put_bundle past it
  // fails with Constraint and stores nothing.
  static constexpr std::size_t kMaxOneTimeKeys = 1000;

 private:
  struct Queue {
    QueueRecord record;
    std::uint64_t next_msg_id = 1;
    std::map<std::uint64_t, StoredMessage> messages;
    std::map<ClientMessageId, std::uint64_t> dedup;  // client_msg_id → when it stopped being stored
                                                     // (0 while stored)
    std::map<std::uint64_t, ClientMessageId> msg_client_ids;
    std::uint64_t bytes = 0;
    Bytes bundle;
    std::vector<Bytes> one_time_keys;
  };

  Queue* by_recv(const QueueId& id);
  Queue* by_send(const QueueId& id);

  std::mutex mutex_;
  std::map<QueueId, Queue> queues_;  // by recv_id
  std::map<QueueId, QueueId> send_to_recv_;
  bool drained_ = false;
};

}  // namespace exile::relay::detail
