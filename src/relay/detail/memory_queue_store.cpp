#include "relay/detail/memory_queue_store.h"

namespace exile::relay::detail {

MemoryQueueStore::Queue* MemoryQueueStore::by_recv(const QueueId& id) {
  auto it = queues_.find(id);
  return it == queues_.end() ? nullptr : &it->second;
}

MemoryQueueStore::Queue* MemoryQueueStore::by_send(const QueueId& id) {
  auto it = send_to_recv_.find(id);
  return it == send_to_recv_.end() ? nullptr : by_recv(it->second);
}

Result<void> MemoryQueueStore::create_queue(const QueueRecord& queue) {
  std::lock_guard lock(mutex_);
  if (queues_.contains(queue.recv_id) || send_to_recv_.contains(queue.send_id) ||
      queues_.contains(queue.send_id) || send_to_recv_.contains(queue.recv_id)) {
    return fail(ErrorCode::Constraint, "queue id taken");
  }
  queues_[queue.recv_id].record = queue;
  send_to_recv_[queue.send_id] = queue.recv_id;
  return {};
}

Result<std::optional<QueueRecord>> MemoryQueueStore::find_by_recv_id(const QueueId& id) {
  std::lock_guard lock(mutex_);
  const Queue* q = by_recv(id);
  if (q == nullptr) return std::optional<QueueRecord>{};
  return std::optional<QueueRecord>(q->record);
}

Result<std::optional<QueueRecord>> MemoryQueueStore::find_by_send_id(const QueueId& id) {
  std::lock_guard lock(mutex_);
  const Queue* q = by_send(id);
  if (q == nullptr) return std::optional<QueueRecord>{};
  return std::optional<QueueRecord>(q->record);
}

Result<void> MemoryQueueStore::each_queue_id(
    const std::function<void(const QueueId& recv_id, const QueueId& send_id, bool contact_address)>&
        visit) {
  std::lock_guard lock(mutex_);
  for (const auto& [recv_id, queue] : queues_) {
    visit(recv_id, queue.record.send_id, queue.record.contact_address);
  }
  return {};
}

Result<bool> MemoryQueueStore::secure_queue(const QueueId& recv_id, const PublicKey& sender_key) {
  std::lock_guard lock(mutex_);
  Queue* q = by_recv(recv_id);
  if (q == nullptr) return fail(ErrorCode::NotFound);
  if (q->record.sender_key) return false;
  q->record.sender_key = sender_key;
  return true;
}

Result<bool> MemoryQueueStore::delete_queue(const QueueId& recv_id) {
  std::lock_guard lock(mutex_);
  Queue* q = by_recv(recv_id);
  if (q == nullptr) return false;
  send_to_recv_.erase(q->record.send_id);
  queues_.erase(recv_id);
  return true;
}

void MemoryQueueStore::append(AppendRequest request,
                              std::function<void(Result<AppendResult>)> done) {
  Result<AppendResult> result;
  {
    std::lock_guard lock(mutex_);
    Queue* q = by_send(request.send_id);
    if (drained_) {
      result = fail(ErrorCode::Internal, "store drained");
    } else if (q == nullptr) {
      result = AppendResult{AppendStatus::NoSuchQueue, {}, 0, 0};
    } else if (q->dedup.contains(request.client_msg_id)) {
      result = AppendResult{AppendStatus::Duplicate, q->record.recv_id, 0, 0};
    } else if (q->messages.size() + 1 > request.quota.max_messages ||
               q->bytes + request.body.size() > request.quota.max_bytes) {
      result = AppendResult{AppendStatus::QueueFull, q->record.recv_id, 0, 0};
    } else {
      const std::uint64_t id = q->next_msg_id++;
      q->bytes += request.body.size();
      q->dedup[request.client_msg_id] = 0;
      q->msg_client_ids[id] = request.client_msg_id;
      q->messages[id] = StoredMessage{id, request.now_ms, std::move(request.body)};
      result = AppendResult{AppendStatus::Stored, q->record.recv_id, id, request.now_ms};
    }
  }
  if (result && result->status == AppendStatus::Stored && request.on_numbered) {
    request.on_numbered(*result);
  }
  done(std::move(result));
}

void MemoryQueueStore::ack(const QueueId& recv_id, std::uint64_t msg_id,
                           std::function<void(Result<void>)> done) {
  Result<void> result;
  {
    std::lock_guard lock(mutex_);
    if (drained_) {
      result = fail(ErrorCode::Internal, "store drained");
    } else if (Queue* q = by_recv(recv_id); q != nullptr) {
      if (auto it = q->messages.find(msg_id); it != q->messages.end()) {
        q->bytes -= it->second.body.size();
        // The dedup window starts at the ack; the memory store has no clock, so it uses the
        // message's arrival time (close enough for tests).
        q->dedup[q->msg_client_ids[msg_id]] = std::max<std::uint64_t>(it->second.timestamp_ms, 1);
        q->msg_client_ids.erase(msg_id);
        q->messages.erase(it);
      }
    }
  }
  done(std::move(result));
}

Result<std::vector<StoredMessage>> MemoryQueueStore::pending(const QueueId& recv_id,
                                                             std::uint64_t after,
                                                             std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<StoredMessage> out;
  const Queue* q = by_recv(recv_id);
  if (q == nullptr) return out;
  for (auto it = q->messages.upper_bound(after); it != q->messages.end() && out.size() < limit;
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

Result<std::uint32_t> MemoryQueueStore::put_bundle(const QueueId& recv_id, const Bytes& bundle,
                                                   const std::vector<Bytes>& one_time_keys,
                                                   bool replace_one_time_keys) {
  std::lock_guard lock(mutex_);
  Queue* q = by_recv(recv_id);
  if (q == nullptr) return fail(ErrorCode::NotFound);
  const std::size_t kept = replace_one_time_keys ? 0 : q->one_time_keys.size();
  if (kept + one_time_keys.size() > kMaxOneTimeKeys) {
    return fail(ErrorCode::Constraint, "too many one-time keys");
  }
  if (!bundle.empty()) q->bundle = bundle;
  if (replace_one_time_keys) q->one_time_keys.clear();
  q->one_time_keys.insert(q->one_time_keys.end(), one_time_keys.begin(), one_time_keys.end());
  return static_cast<std::uint32_t>(q->one_time_keys.size());
}

Result<std::optional<TakenBundle>> MemoryQueueStore::take_bundle(const QueueId& send_id) {
  std::lock_guard lock(mutex_);
  Queue* q = by_send(send_id);
  if (q == nullptr || q->bundle.empty()) return std::optional<TakenBundle>{};
  TakenBundle out{q->bundle, std::nullopt};
  if (!q->one_time_keys.empty()) {
    out.one_time_key = std::move(q->one_time_keys.front());
    q->one_time_keys.erase(q->one_time_keys.begin());
  }
  return std::optional<TakenBundle>(std::move(out));
}

Result<std::uint64_t> MemoryQueueStore::expire(std::uint64_t message_cutoff_ms,
                                               std::uint64_t dedup_cutoff_ms) {
  std::lock_guard lock(mutex_);
  std::uint64_t removed = 0;
  for (auto& [id, q] : queues_) {
    for (auto it = q.messages.begin(); it != q.messages.end();) {
      if (it->second.timestamp_ms < message_cutoff_ms) {
        q.bytes -= it->second.body.size();
        q.dedup[q.msg_client_ids[it->first]] = std::max<std::uint64_t>(it->second.timestamp_ms, 1);
        q.msg_client_ids.erase(it->first);
        it = q.messages.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
    std::erase_if(q.dedup, [dedup_cutoff_ms](const auto& entry) {
      return entry.second != 0 && dedup_window_over(entry.second, dedup_cutoff_ms);
    });
  }
  return removed;
}

Result<StoreCounts> MemoryQueueStore::counts() {
  std::lock_guard lock(mutex_);
  StoreCounts out;
  out.queues = queues_.size();
  for (const auto& [id, q] : queues_) {
    out.messages += q.messages.size();
    out.message_bytes += q.bytes;
  }
  return out;
}

void MemoryQueueStore::drain() {
  std::lock_guard lock(mutex_);
  drained_ = true;
}

}  // namespace exile::relay::detail
