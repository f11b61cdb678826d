// At-least-once delivery through SIGKILL (docs/relay-protocol.md §5). 10,000 messages go
// through four secured queues while the main thread SIGKILLs the relay at random moments and
// restarts it on the same port and data directory.
//
// The sender keeps a window of SENDs in flight. A SEND not answered when its connection dies
// is sent again, with the same client_msg_id, once it has reconnected. The receiver
// reconnects and re-SUBs; for every Msg it "commits" (records) the msg_id and the payload id
// in the body, then ACKs. At the end:
//   - every SEND the relay answered Ok was delivered;
//   - after dropping duplicates by payload id, all 10,000 payloads arrived, none missing;
//   - a payload never arrived under two different msg_ids (the relay deduplicated retries);
//   - the relay's queues hold nothing that was acked.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/encoding.h"
#include "common/rng.h"
#include "relay/support/relay_client.h"
#include "support/relay_process.h"
#include "support/temp_dir.h"

namespace exile::test {
namespace {

using Clock = std::chrono::steady_clock;
namespace wire = exile::relay::wire;

constexpr int kMessages = 10000;
constexpr int kQueues = 4;
constexpr std::size_t kWindow = 64;
constexpr int kMinKills = 5;
// The sender is paced so that the traffic spans several kills even on a fast machine.
constexpr int kMaxSendsPerSecond = 1000;
constexpr auto kTestBudget = std::chrono::seconds(150);

std::string body_of(int payload) {
  std::string body = "payload:" + std::to_string(payload) + ":";
  body.resize(96, '.');
  return body;
}

int payload_of(const std::string& body) {
  constexpr std::string_view prefix = "payload:";
  if (body.rfind(prefix, 0) != 0) return -1;
  int value = -1;
  const char* begin = body.data() + prefix.size();
  auto [ptr, ec] = std::from_chars(begin, body.data() + body.size(), value);
  if (ec != std::errc() || ptr == body.data() + body.size() || *ptr != ':') return -1;
  return value;
}

struct Shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::atomic<bool> stop{false};
  std::vector<std::string> errors;

