// The engine end to end inside one process: two or three profiles (each an Engine with its own
// thread, encrypted database and relay connections) talking through real exile-relay processes
// on loopback. Nothing is mocked: the relays are the real binary, the databases real files.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QTest>
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/sodium.h"
#include "engine/invitation.h"
#include "engine/relay_transport.h"
#include "store/profile_store.h"
#include "store/repo_identity.h"
#include "support/relay_process.h"
#include "support/temp_dir.h"
#include "tapped_transport.h"

namespace exile::engine {
namespace {

using namespace std::chrono_literals;
using test::RelayProcess;
using test::tapped;
using test::TappedTransport;
using test::TempDir;

constexpr int kWaitMs = 20'000;

SecureBytes passphrase(std::string_view text) { return SecureBytes(text.begin(), text.end()); }

// A clock the test moves, safe to read from the engine thread.
class TestClock final : public Clock {
 public:
  [[nodiscard]] UnixMillis now() const override { return from_millis(ms_.load()); }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }

 private:
  std::atomic<std::int64_t> ms_{1'800'000'000'000};
};

// One profile: its engine and everything it reported.
class Profile {
 public:
  Profile(std::filesystem::path dir, std::string name, std::string relay,
          const Clock* clock = nullptr, RelayTransportFactory relays = {})
      : dir_(std::move(dir)),
        name_(std::move(name)),
        relay_(std::move(relay)),
        clock_(clock),
        relays_(std::move(relays)) {}

  Result<void> create() {
    auto engine = Engine::create(options(), environment(), {name_, relay_}, passphrase("pw"));
    if (!engine) {
      ADD_FAILURE() << "create: " << engine.error();
      return fail(engine.error());
    }
    engine_ = std::move(*engine);
    watch();
    return {};
  }
  Result<void> unlock() {
    auto engine = Engine::unlock(options(), environment(), passphrase("pw"));
    if (!engine) return fail(engine.error());
    engine_ = std::move(*engine);
    watch();
    return {};
  }
  void lock() {
    subscription_.reset();
    if (engine_) engine_->lock();
    engine_.reset();
  }

  Engine& engine() { return *engine_; }
  Options options() const { return Options{.profile_dir = dir_, .fast_kdf = true}; }
  Environment environment() const {
    return Environment{.relays = relays_, .clock = clock_, .rng = nullptr};
  }

  template <class E>
  std::size_t count() {
    std::lock_guard hold(mutex_);
    std::size_t n = 0;
    for (const auto& e : events_) n += std::holds_alternative<E>(e) ? 1u : 0u;
    return n;
  }
  // Whether a MessageChanged for `message` was announced.
  bool announced_change(MessageId message) {
    std::lock_guard hold(mutex_);
    return std::ranges::any_of(events_, [&](const Event& e) {
      const auto* changed = std::get_if<MessageChanged>(&e);
      return changed != nullptr && changed->message == message;
    });
  }
  template <class E>
  bool wait_for(std::size_t n = 1, int ms = kWaitMs) {
    return QTest::qWaitFor([&] { return count<E>() >= n; }, ms);
  }

  template <class T>
  Result<T> await(const std::function<void(Done<T>)>& call, int ms = kWaitMs) {
    auto slot = std::make_shared<std::optional<Result<T>>>();
    auto mutex = std::make_shared<std::mutex>();
    call([slot, mutex](Result<T> r) {
      std::lock_guard hold(*mutex);
      *slot = std::move(r);
    });
    const bool answered = QTest::qWaitFor(
        [&] {
          std::lock_guard hold(*mutex);
          return slot->has_value();
        },
        ms);
    if (!answered) return fail(ErrorCode::RelayTimeout, "the test waited in vain");
    std::lock_guard hold(*mutex);
    return std::move(**slot);
  }

  Result<void> sync() {
    return await<void>([&](Done<void> done) { engine().sync(15s, 200ms, std::move(done)); });
  }

  // The whole chat, oldest first, read a page (at most 1,000) at a time.
  std::vector<MessageView> history(ChatId chat) {
    std::vector<MessageView> all;
    std::optional<MessageId> before;
    for (;;) {
      auto page = engine().messages(chat, Page{.before = before, .limit = 1000});
      EXPECT_TRUE(page.has_value());
      if (!page || page->empty()) return all;
      all.insert(all.begin(), page->begin(), page->end());
      if (page->size() < 1000) return all;
      before = page->front().id;
    }
  }

  std::vector<ChatSummary> chats() {
    auto all = engine().chats();
    return all ? *all : std::vector<ChatSummary>{};
  }

  std::optional<ChatSummary> chat(ChatId id) {
    auto chats = engine().chats();
    if (!chats) return std::nullopt;
    for (auto& c : *chats) {
      if (c.id == id) return c;
    }
    return std::nullopt;
  }

 private:
  void watch() {
    subscription_ = engine_->subscribe([this](const Event& event) {
      std::lock_guard hold(mutex_);
      events_.push_back(event);
    });
  }

  std::filesystem::path dir_;
  std::string name_;
  std::string relay_;
  const Clock* clock_;
  RelayTransportFactory relays_;
  std::unique_ptr<Engine> engine_;
  Subscription subscription_;
  std::mutex mutex_;
  std::vector<Event> events_;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RelayProcess::Options a;
    a.data_dir = dir_.path() / "ra";
    RelayProcess::Options b;
    b.data_dir = dir_.path() / "rb";
    relay_a_ = std::make_unique<RelayProcess>(a);
    relay_b_ = std::make_unique<RelayProcess>(b);
    ASSERT_TRUE(relay_a_->start()) << relay_a_->error();
    ASSERT_TRUE(relay_b_->start()) << relay_b_->error();
  }

