// SqliteQueueStore against real files in a temporary directory: queue lifecycle, append/ack
// order and msg_ids, dedup, quotas, expiry, bundles (and one-time keys handed out once under
// concurrency), group commit, drain, disk full, reopen.
#include "relay/sqlite_queue_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sqlite/cached_statement.h"
#include "sqlite/database.h"
#include "support/temp_dir.h"

namespace exile::relay {
namespace {

using test::file_contains;
using test::TempDir;

template <std::size_t N>
std::array<std::uint8_t, N> id_from(std::uint64_t n, std::uint8_t tag) {
  std::array<std::uint8_t, N> out{};
  out[0] = tag;
  for (std::size_t i = 0; i < 8; ++i) out[N - 1 - i] = static_cast<std::uint8_t>(n >> (8 * i));
  return out;
}

QueueRecord make_queue(std::uint64_t n, bool address = false) {
  QueueRecord q;
  q.recv_id = id_from<wire::kQueueIdBytes>(n, 0xAA);
  q.send_id = id_from<wire::kQueueIdBytes>(n, 0xBB);
  q.recipient_key = id_from<wire::kPublicKeyBytes>(n, 0xCC);
  q.contact_address = address;
  q.created_ms = 1'700'000'000'000 + n;
  return q;
}

ClientMessageId cmid(std::uint64_t n) { return id_from<kClientMessageIdBytes>(n, 0xDD); }

Bytes body_of(std::uint64_t n, std::size_t size = 32) {
  Bytes b(size, static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < 8 && i < size; ++i) b[i] = static_cast<std::uint8_t>(n >> (8 * i));
  return b;
}

constexpr Quota kBigQuota{100000, 1ull << 40};

AppendRequest request(const QueueRecord& q, std::uint64_t n, std::uint64_t now_ms = 1000,
                      Quota quota = kBigQuota, std::size_t size = 32) {
  AppendRequest r;
  r.send_id = q.send_id;
  r.client_msg_id = cmid(n);
  r.body = body_of(n, size);
  r.now_ms = now_ms;
  r.quota = quota;
  return r;
}

Result<AppendResult> append_sync(QueueStore& store, AppendRequest r) {
  std::promise<Result<AppendResult>> promise;
  auto future = promise.get_future();
  store.append(std::move(r),
               [&promise](Result<AppendResult> result) { promise.set_value(std::move(result)); });
  return future.get();
}

Result<void> ack_sync(QueueStore& store, const QueueId& recv_id, std::uint64_t msg_id) {
  std::promise<Result<void>> promise;
  auto future = promise.get_future();
  store.ack(recv_id, msg_id,
            [&promise](Result<void> result) { promise.set_value(std::move(result)); });
  return future.get();
}

// A held append (AppendRequest::hold): when it was numbered, and its answer.
struct HeldAppend {
  std::promise<AppendResult> numbered;
  std::promise<Result<AppendResult>> done;
  std::future<AppendResult> numbered_future = numbered.get_future();
  std::future<Result<AppendResult>> done_future = done.get_future();
};

std::shared_ptr<HeldAppend> append_held(QueueStore& store, AppendRequest r) {
  auto held = std::make_shared<HeldAppend>();
  r.hold = true;
  r.on_numbered = [held](const AppendResult& a) { held->numbered.set_value(a); };
  store.append(std::move(r),
               [held](Result<AppendResult> result) { held->done.set_value(std::move(result)); });
  return held;
}

template <class T>
bool ready_within(const std::future<T>& future, std::chrono::milliseconds timeout) {
  return future.wait_for(timeout) == std::future_status::ready;
}

SqliteQueueStore::Options holding_for(std::chrono::milliseconds hold) {
  SqliteQueueStore::Options options;
  options.hold_for_ack = hold;
  return options;
}

std::unique_ptr<SqliteQueueStore> open_store(const std::filesystem::path& file,
                                             SqliteQueueStore::Options options = {}) {
  auto store = SqliteQueueStore::open(file, std::move(options));
  EXPECT_TRUE(store.has_value()) << (store ? "" : store.error().message);
  return store ? std::move(*store) : nullptr;
}

class SqliteQueueStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(file());
    ASSERT_NE(store_, nullptr);
  }
  [[nodiscard]] std::filesystem::path file() const { return dir_.file("relay.db"); }
  void reopen(SqliteQueueStore::Options options = {}) {
    store_.reset();
    store_ = open_store(file(), std::move(options));
    ASSERT_NE(store_, nullptr);
  }

  TempDir dir_;
  std::unique_ptr<SqliteQueueStore> store_;
};

TEST_F(SqliteQueueStoreTest, CreateFindSecureDelete) {
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));

  auto by_recv = store_->find_by_recv_id(q.recv_id);
  ASSERT_TRUE(by_recv && *by_recv);
  EXPECT_EQ((*by_recv)->send_id, q.send_id);
  EXPECT_EQ((*by_recv)->recipient_key, q.recipient_key);
  EXPECT_FALSE((*by_recv)->sender_key);
  EXPECT_FALSE((*by_recv)->contact_address);
  EXPECT_EQ((*by_recv)->created_ms, q.created_ms);
  auto by_send = store_->find_by_send_id(q.send_id);
  ASSERT_TRUE(by_send && *by_send);
  EXPECT_EQ((*by_send)->recv_id, q.recv_id);
  // Ids are not interchangeable.
  auto wrong = store_->find_by_send_id(q.recv_id);
  ASSERT_TRUE(wrong);
  EXPECT_FALSE(*wrong);

  const PublicKey sender = id_from<wire::kPublicKeyBytes>(77, 0xEE);
  auto secured = store_->secure_queue(q.recv_id, sender);
  ASSERT_TRUE(secured);
  EXPECT_TRUE(*secured);
  auto again = store_->secure_queue(q.recv_id, id_from<wire::kPublicKeyBytes>(78, 0xEE));
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  by_recv = store_->find_by_recv_id(q.recv_id);
  ASSERT_TRUE(by_recv && *by_recv && (*by_recv)->sender_key);
  EXPECT_EQ(*(*by_recv)->sender_key, sender);  // the first key stays

  auto missing = store_->secure_queue(make_queue(2).recv_id, sender);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);

  auto deleted = store_->delete_queue(q.recv_id);
  ASSERT_TRUE(deleted);
  EXPECT_TRUE(*deleted);
  by_recv = store_->find_by_recv_id(q.recv_id);
  ASSERT_TRUE(by_recv);
  EXPECT_FALSE(*by_recv);
  auto deleted_again = store_->delete_queue(q.recv_id);  // absent: Ok, and says so
  ASSERT_TRUE(deleted_again);
  EXPECT_FALSE(*deleted_again);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->queues, 0u);
}

TEST_F(SqliteQueueStoreTest, TakenIdsAreConstraint) {
  const QueueRecord q = make_queue(1, true);
  ASSERT_TRUE(store_->create_queue(q));
  QueueRecord same_recv = make_queue(2);
  same_recv.recv_id = q.recv_id;
  auto r1 = store_->create_queue(same_recv);
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code, ErrorCode::Constraint);
  QueueRecord same_send = make_queue(3);
  same_send.send_id = q.send_id;
  auto r2 = store_->create_queue(same_send);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::Constraint);
  auto found = store_->find_by_recv_id(q.recv_id);
  ASSERT_TRUE(found && *found);
  EXPECT_TRUE((*found)->contact_address);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->queues, 1u);
}

TEST_F(SqliteQueueStoreTest, AppendPendingAckOrderAndMonotonicIds) {
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  for (std::uint64_t i = 1; i <= 5; ++i) {
    auto r = append_sync(*store_, request(q, i, 1000 + i));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->status, AppendStatus::Stored);
    EXPECT_EQ(r->msg_id, i);
    EXPECT_EQ(r->timestamp_ms, 1000 + i);
    EXPECT_EQ(r->recv_id, q.recv_id);
  }
  auto all = store_->pending(q.recv_id, 0, 100);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ((*all)[i].msg_id, i + 1);
    EXPECT_EQ((*all)[i].timestamp_ms, 1001 + i);
    EXPECT_EQ((*all)[i].body, body_of(i + 1));
  }
  auto page = store_->pending(q.recv_id, 2, 2);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].msg_id, 3u);
  EXPECT_EQ((*page)[1].msg_id, 4u);

  ASSERT_TRUE(ack_sync(*store_, q.recv_id, 1));
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, 3));
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, 3));    // already gone: Ok
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, 999));  // never existed: Ok
  all = store_->pending(q.recv_id, 0, 100);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].msg_id, 2u);
  EXPECT_EQ((*all)[1].msg_id, 4u);
  EXPECT_EQ((*all)[2].msg_id, 5u);

  // Ack everything: the next msg_id continues, never reused.
  for (std::uint64_t id : {2u, 4u, 5u}) ASSERT_TRUE(ack_sync(*store_, q.recv_id, id));
  auto next = append_sync(*store_, request(q, 6));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->msg_id, 6u);
  reopen();
  auto after_reopen = append_sync(*store_, request(q, 7));
  ASSERT_TRUE(after_reopen);
  EXPECT_EQ(after_reopen->msg_id, 7u);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->messages, 2u);
  EXPECT_EQ(counts->message_bytes, 64u);
}