  void fail(std::string what) {
    std::lock_guard lock(mutex);
    errors.push_back(std::move(what));
    stop = true;
    changed.notify_all();
  }
};

struct SenderStats {
  std::vector<std::uint8_t> oked = std::vector<std::uint8_t>(kMessages, 0);
  std::vector<int> attempts = std::vector<int>(kMessages, 0);
  int oked_count = 0;
  int duplicate_oks = 0;
  int resends = 0;
  int reconnects = 0;
  int refusals = 0;  // RATE_LIMITED, BUSY, SHUTTING_DOWN, INTERNAL, QUOTA: sent again
  int stalls = 0;    // connections dropped because an answer never came
  bool done = false;
};

struct ReceiverStats {
  std::vector<int> deliveries = std::vector<int>(kMessages, 0);
  std::map<int, std::pair<int, std::uint64_t>> first_seen;  // payload → (queue, msg_id)
  int distinct = 0;
  int duplicates = 0;      // deliveries of a payload already committed
  int dedup_failures = 0;  // a payload under a second msg_id
  int reconnects = 0;
  int ends = 0;
  // A msg_id that came back with another payload: a client drops msg_ids it has committed
  // (relay-protocol.md §5), so a reused msg_id is a lost message.
  int msg_id_reuses = 0;
  // On one connection, a queue's pushes must have increasing msg_ids (oldest first).
  int order_violations = 0;
  bool done = false;
};

void run_sender(std::uint16_t port, const std::vector<TestQueue>& queues,
                const std::string& id_prefix, Shared& shared, SenderStats& stats) {
  std::deque<int> todo;
  for (int i = 0; i < kMessages; ++i) todo.push_back(i);
  struct InFlight {
    int payload;
    Clock::time_point sent;
  };
  std::map<std::uint64_t, InFlight> in_flight;
  RelayClient client;
  const auto start = Clock::now();
  int sent_first_time = 0;

  auto requeue_in_flight = [&] {
    for (auto it = in_flight.rbegin(); it != in_flight.rend(); ++it) {
      todo.push_front(it->second.payload);
    }
    in_flight.clear();
  };

  while (!shared.stop) {
    {
      std::lock_guard lock(shared.mutex);
      if (stats.oked_count == kMessages) break;
    }
    if (!client.connected()) {
      requeue_in_flight();
      if (!client.connect(port, 2s)) {
        std::this_thread::sleep_for(20ms);  // the relay is restarting: try again shortly
        continue;
      }
      std::lock_guard lock(shared.mutex);
      ++stats.reconnects;
    }
    // Fill the window.
    const auto elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    const auto allowed_new = static_cast<int>(elapsed_ms * kMaxSendsPerSecond / 1000) + 1;
    while (in_flight.size() < kWindow && !todo.empty()) {
      const int payload = todo.front();
      const bool first_time = stats.attempts[static_cast<std::size_t>(payload)] == 0;
      if (first_time && sent_first_time >= allowed_new) break;
      const TestQueue& q = queues[static_cast<std::size_t>(payload % kQueues)];
      pb::Command command;
      auto* send = command.mutable_send();
      send->set_send_id(q.send_id);
      std::string msg_id = id_prefix;
      for (int shift = 24; shift >= 0; shift -= 8) {
        msg_id.push_back(static_cast<char>((payload >> shift) & 0xff));
      }
      send->set_client_msg_id(msg_id);
      send->set_body(body_of(payload));
      const std::uint64_t rid = client.send_command(command, {&q.sender});
      if (rid == 0) break;  // the connection broke: reconnect above
      todo.pop_front();
      in_flight[rid] = {payload, Clock::now()};
      std::lock_guard lock(shared.mutex);
      if (stats.attempts[static_cast<std::size_t>(payload)]++ > 0) {
        ++stats.resends;
      } else {
        ++sent_first_time;
      }
    }
    auto answer = client.next_response(100ms);
    if (answer) {
      auto it = in_flight.find(answer->request_id());
      if (it == in_flight.end()) {
        shared.fail("sender: answer to an unknown request: " + describe(*answer));
        break;
      }
      const int payload = it->second.payload;
      in_flight.erase(it);
      std::lock_guard lock(shared.mutex);
      if (answer->has_ok()) {
        if (answer->ok().duplicate()) {
          ++stats.duplicate_oks;
          if (stats.attempts[static_cast<std::size_t>(payload)] == 1) {
            shared.errors.push_back("Ok{duplicate} for a payload sent once: " +
                                    std::to_string(payload));
          }
        }
        if (stats.oked[static_cast<std::size_t>(payload)] == 0) {
          stats.oked[static_cast<std::size_t>(payload)] = 1;
          ++stats.oked_count;
        }
      } else if (answer->has_error() &&
                 (answer->error().code() == pb::RATE_LIMITED ||
                  answer->error().code() == pb::BUSY ||
                  answer->error().code() == pb::SHUTTING_DOWN ||
                  answer->error().code() == pb::INTERNAL || answer->error().code() == pb::QUOTA)) {
        ++stats.refusals;
        todo.push_back(payload);
      } else {
        shared.errors.push_back("sender: SEND answered " + describe(*answer));
        shared.stop = true;
      }
    }
    // An answer that never comes (the relay lost it) must not hang the test: drop the
    // connection and send again.
    if (!in_flight.empty()) {
      const auto oldest = std::min_element(
          in_flight.begin(), in_flight.end(),
          [](const auto& a, const auto& b) { return a.second.sent < b.second.sent; });
      if (Clock::now() - oldest->second.sent > 15s && client.connected()) {
        std::lock_guard lock(shared.mutex);
        ++stats.stalls;
        client.abort();
      }
    }
  }
  std::lock_guard lock(shared.mutex);
  stats.done = true;
  shared.changed.notify_all();
}

void run_receiver(std::uint16_t port, const std::vector<TestQueue>& queues, Shared& shared,
                  ReceiverStats& stats) {
  RelayClient client;
  std::vector<std::string> ids;
  std::vector<const wire::KeyPair*> keys;
  std::map<std::string, int> queue_index;
  std::vector<std::map<std::uint64_t, int>> payload_of_msg_id(kQueues);
  std::vector<std::uint64_t> last_msg_id(kQueues, 0);  // on the current connection
  for (int i = 0; i < kQueues; ++i) {
    ids.push_back(queues[static_cast<std::size_t>(i)].recv_id);
    keys.push_back(&queues[static_cast<std::size_t>(i)].recipient);
    queue_index[ids.back()] = i;
  }
  while (!shared.stop) {
    {
      std::lock_guard lock(shared.mutex);
      if (stats.distinct == kMessages) break;
    }
    if (!client.connected()) {
      if (!client.connect(port, 2s)) {
        std::this_thread::sleep_for(20ms);
        continue;
      }
      auto sub = client.sub(ids, keys);
      if (!sub.has_ok()) {
        if (client.closed() || is_error(sub, pb::SHUTTING_DOWN)) continue;  // killed meanwhile
        shared.fail("receiver: SUB answered " + describe(sub) + " " + client.error());
        break;
      }
      std::fill(last_msg_id.begin(), last_msg_id.end(), 0);
      std::lock_guard lock(shared.mutex);
      ++stats.reconnects;
    }
    // ACK answers: Ok, or the relay going down.
    while (auto answer = client.next_response(0ms)) {
      if (!answer->has_ok() && !is_error(*answer, pb::SHUTTING_DOWN) &&
          !is_error(*answer, pb::INTERNAL)) {
        shared.fail("receiver: ACK answered " + describe(*answer));
      }
    }
    auto push = client.next_push(100ms);
    if (!push) continue;
    if (push->has_end()) {
      std::lock_guard lock(shared.mutex);
      ++stats.ends;
      client.abort();  // subscribe again on a new connection
      continue;
    }
    if (!push->has_msg()) continue;
    const pb::Msg& msg = push->msg();
    const auto q = queue_index.find(msg.recv_id());
    const int payload = payload_of(msg.body());
    if (q == queue_index.end() || payload < 0 || payload >= kMessages ||
        payload % kQueues != q->second) {
      shared.fail("receiver: a Msg this test did not send (msg_id " + std::to_string(msg.msg_id()) +
                  ")");
      break;
    }
    {
      // Commit, then ACK.
      std::lock_guard lock(shared.mutex);
      const auto queue = static_cast<std::size_t>(q->second);
      if (msg.msg_id() <= last_msg_id[queue]) ++stats.order_violations;
      last_msg_id[queue] = msg.msg_id();
      if (auto [it, inserted] = payload_of_msg_id[queue].emplace(msg.msg_id(), payload);
          !inserted && it->second != payload) {
        ++stats.msg_id_reuses;
      }
      auto& count = stats.deliveries[static_cast<std::size_t>(payload)];
      if (count++ == 0) {
        ++stats.distinct;
        stats.first_seen[payload] = {q->second, msg.msg_id()};
      } else {
        ++stats.duplicates;
        if (stats.first_seen[payload] != std::make_pair(q->second, msg.msg_id())) {
          ++stats.dedup_failures;
        }
      }
    }
    pb::Command ack;
    ack.mutable_ack()->set_recv_id(msg.recv_id());
    ack.mutable_ack()->set_msg_id(msg.msg_id());
    client.send_command(ack, {keys[static_cast<std::size_t>(q->second)]});
  }
  std::lock_guard lock(shared.mutex);
  stats.done = true;
  shared.changed.notify_all();
}

TEST(RelayFaultTest, TenThousandMessagesSurviveRepeatedSigkill) {
  const auto test_start = Clock::now();
  test::TempDir temp("exile-relay-fault");
  const std::filesystem::path& dir = temp.path();

  RelayProcess::Options options;
  options.data_dir = dir / "data";
  // The per-connection command rate (2,000/s) would only slow the test down.
  options.extra_args = {"--rate", "100000"};
  RelayProcess relay(std::move(options));
  ASSERT_TRUE(relay.start()) << relay.error();
  const std::uint16_t port = relay.port();

  std::vector<TestQueue> queues(kQueues);
  {
    RelayClient setup;
    ASSERT_TRUE(setup.connect(port)) << setup.error();
    for (auto& q : queues) ASSERT_TRUE(setup.create_queue(q, true)) << setup.error();
    setup.close();
  }
  std::string id_prefix = random_id().substr(0, 12);  // + 4 bytes of payload number

  const unsigned seed = std::random_device{}();
  std::cout << "kill schedule seed: " << seed << "\n";
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> interval_ms(300, 1500);

  Shared shared;
  SenderStats sender;
  ReceiverStats receiver;
  std::thread sender_thread(run_sender, port, std::cref(queues), std::cref(id_prefix),
                            std::ref(shared), std::ref(sender));
  std::thread receiver_thread(run_receiver, port, std::cref(queues), std::ref(shared),
                              std::ref(receiver));

  // The killer: this thread (the one that started the relay: see relay_process.cpp).
  int kills = 0;
  std::vector<int> kill_at_ok;  // how many SENDs were Ok at each kill
  {
    std::unique_lock lock(shared.mutex);
    while (!shared.stop && !(sender.done && receiver.done)) {
      if (Clock::now() - test_start > kTestBudget) {
        shared.errors.push_back("out of time: " + std::to_string(sender.oked_count) + " Ok, " +
                                std::to_string(receiver.distinct) + " received");
        shared.stop = true;
        break;
      }
      const auto wait = std::chrono::milliseconds(interval_ms(rng));
      if (shared.changed.wait_for(lock, wait,
                                  [&] { return shared.stop || (sender.done && receiver.done); })) {
        break;
      }
      if (sender.done && kills >= kMinKills) continue;  // traffic is over: no point killing
      kill_at_ok.push_back(sender.oked_count);
      lock.unlock();
      relay.kill();
      ++kills;
      const bool started = relay.start();
      lock.lock();
      if (!started) {
        shared.errors.push_back("restart " + std::to_string(kills) + " failed: " + relay.error());
        shared.stop = true;
      }
    }
  }
  sender_thread.join();
  receiver_thread.join();
  const auto traffic_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - test_start).count();

