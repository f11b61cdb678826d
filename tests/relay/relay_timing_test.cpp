// A refusal must not tell which ids exist (docs/relay-protocol.md §3, "Unknown ids and wrong
// tags take the same time"), measured against a real exile-relay process.
//
// Queues are created, then the relay is restarted (its record cache is empty; the id index is
// loaded from the database), and one connection probes, interleaved in random order, a known
// queue with a wrong tag and an unknown id: DEL (a recipient's command) and SEND (to secured
// queues). Each probe is timed from the write to the AUTH answer. Every known queue is probed
// several times, so the samples hold first probes (a store read, a key derivation) and later ones
// (a cache hit, a cached key) alike.
//
// The two samples must look alike: the probability that a known-queue probe is faster than an
// unknown-id probe (the Mann-Whitney statistic, 0.5 for one distribution; its standard error
// here is about 0.02) stays within 0.5 ± 0.1, and the medians differ by less than 15 µs (the
// floor's timer wakes up with tens of µs of jitter on this shared machine). Before the refusal
// floor, an unknown id waited for a store read and a cached queue did not: issue 14 measured
// 97-170 µs against 118-227 µs (about 40 µs apart in the middle, past the median margin); on
// this machine's loopback it is 17 µs against 26 µs in the median, and 0.68-0.74 for the
// statistic, which fails the band. With the index and no floor, unknown ids are the faster ones
// (0.26-0.33).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "relay/support/relay_client.h"
#include "support/relay_process.h"
#include "support/temp_dir.h"

namespace exile::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kQueues = 100;
constexpr int kSamples = 400;  // per kind of probe

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// P(a < b) + P(a == b) / 2 over all pairs.
double probability_faster(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> sorted_b = b;
  std::sort(sorted_b.begin(), sorted_b.end());
  double wins = 0;
  for (double x : a) {
    const auto lower = std::lower_bound(sorted_b.begin(), sorted_b.end(), x);
    const auto upper = std::upper_bound(sorted_b.begin(), sorted_b.end(), x);
    wins += static_cast<double>(sorted_b.end() - upper) + 0.5 * static_cast<double>(upper - lower);
  }
  return wins / (static_cast<double>(a.size()) * static_cast<double>(b.size()));
}

class RelayTimingTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (relay_ && relay_->running()) relay_->kill();
    if (HasFailure()) {
      dir_.keep();
      std::cerr << "relay data and log kept in " << dir_.path() << "\n";
    }
  }

  // Starts the relay, creates kQueues secured queues (two connections: NEW's burst is 100 a
  // connection), and restarts it.
  bool prepare() {
    RelayProcess::Options options;
    options.data_dir = dir_.file("data");
    relay_ = std::make_unique<RelayProcess>(std::move(options));
    if (!relay_->start()) {
      ADD_FAILURE() << "relay did not start: " << relay_->error();
      return false;
    }
    for (int c = 0; c < 2; ++c) {
      RelayClient owner;
      if (!owner.connect(relay_->port())) return false;
      for (int i = 0; i < kQueues / 2; ++i) {
        TestQueue q;
        if (!owner.create_queue(q, true)) {
          ADD_FAILURE() << owner.error();
          return false;
        }
        queues_.push_back(std::move(q));
      }
    }
    if (relay_->stop() != 0) return false;
    if (!relay_->start()) {
      ADD_FAILURE() << "relay did not restart: " << relay_->error();
      return false;
    }
    return true;
  }

  struct Samples {
    std::vector<double> known_us;
    std::vector<double> unknown_us;
  };

  // `probe(known, id)` sends one probe and returns its answer; `id` is a known queue's (known)
  // or a random one.
  template <class Probe>
  Samples measure(RelayClient& client, Probe probe, bool by_send_id) {
    Samples samples;
    for (int i = 0; i < kSamples; ++i) {
      const TestQueue& q = queues_[static_cast<std::size_t>(i) % queues_.size()];
      const std::string known = by_send_id ? q.send_id : q.recv_id;
      const std::string unknown = random_id();
      // Known first in every other pair: each kind is as often first as second.
      const bool known_first = i % 2 == 0;
      for (int k = 0; k < 2; ++k) {
        const bool is_known = (k == 0) == known_first;
        const auto t0 = Clock::now();
        const pb::ServerFrame answer = probe(client, is_known ? known : unknown);
        const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        EXPECT_TRUE(is_error(answer, pb::AUTH)) << describe(answer);
        (is_known ? samples.known_us : samples.unknown_us).push_back(us);
      }
    }
    return samples;
  }

  void expect_alike(const char* what, const Samples& s) {
    const double p = probability_faster(s.known_us, s.unknown_us);
    const double known = median(s.known_us);
    const double unknown = median(s.unknown_us);
    std::cout << what << ": median known queue, wrong tag " << known << " µs; unknown id "
              << unknown << " µs; P(known faster) " << p << " (" << s.known_us.size()
              << " samples each)\n";
#ifdef EXILE_UNDER_SANITIZERS
    std::cout << "under the sanitizers: timings are not compared\n";
    return;
#endif
    EXPECT_NEAR(p, 0.5, 0.1) << what << ": the answer's time tells whether the id exists";
    EXPECT_LT(std::abs(known - unknown), 15.0) << what;
  }

  test::TempDir dir_{"exile-relay-timing"};
  std::unique_ptr<RelayProcess> relay_;
  std::vector<TestQueue> queues_;
};

TEST_F(RelayTimingTest, WrongTagAndUnknownIdAreRefusedInTheSameTime) {
  ASSERT_TRUE(prepare());
  RelayClient client;
  ASSERT_TRUE(client.connect(relay_->port())) << client.error();
  TestQueue stranger;  // its keys sign every probe: no tag verifies
  // Warm-up: the connection's first commands (allocations, the first key derivations) are not
  // samples.
  for (int i = 0; i < 20; ++i) client.del(random_id(), stranger.recipient);

  const Samples del = measure(
      client, [&](RelayClient& c, const std::string& id) { return c.del(id, stranger.recipient); },
      false);
  expect_alike("DEL", del);

  const Samples send = measure(
      client,
      [&](RelayClient& c, const std::string& id) {
        return c.send(id, random_id(), "probe", &stranger.sender);
      },
      true);
  expect_alike("SEND", send);
}

}  // namespace
}  // namespace exile::test