  // Alice and Bob, each on a relay; with `tap_alice`, Alice's relay traffic goes through `taps`
  // (for the tests that tamper with what she sends or hears).
  struct ChatPair {
    ChatPair(const std::filesystem::path& dir, const std::string& alice_relay,
             const std::string& bob_relay, bool tap_alice = false)
        : alice(dir / "alice", "Alice", alice_relay, nullptr,
                tap_alice ? tapped(taps) : RelayTransportFactory{}),
          bob(dir / "bob", "Bob", bob_relay) {}
    std::shared_ptr<TappedTransport::Taps> taps = std::make_shared<TappedTransport::Taps>();
    Profile alice;
    Profile bob;
    ChatId alice_chat = 0;
    ChatId bob_chat = 0;
  };
  // Both profiles created, with an Active chat between them.
  void start_chat(ChatPair& pair) {
    ASSERT_TRUE(pair.alice.create().has_value());
    ASSERT_TRUE(pair.bob.create().has_value());
    start_chat(pair.alice, pair.bob, pair.alice_chat, pair.bob_chat);
  }

  // Bob invites, Alice accepts, Bob accepts the request: both chats Active.
  void start_chat(Profile& alice, Profile& bob, ChatId& alice_chat, ChatId& bob_chat) {
    ASSERT_TRUE(bob.wait_for<AddressReady>());
    auto invitation = bob.engine().invitation();
    ASSERT_TRUE(invitation.has_value()) << invitation.error();
    auto accepted = alice.await<ChatId>([&](Done<ChatId> done) {
      alice.engine().accept_invitation(invitation->link, std::move(done));
    });
    ASSERT_TRUE(accepted.has_value()) << accepted.error();
    alice_chat = *accepted;
    ASSERT_TRUE(bob.wait_for<ContactRequestReceived>());
    auto requests = bob.engine().requests();
    ASSERT_TRUE(requests.has_value());
    ASSERT_EQ(requests->size(), 1u);
    auto answered = bob.await<ChatId>([&](Done<ChatId> done) {
      bob.engine().accept_request(requests->front().id, std::move(done));
    });
    ASSERT_TRUE(answered.has_value()) << answered.error();
    bob_chat = *answered;
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
          auto chat = alice.chat(alice_chat);
          return chat && chat->state == ChatState::Active;
        },
        kWaitMs));
  }

  TempDir dir_{"exile-engine"};
  std::unique_ptr<RelayProcess> relay_a_;
  std::unique_ptr<RelayProcess> relay_b_;
};

TEST_F(EngineTest, CreateLockAndUnlockAProfile) {
  Profile alice(dir_.path() / "alice", "Alice", relay_a_->url());
  ASSERT_TRUE(alice.create().has_value());
  ASSERT_TRUE(alice.wait_for<AddressReady>());
  auto name = alice.engine().display_name();
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(*name, "Alice");
  auto invitation = alice.engine().invitation();
  ASSERT_TRUE(invitation.has_value()) << invitation.error();
  auto parsed = parse_invitation_link(invitation->link);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->relay_url + "/", relay_a_->url());
  EXPECT_FALSE(invitation->qr_text.empty());

  // One opener at a time: a second engine on the same profile is refused, the first unharmed.
  auto second = Engine::unlock(alice.options(), {}, passphrase("pw"));
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::ProfileInUse);

  alice.lock();
  auto wrong = Engine::unlock(alice.options(), {}, passphrase("not it"));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::WrongPassphrase);

  ASSERT_TRUE(alice.unlock().has_value());
  auto again = alice.engine().invitation();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->link, invitation->link);  // the same address after a restart
  alice.lock();
}