TEST_F(SqliteQueueStoreTest, NoSuchQueue) {
  auto r = append_sync(*store_, request(make_queue(9), 1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, AppendStatus::NoSuchQueue);
  auto pending = store_->pending(make_queue(9).recv_id, 0, 10);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
}

TEST_F(SqliteQueueStoreTest, DuplicateClientMsgId) {
  const QueueRecord q = make_queue(1);
  const QueueRecord other = make_queue(2);
  ASSERT_TRUE(store_->create_queue(q));
  ASSERT_TRUE(store_->create_queue(other));
  auto first = append_sync(*store_, request(q, 42));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, AppendStatus::Stored);
  auto dup = append_sync(*store_, request(q, 42));
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->status, AppendStatus::Duplicate);
  // The same client_msg_id on another queue is another message.
  auto elsewhere = append_sync(*store_, request(other, 42));
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(elsewhere->status, AppendStatus::Stored);
  // Still remembered after the ack (dedup window).
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, first->msg_id));
  auto after_ack = append_sync(*store_, request(q, 42));
  ASSERT_TRUE(after_ack);
  EXPECT_EQ(after_ack->status, AppendStatus::Duplicate);
  auto pending = store_->pending(q.recv_id, 0, 10);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());

  // Duplicates inside one batch: only one is stored.
  std::atomic<int> stored{0};
  std::atomic<int> duplicates{0};
  std::atomic<int> finished{0};
  for (int i = 0; i < 50; ++i) {
    store_->append(request(q, 7), [&](Result<AppendResult> r) {
      if (r && r->status == AppendStatus::Stored) ++stored;
      if (r && r->status == AppendStatus::Duplicate) ++duplicates;
      ++finished;
    });
  }
  store_->drain();
  EXPECT_EQ(finished.load(), 50);
  EXPECT_EQ(stored.load(), 1);
  EXPECT_EQ(duplicates.load(), 49);
}

TEST_F(SqliteQueueStoreTest, QuotaMessagesAndBytes) {
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  const Quota by_count{3, 1 << 20};
  for (std::uint64_t i = 1; i <= 3; ++i) {
    auto r = append_sync(*store_, request(q, i, 1000, by_count));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, AppendStatus::Stored);
  }
  auto full = append_sync(*store_, request(q, 4, 1000, by_count));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status, AppendStatus::QueueFull);
  // A retry of a stored message is a duplicate, not a quota refusal.
  auto retry = append_sync(*store_, request(q, 2, 1000, by_count));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, AppendStatus::Duplicate);
  // An ack makes room; the refused message was not remembered.
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, 1));
  auto room = append_sync(*store_, request(q, 4, 1000, by_count));
  ASSERT_TRUE(room);
  EXPECT_EQ(room->status, AppendStatus::Stored);
  EXPECT_EQ(room->msg_id, 4u);  // the refusal consumed no msg_id

  const QueueRecord b = make_queue(2);
  ASSERT_TRUE(store_->create_queue(b));
  const Quota by_bytes{1000, 250};
  auto a1 = append_sync(*store_, request(b, 1, 1000, by_bytes, 100));
  auto a2 = append_sync(*store_, request(b, 2, 1000, by_bytes, 150));  // exactly 250
  auto a3 = append_sync(*store_, request(b, 3, 1000, by_bytes, 1));
  ASSERT_TRUE(a1 && a2 && a3);
  EXPECT_EQ(a1->status, AppendStatus::Stored);
  EXPECT_EQ(a2->status, AppendStatus::Stored);
  EXPECT_EQ(a3->status, AppendStatus::QueueFull);
  ASSERT_TRUE(ack_sync(*store_, b.recv_id, 2));
  auto a4 = append_sync(*store_, request(b, 4, 1000, by_bytes, 150));
  ASSERT_TRUE(a4);
  EXPECT_EQ(a4->status, AppendStatus::Stored);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->messages, 3u + 2u);
  EXPECT_EQ(counts->message_bytes, 3u * 32u + 100u + 150u);
}