  for (const auto& e : shared.errors) ADD_FAILURE() << e;
  std::cout << "kills: " << kills << " (Ok count at each:";
  for (int k : kill_at_ok) std::cout << " " << k;
  std::cout << ")\n"
            << "sender: " << sender.oked_count << " Ok, " << sender.duplicate_oks
            << " Ok{duplicate}, " << sender.resends << " resends, " << sender.refusals
            << " refusals, " << sender.reconnects << " connections, " << sender.stalls
            << " stalls\n"
            << "receiver: " << receiver.distinct << " distinct payloads, " << receiver.duplicates
            << " duplicates before dedup, " << receiver.dedup_failures << " under a second msg_id, "
            << receiver.reconnects << " connections, " << receiver.ends << " End, "
            << receiver.msg_id_reuses << " msg_id reuses, " << receiver.order_violations
            << " out-of-order pushes\n"
            << "traffic took " << traffic_ms << " ms\n";

  EXPECT_GE(kills, kMinKills);
  EXPECT_EQ(sender.oked_count, kMessages);
  int missing = 0;
  int ok_not_delivered = 0;
  for (int i = 0; i < kMessages; ++i) {
    if (receiver.deliveries[static_cast<std::size_t>(i)] == 0) {
      ++missing;
      if (sender.oked[static_cast<std::size_t>(i)] != 0) ++ok_not_delivered;
    }
  }
  EXPECT_EQ(ok_not_delivered, 0) << "messages answered Ok but never delivered";
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(receiver.distinct, kMessages);
  EXPECT_EQ(receiver.dedup_failures, 0)
      << "a retried SEND was stored twice (same client_msg_id, new msg_id)";
  EXPECT_EQ(receiver.msg_id_reuses, 0) << "a msg_id was given to two different messages";
  EXPECT_EQ(receiver.order_violations, 0) << "pushes of a queue not in msg_id order";

