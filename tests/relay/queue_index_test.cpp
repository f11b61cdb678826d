// QueueIndex and FingerprintSet (relay/queue_index.h): never a false "absent", removal of one
// copy only, growth and clean-up, loading from a store, and "may exist" before load().
#include "relay/queue_index.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/rng.h"
#include "relay/sqlite_queue_store.h"
#include "support/temp_dir.h"

namespace exile::relay {
namespace {

QueueId random_queue_id(Rng& rng) {
  QueueId id{};
  rng.fill(id);
  return id;
}

TEST(FingerprintSetTest, HoldsDuplicatesAndErasesOneCopyAtATime) {
  FingerprintSet set;
  set.insert(42);
  set.insert(42);
  set.insert(0);  // mapped away from the empty and erased markers, still found
  set.insert(1);
  EXPECT_TRUE(set.contains(42));
  EXPECT_TRUE(set.contains(0));
  EXPECT_TRUE(set.contains(1));
  set.erase(42);
  EXPECT_TRUE(set.contains(42)) << "a second queue with the same fingerprint is still there";
  set.erase(42);
  EXPECT_FALSE(set.contains(42));
  EXPECT_EQ(set.size(), 2u);
}

TEST(FingerprintSetTest, GrowsAndCleansUpWithoutLosingAnything) {
  FingerprintSet set;
  std::vector<std::uint32_t> kept;
  for (std::uint32_t i = 0; i < 200'000; ++i) {
    const std::uint32_t f = i * 2654435761u;
    set.insert(f);
    if (i % 10 == 0) kept.push_back(f);
  }
  // Erase nine in ten (the table shrinks), then insert and erase more (erased slots are reused).
  for (std::uint32_t i = 0; i < 200'000; ++i) {
    if (i % 10 != 0) set.erase(i * 2654435761u);
  }
  for (std::uint32_t round = 0; round < 5; ++round) {
    for (std::uint32_t i = 0; i < 50'000; ++i) set.insert(0x80000000u + round * 50'000 + i);
    for (std::uint32_t i = 0; i < 50'000; ++i) set.erase(0x80000000u + round * 50'000 + i);
  }
  EXPECT_EQ(set.size(), kept.size());
  for (std::uint32_t f : kept) ASSERT_TRUE(set.contains(f));
  // 4 bytes a slot, at least 1/8 live: at most 32 bytes an id (it shrank from its peak).
  EXPECT_LE(set.memory_bytes(), kept.size() * 32);
}

TEST(QueueIndexTest, MayExistBeforeLoadAndKnowsExactlyItsQueuesAfter) {
  SystemRng rng;
  test::TempDir dir("exile-queue-index");
  auto store = SqliteQueueStore::open(dir.file("relay.db"));
  ASSERT_TRUE(store) << store.error();
  std::vector<QueueRecord> queues;
  for (int i = 0; i < 50; ++i) {
    QueueRecord q;
    q.recv_id = random_queue_id(rng);
    q.send_id = random_queue_id(rng);
    rng.fill(q.recipient_key);
    q.contact_address = i % 5 == 0;
    ASSERT_TRUE((*store)->create_queue(q));
    queues.push_back(q);
  }
  QueueIndex index;
  const QueueId stranger = random_queue_id(rng);
  EXPECT_TRUE(index.may_exist_recv(stranger)) << "before load() every id may exist";
  EXPECT_TRUE(index.may_be_address(stranger));
  ASSERT_TRUE(index.load(**store));
  EXPECT_EQ(index.queues(), 50u);
  for (const auto& q : queues) {
    EXPECT_TRUE(index.may_exist_recv(q.recv_id));
    EXPECT_TRUE(index.may_exist_send(q.send_id));
    EXPECT_EQ(index.may_be_address(q.send_id), q.contact_address);
    EXPECT_FALSE(index.may_exist_recv(q.send_id)) << "a send_id is not a recv_id";
  }
  int false_positives = 0;
  for (int i = 0; i < 10'000; ++i) {
    const QueueId id = random_queue_id(rng);
    false_positives += index.may_exist_recv(id) || index.may_exist_send(id) ? 1 : 0;
  }
  EXPECT_LE(false_positives, 1);  // about 10,000 × 100 / 2^32
  const QueueRecord& gone = queues[0];
  index.remove(gone.recv_id, gone.send_id, gone.contact_address);
  EXPECT_FALSE(index.may_exist_recv(gone.recv_id));
  EXPECT_FALSE(index.may_exist_send(gone.send_id));
  EXPECT_FALSE(index.may_be_address(gone.send_id));
  QueueRecord added;
  added.recv_id = random_queue_id(rng);
  added.send_id = random_queue_id(rng);
  index.add(added.recv_id, added.send_id, false);
  EXPECT_TRUE(index.may_exist_recv(added.recv_id));
  EXPECT_TRUE(index.may_exist_send(added.send_id));
  EXPECT_FALSE(index.may_be_address(added.send_id));
}

}  // namespace
}  // namespace exile::relay