TEST_F(EngineTest, CreateRefusesBadInputAndAnExistingProfile) {
  Profile alice(dir_.path() / "alice", "Alice", relay_a_->url());
  ASSERT_TRUE(alice.create().has_value());
  alice.lock();
  auto again = Engine::create(alice.options(), {}, {"Alice", relay_a_->url()}, passphrase("pw"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::InvalidArgument);

  Options fresh{.profile_dir = dir_.path() / "other", .fast_kdf = true};
  EXPECT_FALSE(Engine::create(fresh, {}, {"", relay_a_->url()}, passphrase("pw")).has_value());
  EXPECT_FALSE(Engine::create(fresh, {}, {"Bob", "ws://example.org/"}, passphrase("pw")));
  EXPECT_FALSE(Engine::create(fresh, {}, {"Bob", relay_a_->url()}, passphrase("")).has_value());
}

TEST_F(EngineTest, InvitationRequestAcceptAndChatAcrossTwoRelays) {
  Profile alice(dir_.path() / "alice", "Alice", relay_a_->url());
  Profile bob(dir_.path() / "bob", "Bob", relay_b_->url());
  ASSERT_TRUE(alice.create().has_value());
  ASSERT_TRUE(bob.create().has_value());
  ASSERT_TRUE(bob.wait_for<AddressReady>());

  auto invitation = bob.engine().invitation();
  ASSERT_TRUE(invitation.has_value());
  auto alice_chat = alice.await<ChatId>([&](Done<ChatId> done) {
    alice.engine().accept_invitation(invitation->link, std::move(done));
  });
  ASSERT_TRUE(alice_chat.has_value()) << alice_chat.error();
  EXPECT_EQ(alice.chat(*alice_chat)->state, ChatState::Requested);
  // Alice may write before Bob answers: it waits in her outbox for his route.
  auto early = alice.engine().send_text(*alice_chat, "written before the answer");
  ASSERT_TRUE(early.has_value()) << early.error();

  ASSERT_TRUE(bob.wait_for<ContactRequestReceived>());
  auto requests = bob.engine().requests();
  ASSERT_TRUE(requests.has_value());
  ASSERT_EQ(requests->size(), 1u);
  EXPECT_EQ(requests->front().display_name, "Alice");
  EXPECT_EQ(requests->front().safety_number.size(), 71u);  // 12 groups of 5, 11 spaces
  // A pending request cannot be written to.
  auto refused = bob.engine().send_text(requests->front().id, "too early");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::ChatNotReady);

  auto bob_chat = bob.await<ChatId>([&](Done<ChatId> done) {
    bob.engine().accept_request(requests->front().id, std::move(done));
  });
  ASSERT_TRUE(bob_chat.has_value()) << bob_chat.error();
  ASSERT_TRUE(QTest::qWaitFor(
      [&] {
        auto chat = alice.chat(*alice_chat);
        return chat && chat->state == ChatState::Active && chat->contact_name == "Bob";
      },
      kWaitMs));

  // Both see the same safety number.
  auto alice_view = alice.engine().verification(*alice_chat);
  auto bob_view = bob.engine().verification(*bob_chat);
  ASSERT_TRUE(alice_view && bob_view);
  EXPECT_EQ(alice_view->safety_number, bob_view->safety_number);
  EXPECT_EQ(alice_view->safety_number, requests->front().safety_number);

  ASSERT_TRUE(bob.engine().send_text(*bob_chat, "hello Alice").has_value());
  ASSERT_TRUE(alice.engine().send_text(*alice_chat, "hello Bob").has_value());
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(*bob_chat).size() == 3; }, kWaitMs));
  ASSERT_TRUE(QTest::qWaitFor([&] { return alice.history(*alice_chat).size() == 3; }, kWaitMs));
  // Bob wrote his first line before Alice's early one reached him: each side shows the order
  // in which it saw them.
  auto by_text = [](const std::vector<MessageView>& history, std::string_view text) {
    for (const auto& m : history) {
      if (m.text == text) return std::optional<MessageView>(m);
    }
    return std::optional<MessageView>();
  };
  auto early_at_bob = by_text(bob.history(*bob_chat), "written before the answer");
  ASSERT_TRUE(early_at_bob.has_value());
  EXPECT_FALSE(early_at_bob->outgoing);
  auto bob_line = by_text(bob.history(*bob_chat), "hello Alice");
  ASSERT_TRUE(bob_line.has_value());
  EXPECT_TRUE(bob_line->outgoing);
  auto alice_history = alice.history(*alice_chat);
  EXPECT_EQ(alice_history[0].text, "written before the answer");  // Alice's own order
  EXPECT_TRUE(by_text(alice_history, "hello Alice").has_value());

  // Receipts: Bob's copy of "hello Alice" becomes Delivered, then Read when Alice reads it.
  auto state_at_bob = [&] { return by_text(bob.history(*bob_chat), "hello Alice")->state; };
  ASSERT_TRUE(QTest::qWaitFor([&] { return state_at_bob() == MessageState::Delivered; }, kWaitMs));
  ASSERT_TRUE(alice.engine().mark_read(*alice_chat, alice_history.back().id).has_value());
  EXPECT_EQ(alice.chat(*alice_chat)->unread, 0u);
  ASSERT_TRUE(QTest::qWaitFor([&] { return state_at_bob() == MessageState::Read; }, kWaitMs));
  alice.lock();
  bob.lock();
}

TEST_F(EngineTest, DecliningARequestKeepsNothing) {
  Profile alice(dir_.path() / "alice", "Alice", relay_a_->url());
  Profile bob(dir_.path() / "bob", "Bob", relay_a_->url());
  ASSERT_TRUE(alice.create().has_value());
  ASSERT_TRUE(bob.create().has_value());
  ASSERT_TRUE(bob.wait_for<AddressReady>());
  auto invitation = bob.engine().invitation();
  ASSERT_TRUE(invitation.has_value());
  ASSERT_TRUE(alice
                  .await<ChatId>([&](Done<ChatId> done) {
                    alice.engine().accept_invitation(invitation->link, std::move(done));
                  })
                  .has_value());
  ASSERT_TRUE(bob.wait_for<ContactRequestReceived>());
  auto requests = bob.engine().requests();
  ASSERT_TRUE(requests && requests->size() == 1);
  ASSERT_TRUE(bob.engine().decline_request(requests->front().id).has_value());
  EXPECT_TRUE(bob.engine().requests()->empty());
  EXPECT_TRUE(bob.engine().chats()->empty());
  bob.lock();
  alice.lock();
}

TEST_F(EngineTest, OfflineCatchUpKeepsOrder) {
  ChatPair pair(dir_.path(), relay_a_->url(), relay_b_->url());
  ASSERT_NO_FATAL_FAILURE(start_chat(pair));
  auto& [taps, alice, bob, alice_chat, bob_chat] = pair;
  ASSERT_TRUE(bob.sync().has_value());
  bob.lock();

  constexpr std::size_t kMessages = 50;
  for (std::size_t i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(alice.engine().send_text(alice_chat, "m" + std::to_string(i)).has_value());
  }
  ASSERT_TRUE(alice.sync().has_value());

  ASSERT_TRUE(bob.unlock().has_value());
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() == kMessages; }, kWaitMs));
  auto history = bob.history(bob_chat);
  for (std::size_t i = 0; i < kMessages; ++i) EXPECT_EQ(history[i].text, "m" + std::to_string(i));
  alice.lock();
  bob.lock();
}

