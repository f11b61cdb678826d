// QueueCache: queue records in memory, so that the SEND path (send_id → record) and the
// recipient's commands (recv_id → record) do not each need a store read on the store pool.
//
// Invariant: the cache never returns a record older than the last KEY or DEL applied to that
// queue. Every change goes through invalidate(), which bumps an epoch; a record read from the
// store is inserted only if no invalidation happened since the read began (begin_read()).
// Misses are not cached (a client probing ids it does not own reads the store, under its
// connection's rate limit). Bounded: past kMaxEntries the cache is emptied.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "relay/array_hash.h"
#include "relay/queue_store.h"

namespace exile::relay {

class QueueCache {
 public:
  static constexpr std::size_t kMaxEntries = 200'000;
  using Record = std::shared_ptr<const QueueRecord>;

  [[nodiscard]] Record by_recv_id(const QueueId& id) const {
    std::lock_guard lock(mutex_);
    auto it = by_recv_.find(id);
    return it == by_recv_.end() ? nullptr : it->second;
  }
  [[nodiscard]] Record by_send_id(const QueueId& id) const {
    std::lock_guard lock(mutex_);
    auto it = by_send_.find(id);
    return it == by_send_.end() ? nullptr : it->second;
  }

  [[nodiscard]] std::uint64_t begin_read() const {
    std::lock_guard lock(mutex_);
    return epoch_;
  }
  void insert(const QueueRecord& record, std::uint64_t read_epoch) {
    std::lock_guard lock(mutex_);
    if (read_epoch != epoch_) return;
    if (by_recv_.size() >= kMaxEntries) {
      by_recv_.clear();
      by_send_.clear();
    }
    auto shared = std::make_shared<const QueueRecord>(record);
    by_recv_[record.recv_id] = shared;
    by_send_[record.send_id] = shared;
  }
  // Call after the store has changed the queue (KEY, DEL).
  void invalidate(const QueueId& recv_id) {
    std::lock_guard lock(mutex_);
    ++epoch_;
    if (auto it = by_recv_.find(recv_id); it != by_recv_.end()) {
      by_send_.erase(it->second->send_id);
      by_recv_.erase(it);
    }
  }

 private:
  mutable std::mutex mutex_;
  std::uint64_t epoch_ = 0;
  std::unordered_map<QueueId, Record, ArrayHash> by_recv_;
  std::unordered_map<QueueId, Record, ArrayHash> by_send_;
};

}  // namespace exile::relay
