// SubscriberRegistry: which connection (Session) is subscribed to each queue; at most one
// (relay-protocol.md §5). Used from every thread (strands, and the store's writer thread when
// it announces a commit), behind a mutex; holds weak references, so a closed connection is
// simply absent.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>

#include "relay/array_hash.h"
#include "relay/queue_store.h"

namespace exile::relay {

class Session;

class SubscriberRegistry {
 public:
  // Makes `session` the subscriber; returns the previous one if it was another live session.
  std::shared_ptr<Session> subscribe(const QueueId& id, const std::shared_ptr<Session>& session) {
    std::lock_guard lock(mutex_);
    auto& slot = by_queue_[id];
    std::shared_ptr<Session> previous = slot.lock();
    slot = session;
    return previous == session ? nullptr : previous;
  }
  // Removes `session` as the subscriber of `id` (no-op if another one is).
  void unsubscribe(const QueueId& id, const Session* session) {
    std::lock_guard lock(mutex_);
    auto it = by_queue_.find(id);
    if (it == by_queue_.end()) return;
    auto current = it->second.lock();
    if (!current || current.get() == session) by_queue_.erase(it);
  }
  // Removes whoever is subscribed (DEL) and returns it.
  std::shared_ptr<Session> remove(const QueueId& id) {
    std::lock_guard lock(mutex_);
    auto it = by_queue_.find(id);
    if (it == by_queue_.end()) return nullptr;
    auto current = it->second.lock();
    by_queue_.erase(it);
    return current;
  }
  [[nodiscard]] std::shared_ptr<Session> find(const QueueId& id) const {
    std::lock_guard lock(mutex_);
    auto it = by_queue_.find(id);
    return it == by_queue_.end() ? nullptr : it->second.lock();
  }
  [[nodiscard]] bool is_subscriber(const QueueId& id, const Session* session) const {
    std::lock_guard lock(mutex_);
    auto it = by_queue_.find(id);
    return it != by_queue_.end() && it->second.lock().get() == session;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<QueueId, std::weak_ptr<Session>, ArrayHash> by_queue_;
};

}  // namespace exile::relay