TEST_F(EngineTest, SendsMadeWithoutWaitingAreCommittedTogetherAndArriveInOrder) {
  ChatPair pair(dir_.path(), relay_a_->url(), relay_b_->url());
  ASSERT_NO_FATAL_FAILURE(start_chat(pair));
  auto& [taps, alice, bob, alice_chat, bob_chat] = pair;

  // More than a turn takes (1,000) and far more than one SEND window (64) of one queue, all
  // made before the first commit.
  constexpr std::size_t kMessages = 1'200;
  std::mutex mutex;
  std::vector<MessageId> ids;
  std::size_t refused = 0;
  for (std::size_t i = 0; i < kMessages; ++i) {
    alice.engine().send_text(alice_chat, "a" + std::to_string(i), [&](Result<MessageId> id) {
      std::lock_guard hold(mutex);
      if (id) {
        ids.push_back(*id);
      } else {
        ++refused;
      }
    });
  }
  ASSERT_TRUE(QTest::qWaitFor(
      [&] {
        std::lock_guard hold(mutex);
        return ids.size() + refused == kMessages;
      },
      kWaitMs));
  EXPECT_EQ(refused, 0u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end())) << "completions out of call order";
  auto mine = alice.history(alice_chat);
  ASSERT_EQ(mine.size(), kMessages);
  for (std::size_t i = 0; i < kMessages; ++i) EXPECT_EQ(mine[i].text, "a" + std::to_string(i));

  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() == kMessages; }, kWaitMs));
  auto history = bob.history(bob_chat);
  for (std::size_t i = 0; i < kMessages; ++i) EXPECT_EQ(history[i].text, "a" + std::to_string(i));
  // Every one confirmed by the relay, then by Bob's delivery receipts.
  ASSERT_TRUE(QTest::qWaitFor(
      [&] {
        auto now = alice.history(alice_chat);
        return std::all_of(now.begin(), now.end(),
                           [](const MessageView& m) { return m.state == MessageState::Delivered; });
      },
      kWaitMs));
  // A blocking send made behind more sends than a turn takes waits for its own turn.
  std::atomic<std::size_t> queued_ahead{0};
  for (std::size_t i = 0; i < 1'500; ++i) {
    alice.engine().send_text(alice_chat, "b" + std::to_string(i),
                             [&](Result<MessageId> id) { queued_ahead += id ? 1 : 0; });
  }
  auto behind = alice.engine().send_text(alice_chat, "behind them");
  ASSERT_TRUE(behind.has_value()) << behind.error();
  EXPECT_EQ(queued_ahead.load(), 1'500u);
  EXPECT_EQ(alice.history(alice_chat).back().text, "behind them");
  // A send to a chat that does not exist is refused on its own, and the others still go.
  std::optional<Result<MessageId>> missing;
  std::optional<Result<MessageId>> good;
  alice.engine().send_text(alice_chat + 1000, "nowhere", [&](Result<MessageId> id) {
    std::lock_guard hold(mutex);
    missing = std::move(id);
  });
  alice.engine().send_text(alice_chat, "after it", [&](Result<MessageId> id) {
    std::lock_guard hold(mutex);
    good = std::move(id);
  });
  ASSERT_TRUE(QTest::qWaitFor(
      [&] {
        std::lock_guard hold(mutex);
        return missing.has_value() && good.has_value();
      },
      kWaitMs));
  ASSERT_FALSE(missing->has_value());
  EXPECT_EQ(missing->error().code, ErrorCode::NotFound);
  EXPECT_TRUE(good->has_value());
  // After lock a send is refused at once.
  alice.engine().lock();
  std::optional<Result<MessageId>> late;
  alice.engine().send_text(alice_chat, "late", [&](Result<MessageId> id) { late = std::move(id); });
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->error().code, ErrorCode::ProfileLocked);
  alice.lock();
  bob.lock();
}

