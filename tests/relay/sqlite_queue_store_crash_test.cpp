// kill -9 of a relay store in the middle of group commits loses nothing it acknowledged.
// A fork()ed child appends (and acks some of what it stored) from several threads and reports
// each acknowledgement through a pipe; the parent SIGKILLs it after a random delay, reopens the
// store and checks: integrity_check passes, every message whose append was acknowledged is
// there unless an ack was issued for it, every acknowledged ack took effect, no message is
// stored twice, and the counters match the rows. EXILE_CRASH_KILLS sets the number of kills
// (default 20); EXILE_CRASH_SEED the random seed.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "relay/sqlite_queue_store.h"
#include "support/temp_dir.h"

namespace exile::relay {
namespace {

constexpr int kQueues = 4;
constexpr std::size_t kRecordBytes = 1 + kClientMessageIdBytes;
constexpr std::uint8_t kStored = 'S';     // the append's done said Stored
constexpr std::uint8_t kAckIssued = 'K';  // an ack for it was submitted
constexpr std::uint8_t kAckDone = 'A';    // that ack's done said Ok

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  const long n = value != nullptr ? std::strtol(value, nullptr, 10) : 0;
  return n > 0 ? static_cast<int>(n) : fallback;
}

QueueRecord queue(int i) {
  QueueRecord q;
  q.recv_id.fill(static_cast<std::uint8_t>(0x10 + i));
  q.send_id.fill(static_cast<std::uint8_t>(0x20 + i));
  q.recipient_key.fill(static_cast<std::uint8_t>(0x30 + i));
  return q;
}

ClientMessageId cmid_of(std::uint64_t n) {
  ClientMessageId id{};
  for (std::size_t i = 0; i < 8; ++i) id[i] = static_cast<std::uint8_t>(n >> (8 * i));
  id[15] = 0x5A;
  return id;
}

// The body starts with the client_msg_id, so the parent can tell which message a row is.
Bytes body_for(const ClientMessageId& id, std::size_t size) {
  Bytes body(std::max(size, id.size()), static_cast<std::uint8_t>(id[0] ^ 0xA5));
  std::copy(id.begin(), id.end(), body.begin());
  return body;
}

void write_record(int fd, std::uint8_t kind, const ClientMessageId& id) {
  std::array<std::uint8_t, kRecordBytes> record{};
  record[0] = kind;
  std::copy(id.begin(), id.end(), record.begin() + 1);
  // Below PIPE_BUF: the write is atomic, a kill never leaves half a record.
  if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
    ::_exit(3);
  }
}

