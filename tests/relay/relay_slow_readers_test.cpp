// Clients that never read (docs/relay-protocol.md §6, "Clients that do not read"), against a real
// exile-relay process with its default limits: many subscribers take over a queue of a few MB
// in turn and never read what it pushes them, while a sender and a recipient keep a round trip
// going every 50 ms. The relay's memory must stay under a stated bound, the round trips must
// keep succeeding in time, the silent readers must be disconnected (counted), and the queue's
// messages must all still be there for the next subscriber that reads.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "relay/support/relay_client.h"
#include "support/relay_process.h"
#include "support/temp_dir.h"

namespace exile::test {
namespace {

using Clock = std::chrono::steady_clock;

// The subscribers that never read. Each one opens a socket in the relay and one here.
constexpr int kReaders = 1500;
// The queue they take over: 150 messages of 64,000 bytes, 9.6 MB, more than the kernel would
// take into one socket's send buffer uncapped (4 MiB).
constexpr int kMessages = 150;
constexpr std::size_t kBodyBytes = 64000;
// Each reader keeps the queue this long before the next one takes it over.
constexpr auto kPace = std::chrono::milliseconds(10);
// The bound on the relay's peak resident memory (VmHWM), docs/relay-protocol.md §6: the default
// budget of 64 MiB for bytes queued to clients, what the allocator keeps of what it freed, about
// 10 KiB per connection, and what the relay holds with no client at all (about 40 MiB). Measured:
// 130-135 MiB. Before the budget, 360 such readers alone took the relay to 209-277 MiB, 0.5 to
// 0.7 MiB each, and each socket held 3.8 MiB to send.
constexpr std::uint64_t kRssBoundKiB = 192u << 10;  // 192 MiB
// The relay caps each client socket's send buffer (--socket-send-buffer, 128 KiB by default;
// the kernel doubles it for its own overhead, and lets the last write overshoot it by a packet
// of up to 64 KiB): no socket holds more than this to send. Without the cap the kernel grows a
// silent reader's to 4 MiB. Measured: 295 KiB.
constexpr std::uint64_t kSendQueueBound = 384u << 10;
// A round trip of the well-behaved pair (SEND → its Msg pushed to the recipient) must come back
// within this, every time.
constexpr auto kRoundTripBound = std::chrono::milliseconds(1000);

// A /proc/<pid>/status field in KiB ("VmRSS", "VmHWM"); 0 if absent.
std::uint64_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

// The most bytes the kernel holds to send on one of the relay's sockets to its clients: the
// largest tx_queue in /proc/net/tcp among the sockets on local port `port` (not the listener).
std::uint64_t largest_send_queue(std::uint16_t port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // the header
  std::uint64_t largest = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    if (!(fields >> slot >> local >> remote >> state >> queues)) continue;
    const auto colon = local.find(':');
    if (colon == std::string::npos || std::stoul(local.substr(colon + 1), nullptr, 16) != port) {
      continue;
    }
    if (state == "0A") continue;  // LISTEN
    largest = std::max<std::uint64_t>(largest,
                                      std::stoull(queues.substr(0, queues.find(':')), nullptr, 16));
  }
  return largest;
}

// The value of `name` in the relay's SIGUSR1 line ("… name=value …"); -1 if absent.
long long counter(const std::string& output, const std::string& name) {
  const std::string key = " " + name + "=";
  const auto at = output.rfind(key);
  if (at == std::string::npos) return -1;
  return std::stoll(output.substr(at + key.size()));
}

void raise_file_limit() {
  // Each RelayClient here holds its socket and its io_context's descriptors; the relay, which
  // inherits this limit, holds one per connection.
  const std::uint64_t wanted = 4 * kReaders + 256;
  ASSERT_GE(raise_open_file_limit(wanted), wanted)
      << "the hard limit on open files is too low for this test";
}

// The well-behaved pair: a SEND, its push to the recipient and the ACK, and a PING, every 50 ms,
// on a thread of its own, until stopped.
struct RoundTrips {
  std::atomic<bool> stop{false};
  int done = 0;
  int failed = 0;
  std::string first_failure;
  Clock::duration slowest{};