TEST_F(EngineTest, SelfDestructTimerDeletesOnBothSidesAfterReading) {
  TestClock alice_clock;
  TestClock bob_clock;
  Profile alice(dir_.path() / "alice", "Alice", relay_a_->url(), &alice_clock);
  Profile bob(dir_.path() / "bob", "Bob", relay_a_->url(), &bob_clock);
  ASSERT_TRUE(alice.create().has_value());
  ASSERT_TRUE(bob.create().has_value());
  ChatId alice_chat = 0;
  ChatId bob_chat = 0;
  start_chat(alice, bob, alice_chat, bob_chat);

  ASSERT_TRUE(alice.engine().set_timer(alice_chat, 5).has_value());
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.chat(bob_chat)->timer_seconds == 5u; }, kWaitMs));
  auto sent = alice.engine().send_text(alice_chat, "gone in five");
  ASSERT_TRUE(sent.has_value());
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() == 2; }, kWaitMs));
  auto bob_history = bob.history(bob_chat);
  EXPECT_EQ(bob_history[0].kind, MessageKind::TimerChanged);
  EXPECT_EQ(bob_history[1].timer_seconds, 5u);
  EXPECT_FALSE(bob_history[1].expires_at.has_value());  // not read yet: no countdown

  // Unread messages never expire, however long they wait.
  bob_clock.advance(1h);
  EXPECT_EQ(*bob.engine().run_timers(), 0u);

  EXPECT_FALSE(bob.announced_change(bob_history[1].id));
  ASSERT_TRUE(bob.engine().mark_read(bob_chat, bob_history[1].id).has_value());
  // Read, its countdown running: announced, so that a view re-reads this message.
  EXPECT_TRUE(bob.announced_change(bob_history[1].id));
  EXPECT_TRUE(bob.history(bob_chat)[1].expires_at.has_value());
  ASSERT_TRUE(QTest::qWaitFor(
      [&] {
        auto h = alice.history(alice_chat);
        return !h.empty() && h.back().state == MessageState::Read;
      },
      kWaitMs));
  bob_clock.advance(4s);
  EXPECT_EQ(*bob.engine().run_timers(), 0u);
  bob_clock.advance(2s);
  EXPECT_EQ(*bob.engine().run_timers(), 1u);
  alice_clock.advance(6s);
  EXPECT_EQ(*alice.engine().run_timers(), 1u);
  EXPECT_EQ(bob.history(bob_chat).size(), 1u);  // the timer notice stays
  EXPECT_EQ(alice.history(alice_chat).size(), 1u);
  EXPECT_TRUE(bob.engine().search("five", std::nullopt, 10)->empty());
  alice.lock();
  bob.lock();
}

TEST_F(EngineTest, DeleteForBothAndSearch) {
  ChatPair pair(dir_.path(), relay_a_->url(), relay_a_->url());
  ASSERT_NO_FATAL_FAILURE(start_chat(pair));
  auto& [taps, alice, bob, alice_chat, bob_chat] = pair;
  auto keep = alice.engine().send_text(alice_chat, "a pelican keeps this");
  auto gone = alice.engine().send_text(alice_chat, "a walrus regrets this");
  ASSERT_TRUE(keep && gone);
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() == 2; }, kWaitMs));
  EXPECT_EQ(bob.engine().search("walrus", std::nullopt, 10)->size(), 1u);

  ASSERT_TRUE(alice.engine().delete_for_both(alice_chat, *gone).has_value());
  EXPECT_EQ(alice.history(alice_chat).size(), 1u);
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() == 1; }, kWaitMs));
  EXPECT_EQ(bob.history(bob_chat)[0].text, "a pelican keeps this");
  EXPECT_TRUE(bob.engine().search("walrus", std::nullopt, 10)->empty());
  EXPECT_EQ(bob.engine().search("pelican", std::nullopt, 10)->size(), 1u);

  ASSERT_TRUE(bob.engine().mark_verified(bob_chat, true).has_value());
  EXPECT_TRUE(bob.engine().verification(bob_chat)->verified);
  EXPECT_TRUE(bob.chat(bob_chat)->verified);
  alice.lock();
  bob.lock();
}

// Reads a locked profile's identity public key (the test looks inside; the engine never shows it).
Bytes identity_key_of(const std::filesystem::path& dir) {
  store::ProfileStore profile(dir);
  auto db = profile.unlock(passphrase("pw"));
  EXPECT_TRUE(db.has_value());
  if (!db) return {};
  auto identity = store::SqliteIdentityStore(*db).local_identity();
  EXPECT_TRUE(identity.has_value());
  if (!identity) return {};
  const auto& bytes = identity->public_key().bytes();
  return Bytes(bytes.begin(), bytes.end());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string content(static_cast<std::size_t>(std::filesystem::file_size(path)), '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<std::size_t>(in.gcount()));
  return content;
}

// Every way a value could sit in a file: as it is, hex, base64 (both alphabets, with and
// without padding).
std::vector<std::string> spellings(ByteView value) {
  std::vector<std::string> out{std::string(value.begin(), value.end()), to_hex(value)};
  for (auto variant : {Base64Variant::Standard, Base64Variant::UrlNoPadding}) {
    auto text = to_base64(value, variant);
    out.push_back(text);
    while (!text.empty() && text.back() == '=') text.pop_back();
    out.push_back(text);
  }
  return out;
}

TEST_F(EngineTest, NothingLeaksIntoProfileOrRelayFiles) {
  const std::string alice_name = "Zebulon Quist";
  const std::string bob_name = "Philippa Vantablack";
  const std::string marker = "MARKER-44918-uncommon";
  {
    Profile alice(dir_.path() / "alice", alice_name, relay_a_->url());
    Profile bob(dir_.path() / "bob", bob_name, relay_b_->url());
    ASSERT_TRUE(alice.create().has_value());
    ASSERT_TRUE(bob.create().has_value());
    ChatId alice_chat = 0;
    ChatId bob_chat = 0;
    start_chat(alice, bob, alice_chat, bob_chat);
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(alice.engine().send_text(alice_chat, marker + " from alice").has_value());
      ASSERT_TRUE(bob.engine().send_text(bob_chat, marker + " from bob").has_value());
    }
    ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() == 40; }, kWaitMs));
    ASSERT_TRUE(QTest::qWaitFor([&] { return alice.history(alice_chat).size() == 40; }, kWaitMs));
    // Some stay on the relay, unread: they must not leak there either.
    bob.lock();
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(alice.engine().send_text(alice_chat, marker + " queued").has_value());
    }
    ASSERT_TRUE(alice.sync().has_value());
    alice.lock();
  }
  std::vector<std::string> secrets{marker, alice_name, bob_name};
  for (const auto* who : {"alice", "bob"}) {
    auto key = identity_key_of(dir_.path() / who);
    ASSERT_EQ(key.size(), 32u);
    for (auto& s : spellings(key)) secrets.push_back(s);
  }
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const auto content = read_file(entry.path());
    for (const auto& secret : secrets) {
      EXPECT_EQ(content.find(secret), std::string::npos)
          << entry.path().filename() << " holds a secret of length " << secret.size();
    }
  }
  EXPECT_GE(files, 6u);  // two profiles' key files and databases, two relay databases
  for (const auto* relay : {relay_a_.get(), relay_b_.get()}) {
    const auto log = relay->output();
    for (const auto& secret : secrets) EXPECT_EQ(log.find(secret), std::string::npos);
  }
}

