#include "relay/fair_store_pool.h"

#include <cstddef>
#include <utility>

namespace exile::relay {

FairStorePool::FairStorePool(unsigned threads) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { serve(); });
}

FairStorePool::~FairStorePool() { join(); }

void FairStorePool::post(std::uint64_t lane, Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    auto [it, fresh] = lanes_.try_emplace(lane);
    it->second.push(std::move(task));
    ++queued_;
    if (fresh) ring_.push(lane);
  }
  wake_.notify_one();
}

void FairStorePool::join() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  {
    std::lock_guard lock(mutex_);
    threads.swap(threads_);
  }
  for (auto& thread : threads) {
    if (thread.joinable()) thread.join();
  }
}

std::size_t FairStorePool::busy_lanes() const {
  std::lock_guard lock(mutex_);
  return lanes_.size();
}

std::size_t FairStorePool::queued() const {
  std::lock_guard lock(mutex_);
  return queued_;
}

void FairStorePool::serve() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return !ring_.empty() || stopping_; });
      if (ring_.empty()) return;  // stopping, and nothing left to run
      const std::uint64_t lane = ring_.pop();
      auto it = lanes_.find(lane);
      if (it == lanes_.end()) continue;  // cannot happen: a lane is in the ring while it has work
      task = it->second.pop();
      --queued_;
      if (it->second.empty()) {
        lanes_.erase(it);
      } else {
        ring_.push(lane);  // its next task after one of every other busy lane's
      }
    }
    task();
  }
}

}  // namespace exile::relay
