// Seeded random conversations: interleaved sending both ways, out-of-order delivery, loss,
// duplicates, long one-way runs and save/restore at random points. Every message delivered
// for the first time decrypts to what was sent; every re-delivery is a DuplicateMessage.
//
// EXILE_PROPERTY_RUNS overrides the number of runs; EXILE_PROPERTY_SEED runs one seed (the
// seed of a failure is printed with it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "crypto/limits.h"
#include "crypto/session.h"
#include "crypto/support/session_pair.h"

namespace exile::crypto {
namespace {

// About 15 s in a normal build and 20 s under ASan+UBSan (the time is in libsodium).
constexpr std::uint64_t kDefaultRuns = 2000;
constexpr std::uint32_t kMaxEvents = 60;

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::strtoull(value, nullptr, 10) : fallback;
}

enum class State { InFlight, Delivered, Lost };

// Totals over all runs, printed once: evidence that the runs reach the interesting paths.
struct Stats {
  std::uint64_t sent = 0, delivered = 0, out_of_order = 0, lost = 0, duplicates = 0,
                old_chain_duplicates = 0, restores = 0, max_skipped = 0, max_epoch = 0;
};
Stats g_stats;

struct Message {
  int from;  // 0 = Alice, 1 = Bob
  Bytes envelope;
  std::string text;
  std::uint64_t epoch;  // the sender's sending-chain number
  State state = State::InFlight;
};

// What the test knows of each side, to predict which chain a message belongs to: a side
// starts a new sending chain on its first send after receiving a newer chain of the peer.
struct Side {
  Session* session;
  bool pending = false;
  std::uint64_t send_epoch = 0;
  std::uint64_t recv_epoch = 0;
};

class Conversation {
 public:
  explicit Conversation(std::uint64_t seed)
      : pair_(test::make_session_pair(seed, seed % 2 == 0)), rng_(seed ^ 0x9e3779b97f4a7c15) {
    sides_[0] = {&pair_.alice, false, 1, 0};
    sides_[1] = {&pair_.bob, true, 0, 1};  // Bob has read Alice's first message
    messages_.push_back({0, pair_.first_envelope, pair_.first_plaintext, 1, State::Delivered});
  }

  void run() {
    const std::uint32_t events = 1 + rng_.uniform(kMaxEvents);
    for (std::uint32_t i = 0; i < events && !::testing::Test::HasFatalFailure(); ++i) step();
    // Finally everything still in flight arrives, in random order.
    for (;;) {
      if (::testing::Test::HasFatalFailure()) return;
      const auto in_flight = indices(State::InFlight);
      if (in_flight.empty()) return;
      deliver(in_flight[rng_.uniform(static_cast<std::uint32_t>(in_flight.size()))]);
    }
  }

 private:
  void step() {
    const std::uint32_t roll = rng_.uniform(100);
    if (roll < 24) {
      send(0);
    } else if (roll < 48) {
      send(1);
    } else if (roll < 68) {
      const auto in_flight = indices(State::InFlight);
      if (!in_flight.empty()) deliver(pick(in_flight));
    } else if (roll < 80) {
      // One side comes online and reads everything queued for it, in order: this is what
      // moves the conversation through many DH ratchet steps.
      const int to = static_cast<int>(rng_.uniform(2));
      for (std::size_t i : indices(State::InFlight)) {
        if (messages_[i].from != to && !::testing::Test::HasFatalFailure()) deliver(i);
      }
    } else if (roll < 84) {
      const auto in_flight = indices(State::InFlight);
      if (!in_flight.empty()) {
        messages_[pick(in_flight)].state = State::Lost;
        ++g_stats.lost;
      }
    } else if (roll < 91) {
      const auto delivered = indices(State::Delivered);
      if (!delivered.empty()) redeliver(pick(delivered));
    } else if (roll < 96) {
      save_and_restore(static_cast<int>(rng_.uniform(2)));
    } else {
      const int from = static_cast<int>(rng_.uniform(2));
      const std::uint32_t run = 10 + rng_.uniform(60);
      for (std::uint32_t i = 0; i < run; ++i) send(from);
    }
  }

  std::size_t pick(const std::vector<std::size_t>& from) {
    return from[rng_.uniform(static_cast<std::uint32_t>(from.size()))];
  }