TEST_F(EngineTest, AReplayedFirstMessageMakesNoSecondRequest) {
  // Bob's relay withholds one-time keys, so only the replay cache can tell a replay apart.
  auto taps = std::make_shared<TappedTransport::Taps>();
  taps->strip_one_time_keys = true;
  Profile alice(dir_.path() / "alice", "Alice", relay_a_->url(), nullptr, tapped(taps));
  Profile bob(dir_.path() / "bob", "Bob", relay_b_->url());
  ASSERT_TRUE(alice.create().has_value());
  ASSERT_TRUE(bob.create().has_value());
  ASSERT_TRUE(bob.wait_for<AddressReady>());
  auto invitation = bob.engine().invitation();
  ASSERT_TRUE(invitation.has_value());
  auto parsed = parse_invitation_link(invitation->link);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_TRUE(alice
                  .await<ChatId>([&](Done<ChatId> done) {
                    alice.engine().accept_invitation(invitation->link, std::move(done));
                  })
                  .has_value());
  ASSERT_TRUE(bob.wait_for<ContactRequestReceived>());
  ASSERT_TRUE(alice.sync().has_value());

  // Someone who saw the first message on the wire sends it again, twice, under new ids.
  Bytes first;
  {
    std::lock_guard hold(taps->mutex);
    for (const auto& [queue, body] : taps->sent) {
      if (queue == parsed->address_id) first = body;
    }
  }
  ASSERT_FALSE(first.empty());
  auto raw = connect_relay(parsed->relay_url);
  ASSERT_TRUE(raw.has_value());
  struct Quiet final : RelayTransport::Listener {
    void relay_connected() override {}
    void relay_disconnected() override {}
    void relay_message(const relay::wire::QueueId&, std::uint64_t, UnixMillis, Bytes) override {}
    void relay_subscription_ended(const relay::wire::QueueId&) override {}
  } quiet;
  (*raw)->start(quiet);
  for (std::uint8_t n = 1; n <= 2; ++n) {
    ClientMessageId id{};
    id.fill(n);
    auto sent = alice.await<SendReceipt>([&](Done<SendReceipt> done) {
      (*raw)->send(parsed->address_id, id, first, nullptr, std::move(done));
    });
    ASSERT_TRUE(sent.has_value()) << sent.error();
    EXPECT_FALSE(sent->duplicate);  // new ids: the relay stores them, the engine must refuse
  }
  ASSERT_TRUE(bob.sync().has_value());
  EXPECT_EQ(bob.count<ContactRequestReceived>(), 1u);
  EXPECT_EQ(bob.engine().requests()->size(), 1u);
  alice.lock();
  bob.lock();
}

TEST_F(EngineTest, AnUndecryptableMessageIsKeptAndADuplicateIsNotShownTwice) {
  ChatPair pair(dir_.path(), relay_a_->url(), relay_a_->url(), true);
  ASSERT_NO_FATAL_FAILURE(start_chat(pair));
  auto& [taps, alice, bob, alice_chat, bob_chat] = pair;
  ASSERT_TRUE(alice.engine().send_text(alice_chat, "one").has_value());
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() == 1; }, kWaitMs));
  {
    std::lock_guard hold(taps->mutex);
    taps->corrupt_next_send = true;
  }
  ASSERT_TRUE(alice.engine().send_text(alice_chat, "two").has_value());
  ASSERT_TRUE(alice.sync().has_value());
  ASSERT_TRUE(alice.engine().send_text(alice_chat, "three").has_value());
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() == 3; }, kWaitMs));
  auto history = bob.history(bob_chat);
  EXPECT_EQ(history[0].text, "one");
  EXPECT_EQ(history[1].kind, MessageKind::Undecryptable);
  EXPECT_EQ(history[2].text, "three");

  // "four" reaches Bob twice (a relay, or a sender's bug, storing it under two ids): the
  // ratchet refuses the second copy and the chat shows it once, not as undecryptable.
  {
    std::lock_guard hold(taps->mutex);
    taps->duplicate_next_send = true;
  }
  ASSERT_TRUE(alice.engine().send_text(alice_chat, "four").has_value());
  ASSERT_TRUE(alice.sync().has_value());
  ASSERT_TRUE(bob.sync().has_value());
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() >= 4; }, kWaitMs));
  QTest::qWait(300);
  history = bob.history(bob_chat);
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[3].text, "four");
  alice.lock();
  bob.lock();
}