  // Drain: whatever is still stored was delivered before and is acked now; then a sentinel
  // per queue must be the first thing a fresh subscriber sees.
  if (!HasFailure()) {
    std::vector<std::string> ids;
    std::vector<const wire::KeyPair*> keys;
    for (const auto& q : queues) {
      ids.push_back(q.recv_id);
      keys.push_back(&q.recipient);
    }
    for (int round = 0; round < 2; ++round) {
      RelayClient c;
      ASSERT_TRUE(c.connect(port)) << c.error();
      ASSERT_TRUE(c.sub(ids, keys).has_ok());
      for (std::size_t i = 0; i < queues.size(); ++i) {
        auto r = c.send_to(queues[i], random_id(), "sentinel:" + std::to_string(round));
        ASSERT_TRUE(r.has_ok()) << describe(r);
      }
      int sentinels = 0;
      int leftovers = 0;
      while (sentinels < kQueues) {
        auto push = c.next_push(10s);
        ASSERT_TRUE(push && push->has_msg()) << "drain round " << round << ": " << c.error();
        const auto& msg = push->msg();
        if (msg.body() == "sentinel:" + std::to_string(round)) {
          ++sentinels;
        } else {
          ++leftovers;
          const int payload = payload_of(msg.body());
          ASSERT_TRUE(payload >= 0 && payload < kMessages);
          EXPECT_GT(receiver.deliveries[static_cast<std::size_t>(payload)], 0);
        }
        const auto q = std::find(ids.begin(), ids.end(), msg.recv_id()) - ids.begin();
        ASSERT_LT(static_cast<std::size_t>(q), ids.size());
        ASSERT_TRUE(
            c.ack(msg.recv_id(), msg.msg_id(), *keys[static_cast<std::size_t>(q)]).has_ok());
      }
      if (round == 0) {
        std::cout << "left unacked by the kills and drained: " << leftovers << "\n";
      } else {
        EXPECT_EQ(leftovers, 0) << "acked messages are still stored";
      }
      c.close();
    }
  }
  EXPECT_EQ(relay.stop(), 0) << relay.error();
  // Ten starts, ten kills: still no queue id in the output (relay-protocol.md §8).
  const std::string output = relay.output();
  for (const auto& q : queues) {
    for (const std::string& id : {q.recv_id, q.send_id}) {
      EXPECT_EQ(output.find(to_hex(as_bytes(id))), std::string::npos) << output;
      EXPECT_EQ(output.find(to_base64(as_bytes(id)).substr(0, 22)), std::string::npos) << output;
      EXPECT_EQ(output.find(to_base64(as_bytes(id), Base64Variant::UrlNoPadding)),
                std::string::npos)
          << output;
    }
  }
  const auto total_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - test_start).count();
  std::cout << "fault test took " << total_ms << " ms\n";
  EXPECT_LT(total_ms, 180000);
  if (HasFailure()) {
    temp.keep();
    std::cerr << "relay data and log kept in " << dir << "\n";
  }
}

}  // namespace
}  // namespace exile::test