// The dedup log keeps only the hour of a release (relay-protocol.md §10): records are dropped
// once their whole hour is before the dedup cutoff.
TEST_F(SqliteQueueStoreTest, ExpireMessagesAndDedupRecords) {
  constexpr std::uint64_t kHour = kDedupHourMs;
  std::atomic<std::uint64_t> now{10 * kHour + 50'000};
  SqliteQueueStore::Options options;
  options.now_ms = [&now] { return now.load(); };
  reopen(std::move(options));
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  for (std::uint64_t i = 1; i <= 10; ++i) {
    auto r = append_sync(*store_, request(q, i, i * 1000));  // arrivals 1000 .. 10000
    ASSERT_TRUE(r && r->status == AppendStatus::Stored);
  }
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, 10));  // released in hour 10
  now = 12 * kHour + 60'000;
  auto removed = store_->expire(5001, 0);  // messages 1..5 (arrived before 5001)
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 5u);
  auto left = store_->pending(q.recv_id, 0, 100);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 4u);
  EXPECT_EQ(left->front().msg_id, 6u);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->messages, 4u);
  EXPECT_EQ(counts->message_bytes, 4u * 32u);

  // Expired and acked messages are still remembered within the window.
  for (std::uint64_t i : {1u, 5u, 10u}) {
    auto r = append_sync(*store_, request(q, i, 70'000));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, AppendStatus::Duplicate) << i;
  }
  // A cutoff within the ack's hour keeps it; one in the next hour, before the expiry's hour (12),
  // drops only the acked record.
  removed = store_->expire(0, 10 * kHour + 3'599'999);
  ASSERT_TRUE(removed);
  auto kept = append_sync(*store_, request(q, 10, 70'000));
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->status, AppendStatus::Duplicate) << "dropped before its whole hour was past";
  removed = store_->expire(0, 11 * kHour);
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 0u);
  auto r10 = append_sync(*store_, request(q, 10, 70'000));
  ASSERT_TRUE(r10);
  EXPECT_EQ(r10->status, AppendStatus::Stored);
  EXPECT_EQ(r10->msg_id, 11u);
  auto r1 = append_sync(*store_, request(q, 1, 70'000));
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->status, AppendStatus::Duplicate);
  // Past the expiry's window too; stored messages' records are never dropped.
  removed = store_->expire(0, 13 * kHour);
  ASSERT_TRUE(removed);
  r1 = append_sync(*store_, request(q, 1, 70'000));
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->status, AppendStatus::Stored);
  auto r6 = append_sync(*store_, request(q, 6, 70'000));  // 6 is still stored
  ASSERT_TRUE(r6);
  EXPECT_EQ(r6->status, AppendStatus::Duplicate);

  // Expire everything (more than one chunk is covered by the large test below).
  removed = store_->expire(1'000'000, 0);
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 6u);
  counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->messages, 0u);
  EXPECT_EQ(counts->message_bytes, 0u);
  ASSERT_TRUE(store_->check_integrity());
}

TEST_F(SqliteQueueStoreTest, ExpireManyInChunks) {
  const QueueRecord a = make_queue(1);
  const QueueRecord b = make_queue(2);
  ASSERT_TRUE(store_->create_queue(a));
  ASSERT_TRUE(store_->create_queue(b));
  constexpr int kCount = 10'000;
  std::atomic<int> stored{0};
  for (int i = 0; i < kCount; ++i) {
    const QueueRecord& q = (i % 2 == 0) ? a : b;
    store_->append(
        request(q, static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(i), kBigQuota, 8),
        [&](Result<AppendResult> r) {
          if (r && r->status == AppendStatus::Stored) ++stored;
        });
  }
  auto removed = store_->expire(9000, 0);  // waits behind the appends (same writer queue)
  ASSERT_TRUE(removed);
  EXPECT_EQ(stored.load(), kCount);
  EXPECT_EQ(*removed, 9000u);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->messages, 1000u);
  EXPECT_EQ(counts->message_bytes, 8000u);
  auto left = store_->pending(a.recv_id, 0, 10'000);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->size(), 500u);
  removed = store_->expire(0, ~0ull);  // drops the 9,000 released dedup records
  ASSERT_TRUE(removed);
  auto again = append_sync(*store_, request(a, 0, 1));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, AppendStatus::Stored);
  reopen();
  counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->messages, 1001u);
  EXPECT_EQ(counts->message_bytes, 8032u);
}

// The expiry corrects the totals of the queues it expires through their cached states (it reads
// each queue's dedup salt there), also when it runs in the same batch as SENDs to them: the
// next SEND gets the next msg_id, and the totals on disk match the messages left.
TEST_F(SqliteQueueStoreTest, AnExpiryBatchedWithSendsKeepsTheirMsgIds) {
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  constexpr std::uint64_t kSends = 3000;
  std::atomic<std::uint64_t> stored{0};
  for (std::uint64_t i = 1; i <= kSends; ++i) {
    store_->append(request(q, i, 1000 + i, kBigQuota, 8), [&](Result<AppendResult> r) {
      if (r && r->status == AppendStatus::Stored) ++stored;
    });
  }
  // Queued behind the SENDs: the writer takes it with the last of them, in one batch.
  auto removed = store_->expire(1000 + kSends / 2, 0);
  ASSERT_TRUE(removed);
  EXPECT_EQ(stored.load(), kSends);
  auto next = append_sync(*store_, request(q, kSends + 1, 100'000, kBigQuota, 8));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, AppendStatus::Stored);
  EXPECT_EQ(next->msg_id, kSends + 1);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  auto left = store_->pending(q.recv_id, 0, 100'000);
  ASSERT_TRUE(left);
  EXPECT_EQ(counts->messages, left->size());
  reopen();
  auto after = store_->counts();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->messages, left->size()) << "the queue's msg_count on disk";
  auto again = append_sync(*store_, request(q, kSends + 2, 100'000, kBigQuota, 8));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, AppendStatus::Stored);
  EXPECT_EQ(again->msg_id, kSends + 2);
}

TEST_F(SqliteQueueStoreTest, Bundles) {
  const QueueRecord addr = make_queue(1, true);
  ASSERT_TRUE(store_->create_queue(addr));
  // No bundle yet.
  auto none = store_->take_bundle(addr.send_id);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto unknown = store_->take_bundle(make_queue(5).send_id);
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
  auto no_queue = store_->put_bundle(make_queue(5).recv_id, Bytes{1}, {}, false);
  ASSERT_FALSE(no_queue);
  EXPECT_EQ(no_queue.error().code, ErrorCode::NotFound);

  const Bytes bundle1{1, 2, 3};
  auto n = store_->put_bundle(addr.recv_id, bundle1, {Bytes{10}, Bytes{11}}, false);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  n = store_->put_bundle(addr.recv_id, {}, {Bytes{12}}, false);  // empty bundle keeps the old
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3u);

  auto t = store_->take_bundle(addr.send_id);
  ASSERT_TRUE(t && *t);
  EXPECT_EQ((*t)->bundle, bundle1);
  ASSERT_TRUE((*t)->one_time_key);
  EXPECT_EQ(*(*t)->one_time_key, Bytes{10});  // oldest first
  t = store_->take_bundle(addr.send_id);
  ASSERT_TRUE(t && *t && (*t)->one_time_key);
  EXPECT_EQ(*(*t)->one_time_key, Bytes{11});

  // Replace the bundle and the keys.
  const Bytes bundle2{4, 5};
  n = store_->put_bundle(addr.recv_id, bundle2, {Bytes{20}, Bytes{21}}, true);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  t = store_->take_bundle(addr.send_id);
  ASSERT_TRUE(t && *t && (*t)->one_time_key);
  EXPECT_EQ((*t)->bundle, bundle2);
  EXPECT_EQ(*(*t)->one_time_key, Bytes{20});
  t = store_->take_bundle(addr.send_id);
  ASSERT_TRUE(t && *t && (*t)->one_time_key);
  EXPECT_EQ(*(*t)->one_time_key, Bytes{21});
  // Out of keys: the bundle alone.
  t = store_->take_bundle(addr.send_id);
  ASSERT_TRUE(t && *t);
  EXPECT_EQ((*t)->bundle, bundle2);
  EXPECT_FALSE((*t)->one_time_key);
  // replace with no new keys drops them all.
  n = store_->put_bundle(addr.recv_id, {}, {Bytes{30}}, false);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  n = store_->put_bundle(addr.recv_id, {}, {}, true);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  t = store_->take_bundle(addr.send_id);
  ASSERT_TRUE(t && *t);
  EXPECT_FALSE((*t)->one_time_key);

  // Quota of stored keys (default 1,000): refused whole, nothing changed.
  std::vector<Bytes> hundred;
  for (int i = 0; i < 100; ++i) hundred.push_back(Bytes{static_cast<std::uint8_t>(i), 1});
  for (int i = 0; i < 10; ++i) {
    n = store_->put_bundle(addr.recv_id, {}, hundred, false);
    ASSERT_TRUE(n);
  }
  EXPECT_EQ(*n, 1000u);
  auto over = store_->put_bundle(addr.recv_id, Bytes{9}, {Bytes{1}}, false);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::Constraint);
  t = store_->take_bundle(addr.send_id);
  ASSERT_TRUE(t && *t);
  EXPECT_EQ((*t)->bundle, bundle2);  // unchanged by the refused put

  // Deleting the queue deletes its bundle and keys.
  ASSERT_TRUE(store_->delete_queue(addr.recv_id));
  ASSERT_TRUE(store_->create_queue(addr));
  t = store_->take_bundle(addr.send_id);
  ASSERT_TRUE(t);
  EXPECT_FALSE(*t);
}

TEST_F(SqliteQueueStoreTest, ConcurrentTakeBundleHandsOutEachKeyOnce) {
  const QueueRecord addr = make_queue(1, true);
  ASSERT_TRUE(store_->create_queue(addr));
  constexpr int kKeys = 200;
  std::vector<Bytes> keys;
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back(Bytes{static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8), 7});
  }
  ASSERT_TRUE(
      store_->put_bundle(addr.recv_id, Bytes{1}, {keys.begin(), keys.begin() + 100}, false));
  ASSERT_TRUE(store_->put_bundle(addr.recv_id, {}, {keys.begin() + 100, keys.end()}, false));

  constexpr int kThreads = 16;
  std::mutex mutex;
  std::vector<Bytes> handed_out;
  std::atomic<int> errors{0};
  std::atomic<int> keyless{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int call = 0; call < 40; ++call) {
        auto taken = store_->take_bundle(addr.send_id);
        if (!taken || !*taken) {
          ++errors;
          continue;
        }
        if (!(*taken)->one_time_key) {
          ++keyless;
          continue;
        }
        std::lock_guard lock(mutex);
        handed_out.push_back(*(*taken)->one_time_key);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(handed_out.size(), static_cast<std::size_t>(kKeys));
  EXPECT_EQ(keyless.load(), kThreads * 40 - kKeys);
  const std::set<Bytes> distinct(handed_out.begin(), handed_out.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kKeys));
  EXPECT_EQ(distinct, std::set<Bytes>(keys.begin(), keys.end()));
}

TEST_F(SqliteQueueStoreTest, GroupCommitBatchesConcurrentAppends) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  std::vector<QueueRecord> queues;
  for (int i = 0; i < 4; ++i) {
    queues.push_back(make_queue(static_cast<std::uint64_t>(i)));
    ASSERT_TRUE(store_->create_queue(queues.back()));
  }
  const std::uint64_t commits_before = store_->commits();
  std::mutex mutex;
  std::vector<std::vector<std::uint64_t>> ids(queues.size());
  std::atomic<int> stored{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      for (int i = 0; i < kPerThread; ++i) {
        const std::size_t qi = static_cast<std::size_t>((t + i) % 4);
        const auto n = static_cast<std::uint64_t>(t * kPerThread + i);
        store_->append(request(queues[qi], n), [&, qi](Result<AppendResult> r) {
          if (!r || r->status != AppendStatus::Stored) {
            ++failed;
            return;
          }
          ++stored;
          std::lock_guard lock(mutex);
          ids[qi].push_back(r->msg_id);
        });
      }
    });
  }
  // Readers at the same time.
  std::atomic<bool> reading{true};
  std::atomic<int> read_errors{0};
  std::thread reader([&] {
    while (reading) {
      if (!store_->pending(queues[0].recv_id, 0, 50)) ++read_errors;
      if (!store_->find_by_send_id(queues[1].send_id)) ++read_errors;
    }
  });
  go = true;
  for (auto& thread : threads) thread.join();
  // A blocking write queued behind the appends: when it returns, they are all done.
  ASSERT_TRUE(store_->create_queue(make_queue(100)));
  reading = false;
  reader.join();
  EXPECT_EQ(read_errors.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(stored.load(), kThreads * kPerThread);
  const std::uint64_t commits = store_->commits() - commits_before;
  EXPECT_LT(commits, static_cast<std::uint64_t>(kThreads * kPerThread));
  std::printf("group commit: %d appends in %llu commits\n", kThreads * kPerThread,
              static_cast<unsigned long long>(commits));
  for (auto& queue_ids : ids) {
    std::sort(queue_ids.begin(), queue_ids.end());
    for (std::size_t i = 0; i < queue_ids.size(); ++i) EXPECT_EQ(queue_ids[i], i + 1);
  }
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->messages, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(counts->queues, 5u);
}

// Not a benchmark (the machine is shared), but prints what group commit gives: appends and
// acks of 1 KiB bodies, 16 producers with 64 requests in flight each.
TEST_F(SqliteQueueStoreTest, ThroughputAppendThenAck) {
  constexpr int kProducers = 16;
  constexpr int kPerProducer = 1250;  // 20,000 in all
  std::vector<QueueRecord> queues;
  for (int i = 0; i < kProducers; ++i) {
    queues.push_back(make_queue(static_cast<std::uint64_t>(i)));
    ASSERT_TRUE(store_->create_queue(queues.back()));
  }
  std::vector<std::vector<std::uint64_t>> ids(kProducers);
  std::atomic<int> failures{0};
  const auto run_phase = [&](bool appending) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kProducers; ++t) {
      threads.emplace_back([&, t] {
        std::mutex mutex;
        std::condition_variable cv;
        int in_flight = 0;
        const auto ti = static_cast<std::size_t>(t);
        for (int i = 0; i < kPerProducer; ++i) {
          {
            std::unique_lock lock(mutex);
            cv.wait(lock, [&] { return in_flight < 64; });
            ++in_flight;
          }
          const auto finish = [&](bool ok) {
            if (!ok) ++failures;
            std::lock_guard lock(mutex);
            --in_flight;
            cv.notify_one();
          };
          if (appending) {
            const auto n = static_cast<std::uint64_t>(t * kPerProducer + i);
            store_->append(request(queues[ti], n, 1000, kBigQuota, 1024),
                           [&, finish](Result<AppendResult> r) {
                             const bool ok = r && r->status == AppendStatus::Stored;
                             if (ok) ids[ti].push_back(r->msg_id);  // one producer per queue
                             finish(ok);
                           });
          } else {
            store_->ack(queues[ti].recv_id, static_cast<std::uint64_t>(i + 1),
                        [finish](Result<void> r) { finish(r.has_value()); });
          }
        }
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return in_flight == 0; });
      });
    }
    for (auto& thread : threads) thread.join();
  };
  const std::uint64_t commits0 = store_->commits();
  auto start = std::chrono::steady_clock::now();
  run_phase(true);
  const double append_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::uint64_t commits1 = store_->commits();
  start = std::chrono::steady_clock::now();
  run_phase(false);
  const double ack_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::uint64_t commits2 = store_->commits();
  EXPECT_EQ(failures.load(), 0);
  constexpr int kTotal = kProducers * kPerProducer;
  std::printf(
      "throughput: %d appends in %.2f s (%.0f/s, %llu commits), %d acks in %.2f s "
      "(%.0f/s, %llu commits)\n",
      kTotal, append_s, kTotal / append_s, static_cast<unsigned long long>(commits1 - commits0),
      kTotal, ack_s, kTotal / ack_s, static_cast<unsigned long long>(commits2 - commits1));
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->messages, 0u);
  EXPECT_EQ(counts->message_bytes, 0u);
}