  std::vector<std::size_t> indices(State state) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < messages_.size(); ++i) {
      if (messages_[i].state == state) out.push_back(i);
    }
    return out;
  }

  void send(int from) {
    Side& side = sides_[from];
    // Mostly short texts; sometimes one in a larger bucket.
    const std::uint32_t length = rng_.uniform(10) == 0 ? rng_.uniform(5000) : rng_.uniform(40);
    std::string text(length, '\0');
    for (char& c : text) c = static_cast<char>('a' + rng_.uniform(26));
    auto envelope = side.session->encrypt(as_bytes(text), rng_);
    ASSERT_TRUE(envelope) << "encrypt failed: " << envelope.error().message;
    if (side.pending) {
      side.pending = false;
      ++side.send_epoch;
    }
    messages_.push_back({from, std::move(*envelope), std::move(text), side.send_epoch});
    ++g_stats.sent;
    g_stats.max_epoch = std::max(g_stats.max_epoch, side.send_epoch);
  }

  void deliver(std::size_t index) {
    Message& m = messages_[index];
    Side& to = sides_[1 - m.from];
    for (std::size_t j = index + 1; j < messages_.size(); ++j) {
      if (messages_[j].from == m.from && messages_[j].state == State::Delivered) {
        ++g_stats.out_of_order;
        break;
      }
    }
    auto plaintext = to.session->decrypt(m.envelope, pair_.now);
    ASSERT_TRUE(plaintext) << "message " << index << " (epoch " << m.epoch
                           << ") failed: " << plaintext.error().message;
    ASSERT_EQ(test::to_string(*plaintext), m.text) << "message " << index;
    m.state = State::Delivered;
    ++g_stats.delivered;
    g_stats.max_skipped =
        std::max<std::uint64_t>(g_stats.max_skipped, to.session->skipped_key_count());
    if (m.epoch > to.recv_epoch) {
      to.recv_epoch = m.epoch;
      to.pending = true;
    }
  }

  void redeliver(std::size_t index) {
    const Message& m = messages_[index];
    Side& to = sides_[1 - m.from];
    const Bytes before = test::state_of(*to.session);
    auto plaintext = to.session->decrypt(m.envelope, pair_.now);
    ASSERT_FALSE(plaintext) << "message " << index << " decrypted twice";
    ++g_stats.duplicates;
    if (m.epoch < to.recv_epoch) ++g_stats.old_chain_duplicates;
    // The current chain and kMaxPastChains finished ones are remembered; an older chain is
    // recognised only while it still has skipped keys.
    if (to.recv_epoch - m.epoch <= kMaxPastChains) {
      ASSERT_EQ(plaintext.error().code, ErrorCode::DuplicateMessage) << "message " << index;
    } else {
      ASSERT_TRUE(plaintext.error().code == ErrorCode::DuplicateMessage ||
                  plaintext.error().code == ErrorCode::DecryptionFailed);
    }
    ASSERT_EQ(test::state_of(*to.session), before) << "a duplicate changed the state";
  }

  void save_and_restore(int who) {
    Session& session = *sides_[who].session;
    const SecureBytes saved = session.serialize();
    auto restored = Session::deserialize(view(saved));
    ASSERT_TRUE(restored) << restored.error().message;
    const SecureBytes again = restored->serialize();
    ASSERT_TRUE(std::equal(saved.begin(), saved.end(), again.begin(), again.end()));
    session = std::move(*restored);
    ++g_stats.restores;
  }

  test::SessionPair pair_;
  DeterministicRng rng_;
  Side sides_[2];
  std::vector<Message> messages_;
};

TEST(RatchetPropertyTest, RandomConversations) {
  const std::uint64_t single = env_u64("EXILE_PROPERTY_SEED", 0);
  const std::uint64_t runs = single != 0 ? 1 : env_u64("EXILE_PROPERTY_RUNS", kDefaultRuns);
  for (std::uint64_t run = 0; run < runs; ++run) {
    const std::uint64_t seed = single != 0 ? single : 0x5eed0000 + run;
    SCOPED_TRACE("EXILE_PROPERTY_SEED=" + std::to_string(seed));
    Conversation(seed).run();
    if (HasFatalFailure()) return;
  }
  std::printf(
      "runs %llu: sent %llu, delivered %llu (out of order %llu), lost %llu, duplicates %llu "
      "(older chain %llu), restores %llu, max skipped keys %llu, max chains per side %llu\n",
      static_cast<unsigned long long>(runs), static_cast<unsigned long long>(g_stats.sent),
      static_cast<unsigned long long>(g_stats.delivered),
      static_cast<unsigned long long>(g_stats.out_of_order),
      static_cast<unsigned long long>(g_stats.lost),
      static_cast<unsigned long long>(g_stats.duplicates),
      static_cast<unsigned long long>(g_stats.old_chain_duplicates),
      static_cast<unsigned long long>(g_stats.restores),
      static_cast<unsigned long long>(g_stats.max_skipped),
      static_cast<unsigned long long>(g_stats.max_epoch));
}

}  // namespace
}  // namespace exile::crypto
