// FairStorePool (relay/fair_store_pool.h): lanes served in turn, order kept within a lane, every
// task run once, join() runs what is queued.
#include "relay/fair_store_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace exile::relay {
namespace {

// One thread, held on a gate while the test queues work, then released: the order the tasks
// ran in is the order the pool chose.
TEST(FairStorePoolTest, AnIdleLanesTaskWaitsBehindOneTaskOfEachBusyLane) {
  FairStorePool pool(1);
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  std::vector<std::uint64_t> ran;
  pool.post(99, [&] {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return open; });
  });
  // Three flooding lanes with 1,000 tasks each, queued before the legitimate lane's one task.
  for (int i = 0; i < 1000; ++i) {
    for (std::uint64_t lane = 1; lane <= 3; ++lane) {
      pool.post(lane, [&ran, lane] { ran.push_back(lane); });
    }
  }
  pool.post(7, [&ran] { ran.push_back(7); });
  {
    std::lock_guard lock(mutex);
    open = true;
  }
  cv.notify_all();
  pool.join();
  ASSERT_EQ(ran.size(), 3001u);
  std::size_t at = 0;
  while (ran[at] != 7) ++at;
  // A FIFO pool would run it last (at 3000).
  EXPECT_LE(at, 3u) << "lane 7's task ran after " << at << " tasks of the flooding lanes";
}

TEST(FairStorePoolTest, TasksOfOneLaneRunInTheOrderPostedOnOneThread) {
  FairStorePool pool(1);
  std::vector<int> ran;
  for (int i = 0; i < 100; ++i) pool.post(5, [&ran, i] { ran.push_back(i); });
  pool.join();
  ASSERT_EQ(ran.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ran[static_cast<std::size_t>(i)], i);
}

TEST(FairStorePoolTest, EveryTaskRunsOnceOnManyThreadsAndLanesAreDroppedWhenIdle) {
  std::atomic<int> count{0};
  {
    FairStorePool pool(4);
    for (int i = 0; i < 10000; ++i) {
      pool.post(static_cast<std::uint64_t>(i % 37), [&count] { ++count; });
    }
    pool.join();
    EXPECT_EQ(pool.busy_lanes(), 0u);
    EXPECT_EQ(pool.queued(), 0u);
    pool.post(1, [&count] { ++count; });  // after join: dropped
  }
  EXPECT_EQ(count.load(), 10000);
}

}  // namespace
}  // namespace exile::relay