TEST_F(SqliteQueueStoreTest, DrainFromACallback) {
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  std::promise<void> drained;
  std::atomic<int> stored{0};
  for (std::uint64_t i = 0; i < 20; ++i) {
    store_->append(request(q, i), [&](Result<AppendResult> r) {
      if (r && r->status == AppendStatus::Stored) ++stored;
    });
  }
  store_->append(request(q, 100), [&](Result<AppendResult>) {
    store_->drain();  // must not deadlock on its own thread
    drained.set_value();
  });
  drained.get_future().wait();
  auto refused = append_sync(*store_, request(q, 200));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "store is shutting down");
  store_.reset();  // joins the writer
  EXPECT_EQ(stored.load(), 20);
}

TEST_F(SqliteQueueStoreTest, AckOfQueuedAppendsInOneBatch) {
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  // Append and ack queued back to back: both land, in order, in the same writer run.
  std::atomic<int> done{0};
  for (std::uint64_t i = 1; i <= 100; ++i) {
    store_->append(request(q, i), [&](Result<AppendResult> r) {
      EXPECT_TRUE(r && r->status == AppendStatus::Stored);
      ++done;
    });
    store_->ack(q.recv_id, i, [&](Result<void> r) {
      EXPECT_TRUE(r);
      ++done;
    });
  }
  store_->drain();
  EXPECT_EQ(done.load(), 200);
  auto pending = store_->pending(q.recv_id, 0, 1000);  // reads still work after drain
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->messages, 0u);
  EXPECT_EQ(counts->message_bytes, 0u);
}

TEST_F(SqliteQueueStoreTest, DrainFinishesQueuedWorkThenRefuses) {
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  std::atomic<int> stored{0};
  for (std::uint64_t i = 0; i < 500; ++i) {
    store_->append(request(q, i), [&](Result<AppendResult> r) {
      if (r && r->status == AppendStatus::Stored) ++stored;
    });
  }
  store_->drain();
  EXPECT_EQ(stored.load(), 500);
  store_->drain();  // idempotent

  auto refused = append_sync(*store_, request(q, 1000));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Internal);
  EXPECT_EQ(refused.error().message, "store is shutting down");
  auto ack = ack_sync(*store_, q.recv_id, 1);
  ASSERT_FALSE(ack);
  EXPECT_EQ(ack.error().code, ErrorCode::Internal);
  auto create = store_->create_queue(make_queue(2));
  ASSERT_FALSE(create);
  EXPECT_EQ(create.error().message, "store is shutting down");

  reopen();
  auto pending = store_->pending(q.recv_id, 0, 1000);
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->size(), 500u);
}

TEST_F(SqliteQueueStoreTest, BlockingCallFromCallbackFailsInsteadOfDeadlocking) {
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  std::promise<Result<void>> inner;
  auto future = inner.get_future();
  store_->append(request(q, 1), [&](Result<AppendResult>) {
    inner.set_value(store_->create_queue(make_queue(2)));
  });
  auto r = future.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Internal);
  // Asynchronous calls from a callback are fine.
  std::promise<Result<AppendResult>> chained;
  auto chained_future = chained.get_future();
  store_->append(request(q, 2), [&](Result<AppendResult>) {
    store_->append(request(q, 3),
                   [&](Result<AppendResult> r3) { chained.set_value(std::move(r3)); });
  });
  auto r3 = chained_future.get();
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->status, AppendStatus::Stored);
}

TEST_F(SqliteQueueStoreTest, ReopenKeepsEverything) {
  const QueueRecord q = make_queue(1);
  QueueRecord addr = make_queue(2, true);
  ASSERT_TRUE(store_->create_queue(q));
  ASSERT_TRUE(store_->create_queue(addr));
  const PublicKey sender = id_from<wire::kPublicKeyBytes>(5, 0xEE);
  ASSERT_TRUE(store_->secure_queue(q.recv_id, sender));
  for (std::uint64_t i = 1; i <= 20; ++i) ASSERT_TRUE(append_sync(*store_, request(q, i)));
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, 3));
  ASSERT_TRUE(store_->put_bundle(addr.recv_id, Bytes{8, 8}, {Bytes{1}, Bytes{2}}, false));
  const auto before = store_->counts();
  ASSERT_TRUE(before);

  reopen();
  auto found = store_->find_by_send_id(q.send_id);
  ASSERT_TRUE(found && *found && (*found)->sender_key);
  EXPECT_EQ(*(*found)->sender_key, sender);
  auto pending = store_->pending(q.recv_id, 0, 100);
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->size(), 19u);
  auto dup = append_sync(*store_, request(q, 3));
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->status, AppendStatus::Duplicate);
  auto t = store_->take_bundle(addr.send_id);
  ASSERT_TRUE(t && *t && (*t)->one_time_key);
  EXPECT_EQ((*t)->bundle, (Bytes{8, 8}));
  EXPECT_EQ(*(*t)->one_time_key, Bytes{1});
  auto after = store_->counts();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->queues, before->queues);
  EXPECT_EQ(after->messages, before->messages);
  EXPECT_EQ(after->message_bytes, before->message_bytes);
  ASSERT_TRUE(store_->check_integrity());
}

TEST_F(SqliteQueueStoreTest, DeleteQueueRemovesMessagesAndDedup) {
  const QueueRecord q = make_queue(1);
  const QueueRecord other = make_queue(2);
  ASSERT_TRUE(store_->create_queue(q));
  ASSERT_TRUE(store_->create_queue(other));
  for (std::uint64_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(append_sync(*store_, request(q, i)));
    ASSERT_TRUE(append_sync(*store_, request(other, i)));
  }
  ASSERT_TRUE(store_->delete_queue(q.recv_id));
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->queues, 1u);
  EXPECT_EQ(counts->messages, 5u);
  EXPECT_EQ(counts->message_bytes, 5u * 32u);
  // Recreated with the same ids (only a test would): empty, msg_ids from 1, no dedup memory.
  ASSERT_TRUE(store_->create_queue(q));
  auto pending = store_->pending(q.recv_id, 0, 100);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
  auto r = append_sync(*store_, request(q, 1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, AppendStatus::Stored);
  EXPECT_EQ(r->msg_id, 1u);
  // Appends racing a delete: NoSuchQueue or Stored, never an error.
  std::atomic<int> errors{0};
  for (std::uint64_t i = 10; i < 60; ++i) {
    store_->append(request(other, i), [&](Result<AppendResult> res) {
      if (!res) ++errors;
    });
  }
  ASSERT_TRUE(store_->delete_queue(other.recv_id));
  auto late = append_sync(*store_, request(other, 100));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, AppendStatus::NoSuchQueue);
  EXPECT_EQ(errors.load(), 0);
  counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->queues, 1u);
  EXPECT_EQ(counts->messages, 1u);
}

TEST_F(SqliteQueueStoreTest, DiskFullFailsTheBatchAndKeepsWhatWasAcked) {
  // 4 KiB pages: a cap of 64 pages fills after a few dozen 4 KiB bodies.
  SqliteQueueStore::Options capped;
  capped.max_page_count = 64;
  reopen(std::move(capped));
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  std::vector<std::uint64_t> acked;
  bool full = false;
  for (std::uint64_t i = 1; i <= 200 && !full; ++i) {
    auto r = append_sync(*store_, request(q, i, 1000, kBigQuota, 4000));
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::DiskFull) << r.error();
      full = true;
    } else {
      ASSERT_EQ(r->status, AppendStatus::Stored);
      acked.push_back(i);
    }
  }
  ASSERT_TRUE(full);
  ASSERT_FALSE(acked.empty());
  // Other writes still work, and the counters were not touched by the failed batch.
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->messages, acked.size());
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, 1));
  reopen();  // no cap
  auto pending = store_->pending(q.recv_id, 0, 1000);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), acked.size() - 1);
  for (std::size_t i = 0; i < pending->size(); ++i) {
    EXPECT_EQ((*pending)[i].body, body_of(acked[i + 1], 4000));
  }
  auto r = append_sync(*store_, request(q, 1000, 1000, kBigQuota, 4000));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, AppendStatus::Stored);
  EXPECT_EQ(r->msg_id, acked.size() + 1);  // the failed batch consumed no msg_id
  ASSERT_TRUE(store_->check_integrity());
}