  void run(RelayClient& sender, RelayClient& recipient, const TestQueue& queue) {
    while (!stop.load()) {
      const auto started = Clock::now();
      const std::string body = "round trip " + std::to_string(done);
      const auto ok = sender.send_to(queue, random_id(), body);
      auto push = ok.has_ok() ? recipient.next_push(5s) : std::nullopt;
      const auto took = Clock::now() - started;
      std::string failure;
      if (!ok.has_ok()) {
        failure = "SEND: " + describe(ok);
      } else if (!push || !push->has_msg() || push->msg().body() != body) {
        failure = "no Msg: " + (push ? describe(*push) : recipient.error());
      } else if (!recipient.ack(queue.recv_id, push->msg().msg_id(), queue.recipient).has_ok()) {
        failure = "ACK refused";
      } else if (!sender.ping().has_pong()) {
        failure = "no Pong";
      }
      slowest = std::max(slowest, took);
      ++done;
      if (!failure.empty()) {
        if (failed++ == 0) first_failure = failure;
        if (!sender.connected() || !recipient.connected()) return;
      }
      std::this_thread::sleep_until(started + 50ms);
    }
  }
};

TEST(RelaySlowReadersTest, ReadersThatNeverReadAreBoundedAndDroppedAndTheirMessagesKept) {
  raise_file_limit();
  TempDir dir("exile-relay-slow-readers");
  RelayProcess::Options options;
  options.data_dir = dir.file("data");
  // Every reader comes from 127.0.0.1: no per-source cap here (relay_limits_test has its own).
  options.extra_args = {"--max-connections-per-source", "0"};
  RelayProcess relay(std::move(options));
  ASSERT_TRUE(relay.start()) << relay.error();

  // The queue the silent readers take over.
  RelayClient filler;
  ASSERT_TRUE(filler.connect(relay.port()));
  TestQueue big;
  ASSERT_TRUE(filler.create_queue(big, true)) << filler.error();
  {
    std::vector<std::uint64_t> requests;
    for (int i = 0; i < kMessages; ++i) {
      pb::Command command;
      command.mutable_send()->set_send_id(big.send_id);
      command.mutable_send()->set_client_msg_id(random_id());
      command.mutable_send()->set_body(std::string(kBodyBytes, static_cast<char>('a' + i % 26)));
      requests.push_back(filler.send_command(command, {&big.sender}));
    }
    for (auto id : requests) ASSERT_TRUE(filler.wait_response(id, 30s).has_ok());
  }
  filler.close();

  // The well-behaved pair.
  RelayClient sender;
  RelayClient recipient;
  ASSERT_TRUE(sender.connect(relay.port()));
  ASSERT_TRUE(recipient.connect(relay.port()));
  TestQueue live;
  ASSERT_TRUE(recipient.create_queue(live, true)) << recipient.error();
  ASSERT_TRUE(recipient.sub(live.recv_id, live.recipient).has_ok());
  RoundTrips trips;
  std::thread pair([&] { trips.run(sender, recipient, live); });

  const std::uint64_t baseline_kib = status_kib(relay.pid(), "VmRSS");
  std::vector<std::unique_ptr<RelayClient>> readers;
  readers.reserve(static_cast<std::size_t>(kReaders));
  const auto started = Clock::now();
  int refused = 0;
  std::uint64_t send_queue = 0;
  for (int i = 0; i < kReaders; ++i) {
    if (i % 100 == 99) send_queue = std::max(send_queue, largest_send_queue(relay.port()));
    auto reader = std::make_unique<RelayClient>();
    if (!reader->connect(relay.port(), 10s)) {
      ADD_FAILURE() << "reader " << i << " could not connect: " << reader->error();
      break;
    }
    // Waits for the Ok (reading what comes with it), then reads nothing more.
    if (!reader->sub(big.recv_id, big.recipient).has_ok()) ++refused;
    // Time for the relay to push it what it will before the next one takes the queue over.
    std::this_thread::sleep_for(kPace);
    readers.push_back(std::move(reader));
  }
  const auto subscribed_in = Clock::now() - started;
  // Time for the sweep to find the last ones stalled (Connection::kStallTime, checked every
  // 250 ms), while the pair keeps going.
  std::this_thread::sleep_for(3s);
  send_queue = std::max(send_queue, largest_send_queue(relay.port()));
  const std::uint64_t rss_kib = status_kib(relay.pid(), "VmRSS");
  const std::uint64_t peak_kib = status_kib(relay.pid(), "VmHWM");
  trips.stop = true;
  pair.join();

  std::cout << readers.size() << " silent readers subscribed in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(subscribed_in).count()
            << " ms; relay VmRSS " << baseline_kib / 1024 << " MiB before, " << rss_kib / 1024
            << " MiB after, VmHWM " << peak_kib / 1024 << " MiB; " << trips.done
            << " round trips, slowest "
            << std::chrono::duration_cast<std::chrono::milliseconds>(trips.slowest).count()
            << " ms; largest send queue in the kernel " << send_queue / 1024 << " KiB\n";
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(readers.size(), static_cast<std::size_t>(kReaders));
#ifndef EXILE_UNDER_SANITIZERS  // a sanitized relay is several times bigger and slower
  EXPECT_LT(peak_kib, kRssBoundKiB) << "the relay's peak memory, in KiB";
#endif
  EXPECT_GT(send_queue, 0U) << "no socket of the relay's found in /proc/net/tcp";
  EXPECT_LE(send_queue, kSendQueueBound) << "bytes the kernel holds for one client";
  EXPECT_EQ(trips.failed, 0) << trips.first_failure;
  EXPECT_GT(trips.done, 10);
#ifndef EXILE_UNDER_SANITIZERS
  EXPECT_LT(trips.slowest, kRoundTripBound);
#endif

  // The relay counted the readers it dropped.
  ASSERT_EQ(::kill(relay.pid(), SIGUSR1), 0);
  long long dropped = -1;
  for (auto deadline = Clock::now() + 10s; dropped < 0 && Clock::now() < deadline;) {
    dropped = counter(relay.output(), "readers_dropped");
    if (dropped < 0) std::this_thread::sleep_for(20ms);
  }
  EXPECT_GT(dropped, 0) << relay.output();
  std::cout << "readers_dropped=" << dropped << "\n";

  for (auto& reader : readers) reader->abort();
  readers.clear();

  // Every message is still stored, and pushed to the next subscriber that reads.
  RelayClient back;
  ASSERT_TRUE(back.connect(relay.port()));
  ASSERT_TRUE(back.sub(big.recv_id, big.recipient).has_ok());
  for (int i = 0; i < kMessages; ++i) {
    auto push = back.next_push(10s);
    ASSERT_TRUE(push && push->has_msg()) << "message " << i << ": " << back.error();
    EXPECT_EQ(push->msg().msg_id(), static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(push->msg().body(), std::string(kBodyBytes, static_cast<char>('a' + i % 26)));
    ASSERT_TRUE(back.ack(big.recv_id, push->msg().msg_id(), big.recipient).has_ok());
  }

  // Once no client is left, nothing is counted against the budget: every byte a connection
  // added (queued frames, store reads) was given back, also by the connections dropped.
  back.close();
  sender.close();
  recipient.close();
  long long queued = -1;
  for (auto deadline = Clock::now() + 10s; queued != 0 && Clock::now() < deadline;) {
    ASSERT_EQ(::kill(relay.pid(), SIGUSR1), 0);
    std::this_thread::sleep_for(100ms);
    queued = counter(relay.output(), "client_bytes_queued");
  }
  EXPECT_EQ(queued, 0) << relay.output().substr(relay.output().rfind("counters:"));
  EXPECT_EQ(relay.stop(), 0);
}

}  // namespace
}  // namespace exile::test
