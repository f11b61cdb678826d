// End to end, with real processes: nothing lost, nothing twice, in order, across
//  - relays SIGKILLed and restarted on the same port in the middle of a two-way stream;
//  - a recipient that was away (its daemon quit) while 200 messages were sent;
//  - a recipient SIGKILLed while it was receiving, then restarted.
// Counts scale with E2E_MESSAGES (default 1000: the stream's total; the others take a fifth
// and three tenths of it).
#include <gtest/gtest.h>

#include <QJsonArray>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "e2e/support/world.h"

namespace exile::test {
namespace {

using namespace std::chrono_literals;

qint64 q(std::int64_t v) { return static_cast<qint64>(v); }

std::string numbered(const char* direction, int n) {
  char text[64];
  std::snprintf(text, sizeof text, "%s #%05d e2e-stream", direction, n);
  return text;
}

// Sends `command` and keeps its id; check() reads every answer kept and wants each ok.
class Pipeline {
 public:
  explicit Pipeline(DaemonProcess& daemon) : daemon_(daemon) {}
  void send(const QJsonObject& command) { ids_.push_back(daemon_.send(command)); }
  void check() {
    for (const auto id : ids_) ok_result(daemon_.answer(id, 60s), "a pipelined send");
    ids_.clear();
  }

 private:
  DaemonProcess& daemon_;
  std::vector<std::int64_t> ids_;
};

QJsonObject send_command(std::int64_t chat, const std::string& text) {
  return QJsonObject{{"cmd", "send"}, {"chat", q(chat)}, {"text", QString::fromStdString(text)}};
}

// Waits until `daemon`'s chat holds `expected` incoming texts, then checks them exactly: each
// once, in send order.
void expect_exactly_received(DaemonProcess& daemon, std::int64_t chat,
                             const std::vector<std::string>& expected,
                             std::chrono::milliseconds timeout) {
  std::vector<std::string> got;
  const bool arrived = wait_until(
      [&] {
        got = texts(all_messages(daemon, chat), false);
        return got.size() >= expected.size();
      },
      timeout, 500ms);
  // Let anything late (a duplicate) land before the final look.
  std::this_thread::sleep_for(1s);
  got = texts(all_messages(daemon, chat), false);
  EXPECT_TRUE(arrived) << "only " << got.size() << " of " << expected.size() << " arrived";
  EXPECT_EQ(got.size(), expected.size());
  std::size_t first_difference = 0;
  while (first_difference < got.size() && first_difference < expected.size() &&
         got[first_difference] == expected[first_difference]) {
    ++first_difference;
  }
  EXPECT_EQ(got, expected) << "first difference at index " << first_difference << ": got "
                           << (first_difference < got.size() ? got[first_difference] : "(end)")
                           << ", expected "
                           << (first_difference < expected.size() ? expected[first_difference]
                                                                  : "(end)");
}

// The sender's own copies: each once, in order, and all confirmed by the recipient.
void expect_sent_and_delivered(DaemonProcess& daemon, std::int64_t chat,
                               const std::vector<std::string>& expected,
                               std::chrono::milliseconds timeout) {
  std::size_t undelivered = 0;
  const bool delivered = wait_until(
      [&] {
        undelivered = 0;
        for (const auto& m : all_messages(daemon, chat)) {
          if (m.value("outgoing").toBool() && m.value("kind") == "text" &&
              m.value("state") != "delivered" && m.value("state") != "read") {
            ++undelivered;
          }
        }
        return undelivered == 0;
      },
      timeout, 500ms);
  EXPECT_TRUE(delivered) << undelivered << " messages not delivered";
  EXPECT_EQ(texts(all_messages(daemon, chat), true), expected);
}

TEST(E2eReliability, TwoWayStreamSurvivesBothRelaysKilledAndRestarted) {
  const int total = env_int("E2E_MESSAGES", 1000);
  World world;
  ASSERT_TRUE(world.ok());
  Person* alice = world.add_person("alice", world.relay_a());
  ASSERT_NE(alice, nullptr);
  Person* bob = world.add_person("bob", world.relay_b());
  ASSERT_NE(bob, nullptr);
  const auto pair = start_chat(*alice, *bob);
  ASSERT_NE(pair.inviter_chat, 0);

  const auto seed = static_cast<unsigned>(
      std::chrono::system_clock::now().time_since_epoch().count() & 0xffffffff);
  std::printf("e2e: stream of %d messages, seed %u\n", total, seed);
  std::mt19937 rng(seed);
  std::vector<std::string> from_alice;
  std::vector<std::string> from_bob;
  Pipeline alice_sends(alice->d());
  Pipeline bob_sends(bob->d());
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < total; ++i) {
    // Relay A (Alice's home: Bob writes to her there) dies at 30 % and is back at 40 %; relay B
    // at 60 % and 70 %.
    // Each stays down 0.5 to 1.5 s, while both sides keep writing.
    if (i == total * 3 / 10) {
      world.relay_a().kill();
      std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 1000));
    }
    if (i == total * 4 / 10) {
      ASSERT_TRUE(world.relay_a().start()) << world.relay_a().error();
    }
    if (i == total * 6 / 10) {
      world.relay_b().kill();
      std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 1000));
    }
    if (i == total * 7 / 10) {
      ASSERT_TRUE(world.relay_b().start()) << world.relay_b().error();
    }
    if (rng() % 2 == 0) {
      from_alice.push_back(numbered("alice>bob", static_cast<int>(from_alice.size())));
      alice_sends.send(send_command(pair.inviter_chat, from_alice.back()));
    } else {
      from_bob.push_back(numbered("bob>alice", static_cast<int>(from_bob.size())));
      bob_sends.send(send_command(pair.accepter_chat, from_bob.back()));
    }
    if (i % 25 == 24) {
      alice_sends.check();
      bob_sends.check();
    }
    if (rng() % 40 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 250));
  }
  alice_sends.check();
  bob_sends.check();
  const auto sent = std::chrono::steady_clock::now();

  EXPECT_TRUE(sync_until_ok(alice->d(), 60s)) << alice->d().recent_output(5);
  EXPECT_TRUE(sync_until_ok(bob->d(), 60s)) << bob->d().recent_output(5);
  // Both daemons saw the outages (a relay of theirs not connected) and came back.
  for (auto* person : {alice, bob}) {
    EXPECT_GE(person->d().count_events([](const QJsonObject& e) {
      return e.value("event") == "relay_status" &&
             e.value("connected").toInteger() < e.value("relays").toInteger();
    }),
              2u)
        << person->name;
  }
  expect_exactly_received(bob->d(), pair.accepter_chat, from_alice, 60s);
  expect_exactly_received(alice->d(), pair.inviter_chat, from_bob, 60s);
  expect_sent_and_delivered(alice->d(), pair.inviter_chat, from_alice, 30s);
  expect_sent_and_delivered(bob->d(), pair.accepter_chat, from_bob, 30s);
  const auto done = std::chrono::steady_clock::now();
  std::printf("e2e: %zu + %zu messages sent in %lld ms, all received and delivered after %lld ms\n",
              from_alice.size(), from_bob.size(),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(sent - started).count()),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(done - started).count()));
  EXPECT_EQ(alice->d().quit(), 0);
  EXPECT_EQ(bob->d().quit(), 0);
}