TEST_F(EngineTest, TwoChatsWithOneContactAreIndependent) {
  Profile alice(dir_.path() / "alice", "Alice", relay_a_->url());
  Profile bob(dir_.path() / "bob", "Bob", relay_b_->url());
  ASSERT_TRUE(alice.create().has_value());
  ASSERT_TRUE(bob.create().has_value());
  ChatId alice_first = 0;
  ChatId bob_first = 0;
  start_chat(alice, bob, alice_first, bob_first);
  // The same link again: a second secret chat, with its own session and queues.
  auto invitation = bob.engine().invitation();
  ASSERT_TRUE(invitation.has_value());
  auto alice_second = alice.await<ChatId>([&](Done<ChatId> done) {
    alice.engine().accept_invitation(invitation->link, std::move(done));
  });
  ASSERT_TRUE(alice_second.has_value());
  EXPECT_NE(*alice_second, alice_first);
  ASSERT_TRUE(bob.wait_for<ContactRequestReceived>(2));
  auto requests = bob.engine().requests();
  ASSERT_TRUE(requests && requests->size() == 1);
  auto bob_second = bob.await<ChatId>([&](Done<ChatId> done) {
    bob.engine().accept_request(requests->front().id, std::move(done));
  });
  ASSERT_TRUE(bob_second.has_value());
  ASSERT_TRUE(QTest::qWaitFor([&] { return alice.chat(*alice_second)->state == ChatState::Active; },
                              kWaitMs));

  ASSERT_TRUE(alice.engine().send_text(alice_first, "in the first").has_value());
  ASSERT_TRUE(alice.engine().send_text(*alice_second, "in the second").has_value());
  ASSERT_TRUE(alice.engine().set_typing(*alice_second, true).has_value());
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(*bob_second).size() == 1; }, kWaitMs));
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_first).size() == 1; }, kWaitMs));
  EXPECT_EQ(bob.history(bob_first)[0].text, "in the first");
  EXPECT_EQ(bob.history(*bob_second)[0].text, "in the second");
  ASSERT_TRUE(bob.wait_for<TypingChanged>());
  EXPECT_EQ(bob.chats().size(), 2u);
  alice.lock();
  bob.lock();
}

TEST_F(EngineTest, ASendWhoseAnswerIsLostIsSentAgainWithoutHoldingTheQueue) {
  ChatPair pair(dir_.path(), relay_a_->url(), relay_a_->url(), true);
  ASSERT_NO_FATAL_FAILURE(start_chat(pair));
  auto& [taps, alice, bob, alice_chat, bob_chat] = pair;
  std::size_t sent_before = 0;
  {
    std::lock_guard hold(taps->mutex);
    taps->lose_next_answer = true;
    sent_before = taps->sent.size();
  }
  auto first = alice.engine().send_text(alice_chat, "answer lost");
  auto second = alice.engine().send_text(alice_chat, "does not wait for it");
  ASSERT_TRUE(first && second);
  // The relay stored the first; its Ok never reached Alice. The queue's window goes on: the
  // second follows at once, and Bob has both, in order.
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() == 2; }, kWaitMs));
  auto history = bob.history(bob_chat);
  EXPECT_EQ(history[0].text, "answer lost");
  EXPECT_EQ(history[1].text, "does not wait for it");
  // The watchdog sends the first again under its client id (sync() waits until nothing is in
  // flight); the relay answers the repeat as a duplicate and Bob sees nothing new.
  auto synced = alice.await<void>(
      [&](Done<void> done) { alice.engine().sync(45s, 200ms, std::move(done)); }, 50'000);
  ASSERT_TRUE(synced.has_value()) << synced.error();
  std::size_t repeats = 0;
  {
    std::lock_guard hold(taps->mutex);
    ASSERT_GT(taps->sent.size(), sent_before);
    const Bytes& lost = taps->sent[sent_before].second;
    for (std::size_t i = sent_before + 1; i < taps->sent.size(); ++i) {
      if (taps->sent[i].second == lost) ++repeats;
    }
  }
  EXPECT_EQ(repeats, 1u);
  EXPECT_EQ(bob.history(bob_chat).size(), 2u);
  alice.lock();
  bob.lock();
}

TEST_F(EngineTest, ARefusedSendStopsItsQueueUntilItsRetry) {
  ChatPair pair(dir_.path(), relay_a_->url(), relay_a_->url(), true);
  ASSERT_NO_FATAL_FAILURE(start_chat(pair));
  auto& [taps, alice, bob, alice_chat, bob_chat] = pair;
  // "first" and "second" are committed in one turn and flushed together; the transport refuses
  // "first" at once, inside that flush, so "second" must wait for first's retry.
  Engine& engine = alice.engine();
  std::atomic<int> done{0};
  engine.send_text(alice_chat, "zero", [&](Result<MessageId> id) {
    EXPECT_TRUE(id.has_value());
    {
      std::lock_guard hold(taps->mutex);
      taps->refuse_send_at = taps->sent.size() + 1;  // "zero" goes out next, then "first"
    }
    // On the engine thread: both are posted behind this turn, so the next turn takes both.
    for (const char* text : {"first", "second"}) {
      engine.send_text(alice_chat, text, [&](Result<MessageId> sent) {
        EXPECT_TRUE(sent.has_value());
        ++done;
      });
    }
  });
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() == 3; }, kWaitMs));
  auto history = bob.history(bob_chat);
  EXPECT_EQ(history[0].text, "zero");
  EXPECT_EQ(history[1].text, "first");
  EXPECT_EQ(history[2].text, "second");
  EXPECT_EQ(done.load(), 2);
  alice.lock();
  bob.lock();
}