// A held message that cannot be written when its hold time ends (a full disk) stays held: still
// pending and unanswered, while ACKs go on committing; its ACK then settles it. One still held
// when the store stops is answered with an error.
TEST_F(SqliteQueueStoreTest, AHeldMessageThatCannotBeWrittenStaysHeld) {
  SqliteQueueStore::Options capped = holding_for(std::chrono::milliseconds(30));
  capped.max_page_count = 64;
  reopen(std::move(capped));
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  std::uint64_t stored = 0;
  for (std::uint64_t i = 1; i <= 200; ++i) {
    auto r = append_sync(*store_, request(q, i, 1000, kBigQuota, 4000));
    if (!r) {
      ASSERT_EQ(r.error().code, ErrorCode::DiskFull) << r.error();
      break;
    }
    stored = i;
  }
  ASSERT_GT(stored, 0u);
  ASSERT_LT(stored, 200u) << "the disk never filled";
  // Its number still fits (a short dedup-log row); its 4,000-byte body does not.
  auto held = append_held(*store_, request(q, 500, 1000, kBigQuota, 4000));
  ASSERT_TRUE(ready_within(held->numbered_future, std::chrono::seconds(10)))
      << "numbering failed too";
  const std::uint64_t msg_id = held->numbered_future.get().msg_id;
  EXPECT_EQ(msg_id, stored + 1);
  EXPECT_FALSE(ready_within(held->done_future, std::chrono::milliseconds(500)));
  auto pending = store_->pending(q.recv_id, stored, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].msg_id, msg_id);
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, 2));  // an ACK commits meanwhile
  // Another one that cannot be written: still held when the store stops, it is answered with an
  // error (its number is durable: a retry later gets the same msg_id).
  auto unwritable = append_held(*store_, request(q, 501, 1000, kBigQuota, 8000));
  ASSERT_TRUE(ready_within(unwritable->numbered_future, std::chrono::seconds(10)));
  const std::uint64_t unwritable_id = unwritable->numbered_future.get().msg_id;
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, msg_id));
  ASSERT_TRUE(ready_within(held->done_future, std::chrono::seconds(10)));
  auto done = held->done_future.get();
  ASSERT_TRUE(done) << done.error();
  EXPECT_EQ(done->status, AppendStatus::Stored);
  EXPECT_FALSE(ready_within(unwritable->done_future, std::chrono::milliseconds(0)));
  store_->drain();
  ASSERT_TRUE(ready_within(unwritable->done_future, std::chrono::milliseconds(0)));
  auto refused = unwritable->done_future.get();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::StorageIo);
  reopen();  // no cap
  ASSERT_TRUE(store_->check_integrity());
  EXPECT_EQ(store_->counts()->messages, stored - 1);
  auto retry = append_sync(*store_, request(q, 501, 1000, kBigQuota, 8000));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, AppendStatus::Stored);
  EXPECT_EQ(retry->msg_id, unwritable_id);
}

// The dedup log keeps its newest max_released rows, in memory and on disk: older rows are never
// read again (a restart reads back only the newest), so expire() drops them even within the
// dedup window, and the file stops growing with the traffic of the last 24 hours.
TEST_F(SqliteQueueStoreTest, TheDedupLogKeepsOnlyItsNewestRows) {
  SqliteQueueStore::Options options;
  options.max_released = 3;
  reopen(options);
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  for (std::uint64_t i = 1; i <= 5; ++i) {
    auto r = append_sync(*store_, request(q, i));
    ASSERT_TRUE(r && r->status == AppendStatus::Stored);
    ASSERT_TRUE(ack_sync(*store_, q.recv_id, r->msg_id));
  }
  ASSERT_TRUE(store_->expire(0, 0));  // nothing is past the dedup window
  store_.reset();
  {
    auto db = sqlite::Database::open(file(), sqlite::OpenMode::OpenExisting);
    ASSERT_TRUE(db);
    auto rows = db->prepare("SELECT count(*) FROM released");
    ASSERT_TRUE(rows);
    auto row = rows->step();
    ASSERT_TRUE(row && *row);
    EXPECT_EQ(rows->column_int64(0), 3);
  }
  reopen(options);
  for (std::uint64_t i : {3u, 4u, 5u}) {
    auto r = append_sync(*store_, request(q, i));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, AppendStatus::Duplicate) << i;
  }
  auto forgotten = append_sync(*store_, request(q, 1));  // forgotten early (§5)
  ASSERT_TRUE(forgotten);
  EXPECT_EQ(forgotten->status, AppendStatus::Stored);
}

TEST_F(SqliteQueueStoreTest, SchemaVersionAndTooNew) {
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  store_.reset();
  {
    auto db = sqlite::Database::open(file(), sqlite::OpenMode::OpenExisting);
    ASSERT_TRUE(db);
    {
      auto version = db->prepare("PRAGMA user_version");
      ASSERT_TRUE(version);
      auto row = version->step();
      ASSERT_TRUE(row && *row);
      EXPECT_EQ(version->column_int64(0), SqliteQueueStore::kSchemaVersion);
    }
    ASSERT_TRUE(
        db->exec("PRAGMA user_version=" + std::to_string(SqliteQueueStore::kSchemaVersion + 1)));
  }
  auto too_new = SqliteQueueStore::open(file());
  ASSERT_FALSE(too_new);
  EXPECT_EQ(too_new.error().code, ErrorCode::SchemaTooNew);
}

TEST_F(SqliteQueueStoreTest, AckedIdsStayDuplicatesAcrossARestart) {
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  auto r = append_sync(*store_, request(q, 7));
  ASSERT_TRUE(r && r->status == AppendStatus::Stored);
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, r->msg_id));
  reopen();  // the released log is read back into memory
  auto again = append_sync(*store_, request(q, 7));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, AppendStatus::Duplicate);
  auto other = append_sync(*store_, request(q, 8));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, AppendStatus::Stored);
  EXPECT_EQ(other->msg_id, 2u);  // the queue's counter survived the restart too
}