TEST(E2eReliability, OfflineRecipientCatchesUpInOrder) {
  const int count = env_int("E2E_MESSAGES", 1000) / 5;
  World world;
  ASSERT_TRUE(world.ok());
  Person* alice = world.add_person("alice", world.relay_a());
  ASSERT_NE(alice, nullptr);
  Person* bob = world.add_person("bob", world.relay_b());
  ASSERT_NE(bob, nullptr);
  const auto pair = start_chat(*alice, *bob);
  ASSERT_NE(pair.inviter_chat, 0);

  ASSERT_EQ(bob->d().quit(), 0);
  std::vector<std::string> expected;
  Pipeline sends(alice->d());
  for (int i = 0; i < count; ++i) {
    expected.push_back(numbered("while away", i));
    sends.send(send_command(pair.inviter_chat, expected.back()));
  }
  sends.check();
  ASSERT_TRUE(sync_until_ok(alice->d(), 60s)) << alice->d().recent_output();
  // Everything is on relay B now, none of it delivered.
  for (const auto& m : all_messages(alice->d(), pair.inviter_chat)) {
    if (m.value("kind") == "text") {
      EXPECT_EQ(m.value("state"), "sent");
    }
  }

  ASSERT_TRUE(bob->d().start());
  expect_exactly_received(bob->d(), pair.accepter_chat, expected, 60s);
  expect_sent_and_delivered(alice->d(), pair.inviter_chat, expected, 60s);
  EXPECT_EQ(alice->d().quit(), 0);
  EXPECT_EQ(bob->d().quit(), 0);
}

TEST(E2eReliability, RecipientKilledWhileReceivingLosesNothingAndDoublesNothing) {
  const int count = env_int("E2E_MESSAGES", 1000) * 3 / 10;
  World world;
  ASSERT_TRUE(world.ok());
  Person* alice = world.add_person("alice", world.relay_a());
  ASSERT_NE(alice, nullptr);
  Person* bob = world.add_person("bob", world.relay_b());
  ASSERT_NE(bob, nullptr);
  const auto pair = start_chat(*alice, *bob);
  ASSERT_NE(pair.inviter_chat, 0);

  // Half waits on the relay, so that Bob's restart starts a stream of pushes; Alice writes the
  // other half while Bob is receiving; Bob is killed at his first message_added.
  ASSERT_EQ(bob->d().quit(), 0);
  std::vector<std::string> expected;
  Pipeline sends(alice->d());
  for (int i = 0; i < count / 2; ++i) {
    expected.push_back(numbered("stream", i));
    sends.send(send_command(pair.inviter_chat, expected.back()));
  }
  sends.check();
  ASSERT_TRUE(sync_until_ok(alice->d(), 60s));
  ASSERT_TRUE(bob->d().start());
  for (int i = count / 2; i < count; ++i) {
    expected.push_back(numbered("stream", i));
    sends.send(send_command(pair.inviter_chat, expected.back()));
  }
  const auto first = bob->d().wait_event(
      [](const QJsonObject& e) { return e.value("event") == "message_added"; }, 30s);
  ASSERT_TRUE(first) << bob->d().recent_output();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto seen = bob->d().count_events([](const QJsonObject& e) {
    return e.value("event") == "message_added";
  }) + 1;
  bob->d().kill();
  std::printf("e2e: Bob killed after %zu message_added events of %d messages\n", seen, count);
  sends.check();

  ASSERT_TRUE(bob->d().start());
  expect_exactly_received(bob->d(), pair.accepter_chat, expected, 60s);
  expect_sent_and_delivered(alice->d(), pair.inviter_chat, expected, 60s);
  EXPECT_EQ(alice->d().quit(), 0);
  EXPECT_EQ(bob->d().quit(), 0);
}

}  // namespace
}  // namespace exile::test