TEST_F(EngineTest, APermanentRefusalFailsItsMessageAndTheQueueGoesOn) {
  ChatPair pair(dir_.path(), relay_a_->url(), relay_a_->url(), true);
  ASSERT_NO_FATAL_FAILURE(start_chat(pair));
  auto& [taps, alice, bob, alice_chat, bob_chat] = pair;
  {
    std::lock_guard hold(taps->mutex);
    taps->oversize_next_send = true;
  }
  auto refused = alice.engine().send_text(alice_chat, "refused as too large");
  auto next = alice.engine().send_text(alice_chat, "goes on");
  ASSERT_TRUE(refused && next);
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() == 1; }, kWaitMs));
  EXPECT_EQ(bob.history(bob_chat)[0].text, "goes on");
  auto state_of = [&](MessageId id) {
    for (const auto& m : alice.history(alice_chat)) {
      if (m.id == id) return m.state;
    }
    return MessageState::Queued;
  };
  ASSERT_TRUE(QTest::qWaitFor([&] { return state_of(*refused) == MessageState::Failed; }, kWaitMs));
  ASSERT_TRUE(QTest::qWaitFor([&] { return state_of(*next) == MessageState::Delivered; }, kWaitMs));
  // Nothing of it stays in the outbox: sync() finds nothing due or in flight.
  ASSERT_TRUE(alice.sync().has_value());

  // Only our own Failed text message can be retried.
  EXPECT_EQ(alice.engine().retry(alice_chat, *next).error().code, ErrorCode::NotFound);
  EXPECT_EQ(alice.engine().retry(alice_chat + 1, *refused).error().code, ErrorCode::NotFound);
  // The retry sends its text as a new message, which Bob gets, and the failed one is gone in the
  // same commit: Alice's chat shows the text once, after "goes on".
  const auto deleted_before = alice.count<MessageDeleted>();
  auto retried = alice.await<MessageId>(
      [&](Done<MessageId> done) { alice.engine().retry(alice_chat, *refused, std::move(done)); });
  ASSERT_TRUE(retried) << retried.error().message;
  EXPECT_NE(*retried, *refused);
  EXPECT_EQ(alice.count<MessageDeleted>(), deleted_before + 1);
  auto history = alice.history(alice_chat);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].text, "goes on");
  EXPECT_EQ(history[1].text, "refused as too large");
  EXPECT_EQ(history[1].id, *retried);
  ASSERT_TRUE(QTest::qWaitFor([&] { return bob.history(bob_chat).size() == 2; }, kWaitMs));
  EXPECT_EQ(bob.history(bob_chat)[1].text, "refused as too large");
  ASSERT_TRUE(
      QTest::qWaitFor([&] { return state_of(*retried) == MessageState::Delivered; }, kWaitMs));
  // Retried once is retried: the old id is no longer there to retry.
  EXPECT_EQ(alice.engine().retry(alice_chat, *refused).error().code, ErrorCode::NotFound);
  alice.lock();
  bob.lock();
}

// Locking while a turn's work is pending: pushes from the peer, relays' answers to SENDs (and
// the short wait for them), sends not committed yet, a sync waiter. Each lock finishes the
// pending completions once (ProfileLocked) and tears the relays down with nothing left behind;
// under AddressSanitizer a callback that outlives what it touches fails here.
TEST_F(EngineTest, LockingInTheMiddleOfTurnsLeavesNothingBehind) {
  ChatPair pair(dir_.path(), relay_a_->url(), relay_b_->url());
  ASSERT_NO_FATAL_FAILURE(start_chat(pair));
  auto& [taps, alice, bob, alice_chat, bob_chat] = pair;
  for (int round = 0; round < 12; ++round) {
    auto answered = std::make_shared<std::atomic<int>>(0);
    for (int i = 0; i < 40; ++i) {
      alice.engine().send_text(alice_chat, "to bob " + std::to_string(i), {});
      bob.engine().send_text(bob_chat, "to alice " + std::to_string(i),
                             [answered](Result<MessageId>) { ++*answered; });
    }
    if (auto newest = bob.engine().messages(bob_chat, Page{std::nullopt, 1});
        newest && !newest->empty()) {
      (void)bob.engine().mark_read(bob_chat, newest->front().id);
    }
    bob.engine().sync(10s, 0ms, [answered](Result<void>) { ++*answered; });
    // From at once to well into the exchange, so that the lock meets each kind of pending work.
    QTest::qWait(round * 7);
    bob.lock();
    EXPECT_EQ(answered->load(), 41) << "round " << round << ": a completion was not called once";
    ASSERT_TRUE(bob.unlock().has_value());
  }
  ASSERT_TRUE(bob.sync().has_value());
  alice.lock();
  bob.lock();
}

TEST_F(EngineTest, CallsAfterLockFailCleanly) {
  Profile alice(dir_.path() / "alice", "Alice", relay_a_->url());
  ASSERT_TRUE(alice.create().has_value());
  Engine& engine = alice.engine();
  engine.lock();
  auto chats = engine.chats();
  ASSERT_FALSE(chats.has_value());
  EXPECT_EQ(chats.error().code, ErrorCode::ProfileLocked);
  auto answer = alice.await<ChatId>(
      [&](Done<ChatId> done) { engine.accept_invitation("exile://invite/v1/x", std::move(done)); });
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error().code, ErrorCode::ProfileLocked);
  alice.lock();
}

}  // namespace
}  // namespace exile::engine

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  exile::ensure_sodium();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