// A store written by schema v1 (the first relay release's format, fixed here as it was on disk)
// is upgraded in place: its acknowledged client_msg_ids move to the released log and are still
// duplicates; stored messages and their dedup records stay.
TEST_F(SqliteQueueStoreTest, UpgradesSchemaV1) {
  store_.reset();
  std::filesystem::remove(file());
  const QueueRecord q = make_queue(1);
  {
    auto db = sqlite::Database::open(file(), sqlite::OpenMode::CreateIfMissing);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec(R"sql(
CREATE TABLE queues (
  recv_id BLOB PRIMARY KEY CHECK (length(recv_id) = 16),
  send_id BLOB NOT NULL UNIQUE CHECK (length(send_id) = 16),
  recipient_key BLOB NOT NULL CHECK (length(recipient_key) = 32),
  sender_key BLOB CHECK (sender_key IS NULL OR length(sender_key) = 32),
  contact_address INTEGER NOT NULL CHECK (contact_address IN (0, 1)),
  created_ms INTEGER NOT NULL,
  next_msg_id INTEGER NOT NULL DEFAULT 1 CHECK (next_msg_id >= 1),
  msg_count INTEGER NOT NULL DEFAULT 0 CHECK (msg_count >= 0),
  msg_bytes INTEGER NOT NULL DEFAULT 0 CHECK (msg_bytes >= 0)
) STRICT, WITHOUT ROWID;
CREATE TABLE messages (
  recv_id BLOB NOT NULL, msg_id INTEGER NOT NULL,
  client_msg_id BLOB NOT NULL CHECK (length(client_msg_id) = 16),
  ts_ms INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (recv_id, msg_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX messages_by_ts ON messages (ts_ms);
CREATE TABLE dedup (
  recv_id BLOB NOT NULL, client_msg_id BLOB NOT NULL CHECK (length(client_msg_id) = 16),
  released_ms INTEGER, PRIMARY KEY (recv_id, client_msg_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX dedup_by_released ON dedup (released_ms) WHERE released_ms IS NOT NULL;
CREATE TABLE bundles (recv_id BLOB PRIMARY KEY, bundle BLOB NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE one_time_keys (
  recv_id BLOB NOT NULL, seq INTEGER NOT NULL, otk BLOB NOT NULL, PRIMARY KEY (recv_id, seq)
) STRICT, WITHOUT ROWID;
PRAGMA user_version=1;
)sql"));
    // Message 1 was acked at 5,000 (its dedup record released); message 2 is stored.
    ASSERT_TRUE(sqlite::execute(
        *db,
        "INSERT INTO queues (recv_id, send_id, recipient_key, contact_address, created_ms, "
        "next_msg_id, msg_count, msg_bytes) VALUES (?1, ?2, ?3, 0, 1, 3, 1, 32)",
        ByteView(q.recv_id), ByteView(q.send_id), ByteView(q.recipient_key)));
    const ClientMessageId acked = cmid(1);
    const ClientMessageId stored = cmid(2);
    const Bytes body = body_of(2);
    ASSERT_TRUE(sqlite::execute(*db, "INSERT INTO messages VALUES (?1, 2, ?2, 2000, ?3)",
                                ByteView(q.recv_id), ByteView(stored), ByteView(body)));
    ASSERT_TRUE(sqlite::execute(*db, "INSERT INTO dedup VALUES (?1, ?2, 5000)", ByteView(q.recv_id),
                                ByteView(acked)));
    ASSERT_TRUE(sqlite::execute(*db, "INSERT INTO dedup VALUES (?1, ?2, NULL)", ByteView(q.recv_id),
                                ByteView(stored)));
  }
  store_ = open_store(file());
  ASSERT_NE(store_, nullptr);
  for (std::uint64_t n : {1u, 2u}) {
    auto r = append_sync(*store_, request(q, n));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, AppendStatus::Duplicate) << n;
  }
  auto left = store_->pending(q.recv_id, 0, 10);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().msg_id, 2u);
  EXPECT_EQ(left->front().body, body_of(2));
  auto fresh = append_sync(*store_, request(q, 3));
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, AppendStatus::Stored);
  EXPECT_EQ(fresh->msg_id, 3u);
  // The moved record keeps the hour of its release time (hour 0): a cutoff past that hour ends
  // its window.
  ASSERT_TRUE(store_->expire(0, kDedupHourMs - 1));
  auto within = append_sync(*store_, request(q, 1));
  ASSERT_TRUE(within);
  EXPECT_EQ(within->status, AppendStatus::Duplicate);
  ASSERT_TRUE(store_->expire(0, kDedupHourMs));
  auto after = append_sync(*store_, request(q, 1));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, AppendStatus::Stored);
  ASSERT_TRUE(store_->check_integrity());
}

TEST_F(SqliteQueueStoreTest, SecureDeleteOverwritesAckedBodies) {
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  AppendRequest r = request(q, 1);
  const std::string marker = "EXILE-SECRET-CIPHERTEXT-MARKER-0123456789";
  r.body.assign(marker.begin(), marker.end());
  auto stored = append_sync(*store_, std::move(r));
  ASSERT_TRUE(stored && stored->status == AppendStatus::Stored);
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, stored->msg_id));
  const auto contains_marker = [&](const std::filesystem::path& path) {
    return file_contains(path, marker);
  };
  const std::filesystem::path wal = file().string() + "-wal";
  EXPECT_TRUE(contains_marker(wal));  // the WAL still holds the frame that stored it
  // The minute sweep (expire) checkpoints and truncates the WAL while the store is open.
  ASSERT_TRUE(store_->expire(0, 0));
  EXPECT_FALSE(contains_marker(file()));
  EXPECT_FALSE(contains_marker(wal));
  EXPECT_EQ(std::filesystem::file_size(wal), 0u);
  // Still usable after the truncation.
  auto more = append_sync(*store_, request(q, 2));
  ASSERT_TRUE(more && more->status == AppendStatus::Stored);
  store_.reset();  // closing checkpoints and removes the WAL
  EXPECT_FALSE(contains_marker(file()));
  EXPECT_FALSE(contains_marker(wal));
}

// --- Messages held for their ACK (relay-protocol.md §5) ------------------------------------

// Acked while held: the SEND is answered then, and the body never reaches the database or WAL.
TEST_F(SqliteQueueStoreTest, AHeldMessageAckedInTimeNeverReachesTheDisk) {
  reopen(holding_for(std::chrono::hours(1)));
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  const std::string marker = "EXILE-HELD-CIPHERTEXT-MARKER-9876543210";
  AppendRequest r = request(q, 1);
  r.body.assign(marker.begin(), marker.end());
  auto held = append_held(*store_, std::move(r));
  ASSERT_TRUE(ready_within(held->numbered_future, std::chrono::seconds(10)));
  const AppendResult numbered = held->numbered_future.get();
  EXPECT_EQ(numbered.status, AppendStatus::Stored);
  EXPECT_EQ(numbered.msg_id, 1u);
  EXPECT_EQ(numbered.recv_id, q.recv_id);
  // Not answered yet: it is neither acked nor written.
  EXPECT_FALSE(ready_within(held->done_future, std::chrono::milliseconds(200)));
  // It is pending like a stored message (a SUB pushes it), and counted.
  auto pending = store_->pending(q.recv_id, 0, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].msg_id, 1u);
  EXPECT_EQ(std::string((*pending)[0].body.begin(), (*pending)[0].body.end()), marker);
  EXPECT_EQ(store_->counts()->messages, 1u);

  ASSERT_TRUE(ack_sync(*store_, q.recv_id, 1));
  ASSERT_TRUE(ready_within(held->done_future, std::chrono::seconds(10)));
  auto done = held->done_future.get();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, AppendStatus::Stored);
  EXPECT_EQ(done->msg_id, 1u);
  pending = store_->pending(q.recv_id, 0, 10);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
  EXPECT_EQ(store_->counts()->messages, 0u);

  // A retry is a duplicate, held or not, and the queue's counter went on.
  auto retry = append_sync(*store_, request(q, 1));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, AppendStatus::Duplicate);
  auto held_retry = append_held(*store_, request(q, 1));
  ASSERT_TRUE(ready_within(held_retry->done_future, std::chrono::seconds(10)));
  auto held_retry_done = held_retry->done_future.get();
  ASSERT_TRUE(held_retry_done);
  EXPECT_EQ(held_retry_done->status, AppendStatus::Duplicate);
  EXPECT_FALSE(ready_within(held_retry->numbered_future, std::chrono::milliseconds(0)));
  auto next = append_sync(*store_, request(q, 2));
  ASSERT_TRUE(next && next->status == AppendStatus::Stored);
  EXPECT_EQ(next->msg_id, 2u);

  const std::filesystem::path wal = file().string() + "-wal";
  EXPECT_FALSE(file_contains(file(), marker));
  EXPECT_FALSE(file_contains(wal, marker));
  store_.reset();
  EXPECT_FALSE(file_contains(file(), marker));
  reopen();
  retry = append_sync(*store_, request(q, 1));  // from the dedup log on disk
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, AppendStatus::Duplicate);
}

// No ACK within the hold time: the message is written, and only then is the SEND answered.
TEST_F(SqliteQueueStoreTest, AHeldMessageIsWrittenWhenNoAckComes) {
  reopen(holding_for(std::chrono::milliseconds(50)));
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  auto held = append_held(*store_, request(q, 1));
  ASSERT_TRUE(ready_within(held->numbered_future, std::chrono::seconds(10)));
  EXPECT_EQ(held->numbered_future.get().msg_id, 1u);
  // Nothing else arrives: the writer wakes for the deadline by itself.
  ASSERT_TRUE(ready_within(held->done_future, std::chrono::seconds(10)));
  auto done = held->done_future.get();
  ASSERT_TRUE(done && done->status == AppendStatus::Stored);
  EXPECT_EQ(done->msg_id, 1u);
  auto plain = append_sync(*store_, request(q, 2));
  ASSERT_TRUE(plain && plain->status == AppendStatus::Stored);
  EXPECT_EQ(plain->msg_id, 2u);

  reopen();
  auto pending = store_->pending(q.recv_id, 0, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].msg_id, 1u);
  EXPECT_EQ((*pending)[0].body, body_of(1));
  EXPECT_EQ((*pending)[1].msg_id, 2u);
  EXPECT_EQ(store_->counts()->messages, 2u);
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, 1));
  pending = store_->pending(q.recv_id, 0, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].msg_id, 2u);
  auto retry = append_sync(*store_, request(q, 1));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, AppendStatus::Duplicate);
}

