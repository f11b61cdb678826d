// FairStorePool: the threads that run blocking store calls, shared fairly between connections
// (docs/relay-protocol.md §6, "Fair storage work").
//
// Work is posted under a lane: each connection has one (RelayCore::new_lane), and the server's
// own work (the expiry sweep, the gauges, the shutdown drain) has lane 0. Each lane is a FIFO
// queue; the lanes that have work wait in a ring, and a free thread takes the first task of the
// lane at the head of the ring and puts the lane back at the tail if it has more. So a task
// posted to a lane that was idle waits behind at most one task of every other busy lane (plus the
// tasks already running), however many each of those lanes has queued: a client that floods the
// pool from thousands of connections slows another client's storage work by one task per
// flooding connection, not by all of their tasks. A lane with several tasks may have them run on
// several threads at once (as an unfair pool would): order within a lane is kept by the caller
// (Session's ordered lookups), not here.
//
// A lane costs memory only while it has work queued: its entry is dropped when its queue
// empties. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace exile::relay {

class FairStorePool {
 public:
  using Task = std::function<void()>;

  explicit FairStorePool(unsigned threads);
  ~FairStorePool();  // join()
  FairStorePool(const FairStorePool&) = delete;
  FairStorePool& operator=(const FairStorePool&) = delete;

  // Queues `task` at the end of `lane`'s queue.
  void post(std::uint64_t lane, Task task);
  // Lets the queued tasks run, then stops the threads and waits for them. Tasks posted after
  // this are dropped. Idempotent.
  void join();

  // Lanes with work queued now, and tasks queued (not yet running), for tests and counters.
  [[nodiscard]] std::size_t busy_lanes() const;
  [[nodiscard]] std::size_t queued() const;

 private:
  // A FIFO on a vector: taken from `head`, compacted once half of it is taken.
  template <class T>
  struct Fifo {
    std::vector<T> items;
    std::size_t head = 0;
    [[nodiscard]] bool empty() const { return head == items.size(); }
    void push(T item) { items.push_back(std::move(item)); }
    T pop() {
      T item = std::move(items[head++]);
      if (head == items.size()) {
        items.clear();
        head = 0;
      } else if (head * 2 >= items.size() && head >= 64) {
        items.erase(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(head));
        head = 0;
      }
      return item;
    }
  };

  void serve();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::unordered_map<std::uint64_t, Fifo<Task>> lanes_;
  Fifo<std::uint64_t> ring_;  // lanes with work, in serving order
  std::size_t queued_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace exile::relay