// The child: appends forever from 4 threads (32 in flight each), acks every third stored
// message. Never returns.
[[noreturn]] void run_child(const std::filesystem::path& file, std::uint64_t base, int fd,
                            std::uint64_t seed) {
  auto opened = SqliteQueueStore::open(file);
  if (!opened) ::_exit(2);
  SqliteQueueStore& store = **opened;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, base, fd, seed, t] {
      std::mt19937_64 rng(seed + static_cast<std::uint64_t>(t));
      std::mutex mutex;
      std::condition_variable cv;
      int in_flight = 0;
      for (std::uint64_t i = 0;; ++i) {
        {
          std::unique_lock lock(mutex);
          cv.wait(lock, [&] { return in_flight < 32; });
          ++in_flight;
        }
        const std::uint64_t n = base + static_cast<std::uint64_t>(t) * 100'000'000 + i;
        const int qi = static_cast<int>(rng() % kQueues);
        AppendRequest request;
        request.send_id = queue(qi).send_id;
        request.client_msg_id = cmid_of(n);
        request.body = body_for(request.client_msg_id, 16 + rng() % 3000);
        request.now_ms = 1'000'000 + n;
        request.quota = {1'000'000, 1ull << 40};
        const bool ack_it = (n % 3) == 0;
        store.append(std::move(request), [&, n, qi, ack_it](Result<AppendResult> result) {
          if (result && result->status == AppendStatus::Stored) {
            write_record(fd, kStored, cmid_of(n));
            if (ack_it) {
              write_record(fd, kAckIssued, cmid_of(n));
              store.ack(queue(qi).recv_id, result->msg_id, [fd, n](Result<void> acked) {
                if (acked) write_record(fd, kAckDone, cmid_of(n));
              });
            }
          } else if (!result) {
            ::_exit(4);  // an error here is a failed test (the disk is not full)
          }
          std::lock_guard lock(mutex);
          --in_flight;
          cv.notify_one();
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ::_exit(0);
}

using test::TempDir;

TEST(SqliteQueueStoreCrashTest, KillNineLosesNothingAcknowledged) {
  const int kills = env_int("EXILE_CRASH_KILLS", 20);
  const auto seed = static_cast<std::uint64_t>(
      env_int("EXILE_CRASH_SEED", static_cast<int>(std::random_device{}() & 0x7fffffff)));
  std::printf("crash test: %d kills, EXILE_CRASH_SEED=%llu\n", kills,
              static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  TempDir dir;
  const auto file = dir.file("relay.db");
  {
    auto store = SqliteQueueStore::open(file);
    ASSERT_TRUE(store) << store.error();
    for (int i = 0; i < kQueues; ++i) ASSERT_TRUE((*store)->create_queue(queue(i)));
  }

  std::set<ClientMessageId> stored;
  std::set<ClientMessageId> ack_issued;
  std::set<ClientMessageId> acked;
  std::size_t total_stored_acks = 0;
  for (int round = 0; round < kills; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const std::uint64_t base = static_cast<std::uint64_t>(round + 1) * std::uint64_t{1'000'000'000};
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      run_child(file, base, fds[1], seed + static_cast<std::uint64_t>(round) * 7919);
    }
    ::close(fds[1]);
    const auto delay = std::chrono::milliseconds(5 + static_cast<int>(rng() % 400));
    const auto deadline = std::chrono::steady_clock::now() + delay;
    std::vector<std::uint8_t> received;
    std::array<std::uint8_t, 4096> buffer{};
    bool killed = false;
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (!killed && now >= deadline) {
        ::kill(pid, SIGKILL);
        killed = true;
      }
      pollfd p{fds[0], POLLIN, 0};
      const int timeout =
          killed
              ? 1000
              : static_cast<int>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) +
                    1;
      if (::poll(&p, 1, timeout) <= 0) continue;
      const ssize_t n = ::read(fds[0], buffer.data(), buffer.size());
      if (n <= 0) break;  // EOF: the child is gone (or died early)
      received.insert(received.end(), buffer.begin(), buffer.begin() + n);
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child exited by itself with status " << status;
    ASSERT_EQ(received.size() % kRecordBytes, 0u);
    for (std::size_t i = 0; i < received.size(); i += kRecordBytes) {
      ClientMessageId id{};
      std::copy(received.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                received.begin() + static_cast<std::ptrdiff_t>(i + kRecordBytes), id.begin());
      switch (received[i]) {
        case kStored: stored.insert(id); break;
        case kAckIssued: ack_issued.insert(id); break;
        case kAckDone:
          acked.insert(id);
          ++total_stored_acks;
          break;
        default: FAIL() << "bad record";
      }
    }

    // Reopen (recovering the WAL) and check.
    auto reopened = SqliteQueueStore::open(file);
    ASSERT_TRUE(reopened) << reopened.error();
    SqliteQueueStore& store = **reopened;
    ASSERT_TRUE(store.check_integrity());
    std::map<ClientMessageId, int> present;
    std::uint64_t rows = 0;
    std::uint64_t bytes = 0;
    for (int qi = 0; qi < kQueues; ++qi) {
      auto messages = store.pending(queue(qi).recv_id, 0, 10'000'000);
      ASSERT_TRUE(messages) << messages.error();
      std::uint64_t previous = 0;
      for (const StoredMessage& m : *messages) {
        EXPECT_GT(m.msg_id, previous);
        previous = m.msg_id;
        ASSERT_GE(m.body.size(), kClientMessageIdBytes);
        ClientMessageId id{};
        std::copy(m.body.begin(), m.body.begin() + kClientMessageIdBytes, id.begin());
        EXPECT_EQ(m.body, body_for(id, m.body.size()));
        ++present[id];
        ++rows;
        bytes += m.body.size();
      }
    }
    for (const auto& [id, times] : present) EXPECT_EQ(times, 1) << "a message stored twice";
    std::size_t missing = 0;
    for (const ClientMessageId& id : stored) {
      if (!ack_issued.contains(id) && !present.contains(id)) ++missing;
    }
    EXPECT_EQ(missing, 0u) << "acknowledged messages lost in round " << round;
    std::size_t resurrected = 0;
    for (const ClientMessageId& id : acked) resurrected += present.contains(id) ? 1u : 0u;
    EXPECT_EQ(resurrected, 0u) << "acknowledged acks undone in round " << round;
    auto counts = store.counts();
    ASSERT_TRUE(counts);
    EXPECT_EQ(counts->messages, rows);
    EXPECT_EQ(counts->message_bytes, bytes);
    EXPECT_EQ(counts->queues, static_cast<std::uint64_t>(kQueues));
    // A retry of an acknowledged message is a duplicate, even across the crash.
    if (!stored.empty()) {
      const ClientMessageId& id = *stored.rbegin();
      AppendRequest retry;
      retry.client_msg_id = id;
      retry.body = body_for(id, 16);
      retry.quota = {1'000'000, 1ull << 40};
      bool duplicate_somewhere = false;
      for (int qi = 0; qi < kQueues && !duplicate_somewhere; ++qi) {
        std::promise<Result<AppendResult>> each;
        auto each_future = each.get_future();
        AppendRequest r = retry;
        r.send_id = queue(qi).send_id;
        // Only the queue it went to remembers it; a fresh queue would store it. Probe without
        // storing: a quota of zero messages refuses anything that is not a duplicate.
        r.quota = {0, 0};
        store.append(std::move(r),
                     [&each](Result<AppendResult> res) { each.set_value(std::move(res)); });
        auto res = each_future.get();
        ASSERT_TRUE(res);
        duplicate_somewhere = res->status == AppendStatus::Duplicate;
      }
      EXPECT_TRUE(duplicate_somewhere);
    }
  }
  std::printf("crash test: %zu appends and %zu acks acknowledged over %d kills\n", stored.size(),
              total_stored_acks, kills);
  EXPECT_GT(stored.size(), 0u);
}

}  // namespace
}  // namespace exile::relay