// Past the cap on held messages (their count, or their bodies' bytes), the oldest are written
// at once, whatever their hold time, and their SENDs answered; the rest stay held. Nothing is
// lost either way: every message is pending, in order, and each ACK settles its SEND.
TEST_F(SqliteQueueStoreTest, HeldMessagesPastTheCapAreWrittenOldestFirst) {
  struct Cap {
    std::size_t messages;
    std::int64_t bytes;
    std::size_t body;
    std::size_t most_held;  // what the cap leaves held
  };
  for (const Cap cap : {Cap{3, std::int64_t{1} << 30, 32, 3}, Cap{1000, 10000, 4000, 2}}) {
    SCOPED_TRACE(testing::Message()
                 << "cap " << cap.messages << " messages, " << cap.bytes << " bytes");
    SqliteQueueStore::Options options = holding_for(std::chrono::hours(1));
    options.max_held_messages = cap.messages;
    options.max_held_bytes = cap.bytes;
    reopen(options);
    const QueueRecord q = make_queue(static_cast<std::uint8_t>(cap.messages % 200));
    ASSERT_TRUE(store_->create_queue(q));
    constexpr std::uint64_t kSent = 6;
    std::vector<std::shared_ptr<HeldAppend>> sent;
    for (std::uint64_t n = 1; n <= kSent; ++n) {
      sent.push_back(append_held(*store_, request(q, n, 1000, kBigQuota, cap.body)));
      ASSERT_TRUE(ready_within(sent.back()->numbered_future, std::chrono::seconds(10)));
      EXPECT_EQ(sent.back()->numbered_future.get().msg_id, n);
    }
    auto answered = [&] {
      return static_cast<std::size_t>(std::ranges::count_if(sent, [](const auto& held) {
        return ready_within(held->done_future, std::chrono::milliseconds(0));
      }));
    };
    // The writer sees the cap by itself: no ACK, no other request.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (answered() < kSent - cap.most_held && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Which ones were written depends on timing (a SEND that comes while the cap is exceeded
    // is written rather than held), but never more than needed, and the oldest always.
    EXPECT_EQ(answered(), kSent - cap.most_held) << "held past the cap, or written too early";
    EXPECT_TRUE(ready_within(sent[0]->done_future, std::chrono::milliseconds(0)))
        << "the oldest was not written";
    auto pending = store_->pending(q.recv_id, 0, 10);
    ASSERT_TRUE(pending);
    ASSERT_EQ(pending->size(), kSent);
    for (std::uint64_t n = 1; n <= kSent; ++n) {
      EXPECT_EQ((*pending)[n - 1].msg_id, n);
      EXPECT_EQ((*pending)[n - 1].body, body_of(n, cap.body));
    }
    for (std::uint64_t n = 1; n <= kSent; ++n) ASSERT_TRUE(ack_sync(*store_, q.recv_id, n));
    for (const auto& held : sent) {
      ASSERT_TRUE(ready_within(held->done_future, std::chrono::seconds(10)));
      auto done = held->done_future.get();
      ASSERT_TRUE(done && done->status == AppendStatus::Stored);
    }
    EXPECT_EQ(store_->counts()->messages, 0u);
  }
}

// A held message older than the expiry's cutoff expires in memory, and its SEND is answered; at
// shutdown every held message is written, and every held SEND answered before the store closes.
TEST_F(SqliteQueueStoreTest, HeldMessagesExpireInMemoryAndAreWrittenOnDrain) {
  reopen(holding_for(std::chrono::hours(1)));
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  auto old = append_held(*store_, request(q, 1, 1000));
  ASSERT_TRUE(ready_within(old->numbered_future, std::chrono::seconds(10)));
  auto removed = store_->expire(2000, 0);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, 1u);
  ASSERT_TRUE(ready_within(old->done_future, std::chrono::seconds(10)));
  auto old_done = old->done_future.get();
  ASSERT_TRUE(old_done && old_done->status == AppendStatus::Stored);

  auto young = append_held(*store_, request(q, 2, 5000));
  ASSERT_TRUE(ready_within(young->numbered_future, std::chrono::seconds(10)));
  EXPECT_EQ(young->numbered_future.get().msg_id, 2u);
  store_->drain();
  ASSERT_TRUE(ready_within(young->done_future, std::chrono::milliseconds(0)));
  auto young_done = young->done_future.get();
  ASSERT_TRUE(young_done && young_done->status == AppendStatus::Stored);
  reopen();
  auto pending = store_->pending(q.recv_id, 0, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].msg_id, 2u);
  EXPECT_EQ((*pending)[0].timestamp_ms, 5000u);
}

TEST_F(SqliteQueueStoreTest, HeldMessagesCountTowardTheQuota) {
  reopen(holding_for(std::chrono::hours(1)));
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  const Quota two{2, 1ull << 40};
  auto first = append_held(*store_, request(q, 1, 1000, two));
  auto second = append_held(*store_, request(q, 2, 1000, two));
  ASSERT_TRUE(ready_within(first->numbered_future, std::chrono::seconds(10)));
  ASSERT_TRUE(ready_within(second->numbered_future, std::chrono::seconds(10)));
  auto third = append_sync(*store_, request(q, 3, 1000, two));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, AppendStatus::QueueFull);
  auto retry = append_sync(*store_, request(q, 1, 1000, two));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, AppendStatus::Duplicate);  // even with the queue full
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, 1));
  third = append_sync(*store_, request(q, 3, 1000, two));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, AppendStatus::Stored);
  EXPECT_EQ(third->msg_id, 3u);
}

// --- The dedup log's format (relay-protocol.md §10) ----------------------------------------

// A row of the dedup log as relay-protocol.md §10 states it: BLAKE2b-192 keyed with the
// queue's dedup_salt over "exile-relay-dedup-v4" ‖ client_msg_id; its first 16 bytes are the
// dedup_key, its last 8 (big-endian) are XORed onto the msg_id (0 for an acked or expired
// message) to give `sealed`.
struct DedupRow {
  Bytes key;
  std::uint64_t sealed = 0;
  std::int64_t hour = 0;
};

// The rows of the log in their order, without clean-stop rows (all zero bytes).
std::vector<DedupRow> dedup_rows(const std::filesystem::path& file) {
  std::vector<DedupRow> out;
  auto db = sqlite::Database::open(file, sqlite::OpenMode::OpenExisting);
  EXPECT_TRUE(db);
  if (!db) return out;
  auto rows = db->prepare(
      "SELECT dedup_key, sealed, hour FROM released "
      "WHERE dedup_key != zeroblob(16) OR sealed != zeroblob(8) ORDER BY seq");
  EXPECT_TRUE(rows);
  if (!rows) return out;
  for (;;) {
    auto row = rows->step();
    if (!row || !*row) break;
    DedupRow& r = out.emplace_back();
    r.key = rows->column_blob(0);
    for (std::uint8_t b : rows->column_blob(1)) r.sealed = (r.sealed << 8) | b;
    r.hour = rows->column_int64(2);
  }
  return out;
}

Bytes dedup_salt_of(const std::filesystem::path& file, const QueueId& recv_id) {
  auto db = sqlite::Database::open(file, sqlite::OpenMode::OpenExisting);
  EXPECT_TRUE(db);
  if (!db) return {};
  auto row = db->prepare("SELECT dedup_salt FROM queues WHERE recv_id = ?1");
  EXPECT_TRUE(row);
  if (!row) return {};
  row->bind(1, ByteView(recv_id));
  auto found = row->step();
  EXPECT_TRUE(found && *found);
  return found && *found ? row->column_blob(0) : Bytes{};
}

// The documented hash: the row's dedup_key, and the mask of its msg_id.
std::pair<Bytes, std::uint64_t> documented_seal(const Bytes& salt, const ClientMessageId& id) {
  const std::string label = "exile-relay-dedup-v4";
  Bytes in(label.begin(), label.end());
  in.insert(in.end(), id.begin(), id.end());
  std::array<std::uint8_t, 24> out{};
  crypto_generichash(out.data(), out.size(), in.data(), in.size(), salt.data(), salt.size());
  std::uint64_t mask = 0;
  for (std::size_t i = 16; i < 24; ++i) mask = (mask << 8) | out[i];
  return {Bytes(out.begin(), out.begin() + 16), mask};
}

// One client_msg_id acked in two queues gives two unrelated rows, each found only with its own
// queue's salt; a held message's row seals its msg_id; the row keeps the hour, not the time.
TEST_F(SqliteQueueStoreTest, TheDedupLogIsKeyedPerQueueAndSealsHeldMsgIds) {
  constexpr std::uint64_t kNow = 500'000 * kDedupHourMs + 1'234'567;
  SqliteQueueStore::Options options = holding_for(std::chrono::hours(1));
  options.now_ms = [] { return kNow; };
  reopen(std::move(options));
  const QueueRecord a = make_queue(1);
  const QueueRecord b = make_queue(2);
  ASSERT_TRUE(store_->create_queue(a));
  ASSERT_TRUE(store_->create_queue(b));
  for (const QueueRecord* q : {&a, &b}) {
    auto r = append_sync(*store_, request(*q, 1));
    ASSERT_TRUE(r && r->status == AppendStatus::Stored);
    ASSERT_TRUE(ack_sync(*store_, q->recv_id, r->msg_id));
  }
  auto held = append_held(*store_, request(a, 2));
  ASSERT_TRUE(ready_within(held->numbered_future, std::chrono::seconds(10)));
  EXPECT_EQ(held->numbered_future.get().msg_id, 2u);

  const Bytes salt_a = dedup_salt_of(file(), a.recv_id);
  const Bytes salt_b = dedup_salt_of(file(), b.recv_id);
  ASSERT_EQ(salt_a.size(), 32u);
  ASSERT_EQ(salt_b.size(), 32u);
  EXPECT_NE(salt_a, salt_b);
  const auto rows = dedup_rows(file());
  ASSERT_EQ(rows.size(), 3u);
  const auto a1 = documented_seal(salt_a, cmid(1));
  const auto b1 = documented_seal(salt_b, cmid(1));
  const auto a2 = documented_seal(salt_a, cmid(2));
  EXPECT_NE(rows[0].key, rows[1].key) << "one client_msg_id, two queues, one key";
  EXPECT_EQ(rows[0].key, a1.first);
  EXPECT_EQ(rows[0].sealed, a1.second) << "an acked message seals msg_id 0";
  EXPECT_EQ(rows[1].key, b1.first);
  EXPECT_EQ(rows[1].sealed, b1.second);
  EXPECT_EQ(rows[2].key, a2.first);
  EXPECT_EQ(rows[2].sealed ^ a2.second, 2u) << "the held message's msg_id, sealed";
  for (const DedupRow& r : rows) EXPECT_EQ(r.hour, static_cast<std::int64_t>(500'000));

  ASSERT_TRUE(ack_sync(*store_, a.recv_id, 2));
  ASSERT_TRUE(ready_within(held->done_future, std::chrono::seconds(10)));
  EXPECT_EQ(dedup_rows(file()).size(), 3u) << "an ACK in time writes nothing more";
}

// A held message written when no ACK came takes its row out of the log (its client_msg_id is
// unique in `messages` now, and would find the row through the queue's salt); its ACK starts
// its dedup window with a new row. Duplicates are recognised throughout, across a reopen too.
TEST_F(SqliteQueueStoreTest, AWrittenHeldMessageLeavesNoRowInTheLog) {
  reopen(holding_for(std::chrono::milliseconds(20)));
  const QueueRecord q = make_queue(1);
  ASSERT_TRUE(store_->create_queue(q));
  auto held = append_held(*store_, request(q, 1));
  ASSERT_TRUE(ready_within(held->done_future, std::chrono::seconds(10)));
  auto done = held->done_future.get();
  ASSERT_TRUE(done && done->status == AppendStatus::Stored);
  EXPECT_TRUE(dedup_rows(file()).empty());
  auto retry = append_sync(*store_, request(q, 1));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, AppendStatus::Duplicate);
  reopen(holding_for(std::chrono::milliseconds(20)));
  retry = append_sync(*store_, request(q, 1));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, AppendStatus::Duplicate) << "stored: a duplicate by `messages`";
  ASSERT_TRUE(ack_sync(*store_, q.recv_id, done->msg_id));
  const Bytes salt = dedup_salt_of(file(), q.recv_id);
  const auto rows = dedup_rows(file());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].key, documented_seal(salt, cmid(1)).first);
  reopen();
  retry = append_sync(*store_, request(q, 1));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, AppendStatus::Duplicate) << "acked: a duplicate by the log";
}

// A store of schema v3 (held messages' msg_ids and exact times in the log) is upgraded in place:
// every queue gets its own random salt, its messages and counters stay, and the old log is
// dropped (its keys cannot be rehashed: the client_msg_ids are gone).
TEST_F(SqliteQueueStoreTest, UpgradesSchemaV3DroppingTheLinkableLog) {
  store_.reset();
  std::filesystem::remove(file());
  const QueueRecord q = make_queue(1);
  const QueueRecord r = make_queue(2);
  {
    auto db = sqlite::Database::open(file(), sqlite::OpenMode::CreateIfMissing);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec(R"sql(
CREATE TABLE queues (
  recv_id BLOB PRIMARY KEY CHECK (length(recv_id) = 16),
  send_id BLOB NOT NULL UNIQUE CHECK (length(send_id) = 16),
  recipient_key BLOB NOT NULL CHECK (length(recipient_key) = 32),
  sender_key BLOB CHECK (sender_key IS NULL OR length(sender_key) = 32),
  contact_address INTEGER NOT NULL CHECK (contact_address IN (0, 1)),
  created_ms INTEGER NOT NULL,
  next_msg_id INTEGER NOT NULL DEFAULT 1 CHECK (next_msg_id >= 1),
  msg_count INTEGER NOT NULL DEFAULT 0 CHECK (msg_count >= 0),
  msg_bytes INTEGER NOT NULL DEFAULT 0 CHECK (msg_bytes >= 0)
) STRICT, WITHOUT ROWID;
CREATE TABLE messages (
  seq INTEGER PRIMARY KEY, recv_id BLOB NOT NULL, msg_id INTEGER NOT NULL,
  client_msg_id BLOB NOT NULL CHECK (length(client_msg_id) = 16),
  ts_ms INTEGER NOT NULL, body BLOB NOT NULL,
  UNIQUE (recv_id, msg_id), UNIQUE (recv_id, client_msg_id)
) STRICT;
CREATE INDEX messages_by_ts ON messages (ts_ms);
CREATE TABLE released (
  seq INTEGER PRIMARY KEY, dedup_key BLOB NOT NULL CHECK (length(dedup_key) = 16),
  released_ms INTEGER NOT NULL, msg_id INTEGER
) STRICT;
CREATE TABLE bundles (recv_id BLOB PRIMARY KEY, bundle BLOB NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE one_time_keys (
  recv_id BLOB NOT NULL, seq INTEGER NOT NULL, otk BLOB NOT NULL, PRIMARY KEY (recv_id, seq)
) STRICT, WITHOUT ROWID;
PRAGMA user_version=3;
)sql"));
    for (const QueueRecord* queue : {&q, &r}) {
      ASSERT_TRUE(sqlite::execute(
          *db,
          "INSERT INTO queues (recv_id, send_id, recipient_key, contact_address, created_ms, "
          "next_msg_id, msg_count, msg_bytes) VALUES (?1, ?2, ?3, 0, 1, 4, 1, 32)",
          ByteView(queue->recv_id), ByteView(queue->send_id), ByteView(queue->recipient_key)));
    }
    ASSERT_TRUE(sqlite::execute(*db,
                                "UPDATE queues SET msg_count = 0, msg_bytes = 0 WHERE recv_id = ?1",
                                ByteView(r.recv_id)));
    ASSERT_TRUE(
        sqlite::execute(*db,
                        "INSERT INTO messages (recv_id, msg_id, client_msg_id, ts_ms, body) VALUES "
                        "(?1, 3, ?2, 2000, ?3)",
                        ByteView(q.recv_id), ByteView(cmid(3)), ByteView(body_of(3))));
    // The chain of held msg_ids 1, 2 that v3 left, and a clean stop.
    const std::array<std::uint8_t, 16> key{1};
    for (std::int64_t msg_id : {1, 2, 0}) {
      ASSERT_TRUE(sqlite::execute(
          *db, "INSERT INTO released (dedup_key, released_ms, msg_id) VALUES (?1, 5000, ?2)",
          ByteView(key), msg_id));
    }
  }
  store_ = open_store(file());
  ASSERT_NE(store_, nullptr);
  {
    auto db = sqlite::Database::open(file(), sqlite::OpenMode::OpenExisting);
    ASSERT_TRUE(db);
    auto version = db->prepare("PRAGMA user_version");
    ASSERT_TRUE(version);
    ASSERT_TRUE(*version->step());
    EXPECT_EQ(version->column_int64(0), 4);
  }
  EXPECT_TRUE(dedup_rows(file()).empty());
  const Bytes salt_q = dedup_salt_of(file(), q.recv_id);
  const Bytes salt_r = dedup_salt_of(file(), r.recv_id);
  ASSERT_EQ(salt_q.size(), 32u);
  EXPECT_NE(salt_q, Bytes(32, 0));
  EXPECT_NE(salt_q, salt_r);
  auto left = store_->pending(q.recv_id, 0, 10);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().msg_id, 3u);
  auto stored = append_sync(*store_, request(q, 3));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, AppendStatus::Duplicate);
  auto fresh = append_sync(*store_, request(q, 4));
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, AppendStatus::Stored);
  EXPECT_EQ(fresh->msg_id, 4u);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->queues, 2u);
  EXPECT_EQ(counts->messages, 2u);
  ASSERT_TRUE(store_->check_integrity());
}

// kill -9 while a message is held: it was never answered, so its sender retries, and the retry
// gets the msg_id the lost message had (a recipient who had it drops it as a repeat).
TEST(SqliteQueueStoreHeldCrashTest, ARetryAfterAKillGetsTheHeldMsgId) {
  TempDir dir;
  const std::filesystem::path file = dir.file("relay.db");
  const QueueRecord q = make_queue(1);
  {
    auto store = open_store(file);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->create_queue(q));
    auto first = append_sync(*store, request(q, 100));
    ASSERT_TRUE(first && first->msg_id == 1u);
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto store = SqliteQueueStore::open(file, holding_for(std::chrono::hours(1)));
    if (!store) ::_exit(2);
    auto held = append_held(**store, request(q, 1));
    if (!ready_within(held->numbered_future, std::chrono::seconds(30))) ::_exit(3);
    const std::uint64_t msg_id = held->numbered_future.get().msg_id;
    if (::write(fds[1], &msg_id, sizeof msg_id) != sizeof msg_id) ::_exit(4);
    for (;;) ::pause();  // killed here, still holding the message
  }
  ::close(fds[1]);
  std::uint64_t msg_id = 0;
  const auto got = ::read(fds[0], &msg_id, sizeof msg_id);
  ::close(fds[0]);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_EQ(got, static_cast<ssize_t>(sizeof msg_id)) << "child exit status " << status;
  EXPECT_EQ(msg_id, 2u);

  auto store = open_store(file);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->check_integrity());
  auto pending = store->pending(q.recv_id, 1, 10);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());  // the held message died with the process
  auto retry = append_sync(*store, request(q, 1));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, AppendStatus::Stored);
  EXPECT_EQ(retry->msg_id, 2u);
  auto next = append_sync(*store, request(q, 2));
  ASSERT_TRUE(next && next->status == AppendStatus::Stored);
  EXPECT_EQ(next->msg_id, 3u);  // the number given while held was not reused
  auto again = append_sync(*store, request(q, 1));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, AppendStatus::Duplicate);
  pending = store->pending(q.recv_id, 1, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].msg_id, 2u);
  EXPECT_EQ((*pending)[0].body, body_of(1));
}

}  // namespace
}  // namespace exile::relay
