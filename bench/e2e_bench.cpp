// exile_bench_e2e: the engine end to end in one process, through a real exile-relay on loopback
// that it starts itself (docs/performance.md, "End to end"). scripts/bench e2e builds and runs it
// and prints the table.
//
// Setup, once: a relay, Alice and Bob (fresh profiles, fast_kdf) with an active secret chat.
// Bob's profile is locked, Alice sends N text messages (default 10,000), and once the relay
// holds them all Alice's profile is locked and the relay stopped. The relay's data and both
// profiles are then copied aside: every repetition starts from that copy (the same queued
// envelopes, the same sessions), since making it costs one commit per message on Alice's side
// (minutes on this disk) and the relay gives each message out once.
//
// Each repetition, from the copy, with the relay restarted on its port:
//
//   catchup   Bob's profile is unlocked: the time from Engine::unlock() until the MessageAdded
//             event of the last queued message (events come after the batch's commit: every
//             message is then decrypted and stored).
//   floor     the same number of envelopes (one Double Ratchet chain, the same texts, the same
//             content encoding) decrypted and stored with no engine and no network: the crypto
//             core and the store directly, in transactions of --batch pushes the way the
//             engine's receive path does (docs/engine.md, "Receiving"): the session loaded once
//             per batch, each envelope decrypted, its content parsed, checked against the uid
//             index and inserted, the session stored, commit. Delivery receipts are not in it.
//   latency   with both profiles unlocked, Alice sends at a fixed rate R (paced on the monotonic
//             clock) for D seconds, with the completion form of send_text() (the form the app
//             uses: it never waits for the disk, and calls that arrive while the engine thread
//             is busy are committed together); each message's latency is from just before
//             send_text() to the MessageAdded event on Bob's engine (his commit). Both engines live
//             in this process, so the two times are read from one clock. When send_text() itself
//             takes longer than 1/R, the sender falls behind: the phase still ends after D seconds,
//             and the achieved rate and the latency from each message's scheduled time (which
//             then grows with the backlog) are reported beside it.
//
// The phases of a repetition alternate their order from one repetition to the next (floor
// before or after the engines; the slow rate before or after the fast one), so that a burst of
// load on this shared machine does not always land on the same one.
//
// Output: one JSON object per line on stdout, one per measurement; progress on stderr.
//
//   exile_bench_e2e --relay-bin PATH --dir DIR [--repetitions 5] [--messages 10000]
//                   [--batch 100] [--rates 10,1000] [--duration 5] [--relay-arg ARG]...
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QCoreApplication>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/rng.h"
#include "crypto/keys.h"
#include "crypto/memory_store.h"
#include "crypto/prekeys.h"
#include "crypto/session.h"
#include "crypto/session_builder.h"
#include "engine/engine.h"
#include "engine_bench_support.h"
#include "message.pb.h"
#include "store/database.h"
#include "store/repo_chats.h"
#include "store/repo_contacts.h"
#include "store/repo_messages.h"
#include "store/repo_queues.h"
#include "store/repo_sessions.h"
#include "store/schema.h"

namespace exile::bench::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using engine::ChatId;
using engine::Engine;
using engine::Event;

struct Config {
  fs::path relay_bin;
  std::vector<std::string> relay_args;  // added to exile-relay's command line
  fs::path dir;
  int repetitions = 5;
  std::size_t messages = 10'000;
  std::size_t batch = 100;
  std::vector<int> rates = {10, 1000};
  int duration_s = 5;
};

// CPU time of the whole process (every thread: ours, both engines'), user + system, in ms.
double process_cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto ms = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
  };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

// Message i of the catch-up: about 100 bytes of text, the same in the engine and the floor.
std::string catchup_text(std::size_t i) {
  std::string text = "catch-up message " + std::to_string(i) + ": ";
  while (text.size() < 100) text += "see you tomorrow at the usual place. ";
  text.resize(100);
  return text;
}

SecureBytes passphrase() {
  const std::string_view text = "bench passphrase";
  return SecureBytes(text.begin(), text.end());
}

class Profile {
 public:
  Profile(fs::path dir, std::string name, std::string relay)
      : dir_(std::move(dir)), name_(std::move(name)), relay_(std::move(relay)) {}
  ~Profile() { lock(); }

  void create() {
    engine_ = must(Engine::create(options(), {}, {name_, relay_}, passphrase()), "create");
    watch();
  }
  void unlock() {
    engine_ = must(Engine::unlock(options(), {}, passphrase()), "unlock");
    watch();
  }
  void lock() {
    subscription_.reset();
    if (engine_) engine_->lock();
    engine_.reset();
  }

  Engine& engine() { return *engine_; }

  void watch_chat(ChatId chat) { watched_chat_ = chat; }
  std::size_t arrivals() {
    std::lock_guard hold(mutex_);
    return arrivals_.size();
  }
  std::vector<Steady::time_point> arrival_times() {
    std::lock_guard hold(mutex_);
    return arrivals_;
  }
  std::size_t address_ready() const { return address_ready_; }
  std::size_t requests() const { return requests_; }

  void sync(std::chrono::milliseconds timeout = 60s) {
    must(await<void>(
             [&](engine::Done<void> done) { engine().sync(timeout, 200ms, std::move(done)); },
             timeout + 5s),
         "sync");
  }

 private:
  engine::Options options() const { return engine::Options{.profile_dir = dir_, .fast_kdf = true}; }
  void watch() {
    subscription_ = engine_->subscribe([this](const Event& event) {
      if (const auto* added = std::get_if<engine::MessageAdded>(&event)) {
        if (added->chat != watched_chat_.load()) return;
        const auto now = Steady::now();
        std::lock_guard hold(mutex_);
        arrivals_.push_back(now);
      } else if (std::holds_alternative<engine::AddressReady>(event)) {
        ++address_ready_;
      } else if (std::holds_alternative<engine::ContactRequestReceived>(event)) {
        ++requests_;
      }
    });
  }

  fs::path dir_;
  std::string name_;
  std::string relay_;
  std::unique_ptr<Engine> engine_;
  engine::Subscription subscription_;
  std::atomic<ChatId> watched_chat_{0};
  std::atomic<std::size_t> address_ready_{0};
  std::atomic<std::size_t> requests_{0};
  std::mutex mutex_;
  std::vector<Steady::time_point> arrivals_;
};

std::size_t unread(Profile& profile, ChatId chat) {
  auto chats = must(profile.engine().chats(), "chats");
  for (const auto& c : chats) {
    if (c.id == chat) return c.unread;
  }
  die("the chat is gone");
}

// The chats of Alice and Bob, as made by set_up.
struct Chats {
  ChatId alice = 0;
  ChatId bob = 0;
};

// ---- setup ----------------------------------------------------------------------------------

// Alice and Bob with an active secret chat (Bob invites, Alice accepts, Bob accepts); Bob is
// locked and Alice sends the N messages; both locked once the relay holds them all.
Chats set_up(const fs::path& dir, const std::string& relay, const Config& config) {
  Profile alice(dir / "alice", "Alice", relay);
  Profile bob(dir / "bob", "Bob", relay);
  Chats chats;
  alice.create();
  bob.create();
  if (!wait_until([&] { return bob.address_ready() > 0; }, 30s)) die("no AddressReady");
  auto invitation = must(bob.engine().invitation(), "invitation");
  chats.alice = must(await<ChatId>(
                         [&](engine::Done<ChatId> done) {
                           alice.engine().accept_invitation(invitation.link, std::move(done));
                         },
                         60s),
                     "accept_invitation");
  if (!wait_until([&] { return bob.requests() > 0; }, 30s)) die("no contact request");
  auto requests = must(bob.engine().requests(), "requests");
  if (requests.size() != 1) die("expected one contact request");
  chats.bob = must(await<ChatId>(
                       [&](engine::Done<ChatId> done) {
                         bob.engine().accept_request(requests.front().id, std::move(done));
                       },
                       60s),
                   "accept_request");
  const bool active = wait_until(
      [&] {
        auto list = alice.engine().chats();
        if (!list) return false;
        return std::any_of(list->begin(), list->end(), [&](const engine::ChatSummary& c) {
          return c.id == chats.alice && c.state == engine::ChatState::Active;
        });
      },
      30s);
  if (!active) die("Alice's chat did not become active");
  bob.sync();
  bob.lock();

  // Alice writes (the completion form of send_text, as the app calls it: calls that arrive
  // together are committed together); every envelope reaches the relay (her newest message
  // confirmed, and then nothing left in flight).
  const auto send_start = Steady::now();
  std::atomic<std::size_t> done_sends{0};
  std::atomic<std::size_t> refused_sends{0};
  for (std::size_t i = 0; i < config.messages; ++i) {
    alice.engine().send_text(chats.alice, catchup_text(i), [&](auto id) {
      if (!id) ++refused_sends;
      ++done_sends;
    });
  }
  if (!wait_until([&] { return done_sends.load() == config.messages; }, 3600s) ||
      refused_sends.load() != 0) {
    die("Alice's messages were not all committed");
  }
  const auto committed = Steady::now();
  const bool sent = wait_until(
      [&] {
        auto newest = alice.engine().messages(chats.alice, {.before = {}, .limit = 1});
        if (!newest || newest->empty()) return false;
        const auto state = newest->front().state;
        return state != engine::MessageState::Queued && state != engine::MessageState::Failed;
      },
      3600s);
  if (!sent) die("Alice's messages did not all reach the relay");
  alice.sync();
  const auto on_relay = Steady::now();
  std::printf(
      "{\"kind\":\"setup\",\"messages\":%zu,\"alice_commit_ms\":%.1f,\"alice_relay_ms\":%.1f}\n",
      config.messages, ms_between(send_start, committed), ms_between(committed, on_relay));
  std::fflush(stdout);
  std::fprintf(stderr,
               "  setup: %zu messages committed by Alice in %.0f ms (%.0f us a message), all on "
               "the relay %.0f ms later\n",
               config.messages, ms_between(send_start, committed),
               ms_between(send_start, committed) * 1000 / static_cast<double>(config.messages),
               ms_between(committed, on_relay));
  alice.lock();
  return chats;
}

// ---- catch-up -------------------------------------------------------------------------------

void run_catchup(Profile& bob, ChatId chat, const Config& config, int rep) {
  const double cpu_start = process_cpu_ms();
  const auto unlock_start = Steady::now();
  bob.unlock();
  const auto unlocked = Steady::now();
  const bool all = wait_until([&] { return bob.arrivals() >= config.messages; }, 600s);
  // Read within a millisecond of the last event (the wait polls): the engine's work, this
  // thread's polling and Bob's receipts sent meanwhile.
  const double cpu = process_cpu_ms() - cpu_start;
  const auto times = bob.arrival_times();
  const std::size_t held = unread(bob, chat);
  if (!all) {
    die("Bob's engine reported " + std::to_string(times.size()) + " of " +
        std::to_string(config.messages) + " messages (" + std::to_string(held) +
        " unread in the chat)");
  }
  if (held != config.messages) {
    die("Bob's chat holds " + std::to_string(held) + " unread messages, expected " +
        std::to_string(config.messages));
  }
  const auto first = times.front();
  const auto last = times[config.messages - 1];
  // Commits: the events of one batch are emitted together after its commit; a gap of more than
  // 1 ms between two events marks the next batch (an estimate of the number of transactions).
  std::size_t bursts = 1;
  for (std::size_t i = 1; i < config.messages; ++i) {
    if (times[i] - times[i - 1] > 1ms) ++bursts;
  }
  std::printf(
      "{\"kind\":\"catchup\",\"rep\":%d,\"messages\":%zu,\"unlock_ms\":%.1f,"
      "\"first_ms\":%.1f,\"after_unlock_ms\":%.1f,\"total_ms\":%.1f,\"bursts\":%zu,"
      "\"cpu_ms\":%.1f}\n",
      rep, config.messages, ms_between(unlock_start, unlocked), ms_between(unlocked, first),
      ms_between(unlocked, last), ms_between(unlock_start, last), bursts, cpu);
  std::fflush(stdout);
  std::fprintf(stderr,
               "  catch-up: unlock %.0f ms, first message stored %.0f ms later, all %zu %.0f ms "
               "after unlock (about %zu commits)\n",
               ms_between(unlock_start, unlocked), ms_between(unlocked, first), config.messages,
               ms_between(unlocked, last), bursts);
}

// ---- latency --------------------------------------------------------------------------------

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

void run_latency(Profile& alice, Profile& bob, const Chats& chats, const Config& config, int rep,
                 int rate) {
  const std::size_t first = bob.arrivals();
  const auto interval =
      std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(1.0 / rate));
  const auto planned = static_cast<std::size_t>(rate) * static_cast<std::size_t>(config.duration_s);
  std::vector<Steady::time_point> scheduled;
  std::vector<Steady::time_point> called;
  std::atomic<std::size_t> refused{0};  // outlives the completions: the phase waits for them all
  scheduled.reserve(planned);
  called.reserve(planned);
  const auto start = Steady::now();
  const auto end = start + std::chrono::seconds(config.duration_s);
  for (std::size_t k = 0; k < planned; ++k) {
    const auto at = start + static_cast<Steady::rep>(k) * interval;
    if (Steady::now() >= end) break;  // the sender fell behind: the phase ends on time anyway
    std::this_thread::sleep_until(at);
    scheduled.push_back(at);
    called.push_back(Steady::now());
    alice.engine().send_text(chats.alice,
                             "latency " + std::to_string(rate) + " " + std::to_string(k),
                             [&refused](auto id) {
                               if (!id) ++refused;
                             });
  }
  const auto last_send = Steady::now();
  const std::size_t n = called.size();
  if (!wait_until([&] { return bob.arrivals() >= first + n; }, 300s)) {
    die("Bob received " + std::to_string(bob.arrivals() - first) + " of " + std::to_string(n) +
        " messages at " + std::to_string(rate) + "/s");
  }
  if (refused.load() != 0) die("send_text refused a message");
  const auto times = bob.arrival_times();
  std::vector<double> from_call(n);
  std::vector<double> from_schedule(n);
  for (std::size_t k = 0; k < n; ++k) {
    from_call[k] = std::chrono::duration<double, std::micro>(times[first + k] - called[k]).count();
    from_schedule[k] =
        std::chrono::duration<double, std::micro>(times[first + k] - scheduled[k]).count();
  }
  // The k-th arrival is the k-th message sent (one queue, delivered in order): check the end.
  auto newest = must(bob.engine().messages(chats.bob, {.before = {}, .limit = 1}), "messages");
  if (newest.empty() ||
      newest.front().text != "latency " + std::to_string(rate) + " " + std::to_string(n - 1)) {
    die("Bob's newest message is not the last one sent");
  }
  const double achieved =
      static_cast<double>(n) / std::chrono::duration<double>(last_send - start).count();
  std::printf(
      "{\"kind\":\"latency\",\"rep\":%d,\"rate\":%d,\"achieved_rate\":%.1f,\"messages\":%zu,"
      "\"planned\":%zu,\"p50_us\":%.0f,\"p99_us\":%.0f,\"max_us\":%.0f,"
      "\"scheduled_p50_us\":%.0f,\"scheduled_p99_us\":%.0f}\n",
      rep, rate, achieved, n, planned, percentile(from_call, 0.50), percentile(from_call, 0.99),
      percentile(from_call, 1.0), percentile(from_schedule, 0.50), percentile(from_schedule, 0.99));
  std::fflush(stdout);
  std::fprintf(
      stderr, "  latency at %d/s (achieved %.0f/s, %zu messages): p50 %.1f ms, p99 %.1f ms\n", rate,
      achieved, n, percentile(from_call, 0.50) / 1000, percentile(from_call, 0.99) / 1000);
  bob.sync();
  alice.sync();
}

// ---- the floor ------------------------------------------------------------------------------

const store::DatabaseKey& floor_key() {
  static const store::DatabaseKey key = [] {
    store::DatabaseKey k;
    for (std::size_t i = 0; i < store::DatabaseKey::size(); ++i) {
      k.data()[i] = static_cast<std::uint8_t>(0x5A ^ i);
    }
    return k;
  }();
  return key;
}

// per_call (a diagnostic, "floor_per_call"): the same, plus the lookups the engine's receive
// path makes for each push (its queue by receive id, its chat twice), with every repository
// made for the one call, as the engine makes them, so that each statement is prepared again.
void run_floor(const fs::path& dir, const Config& config, int rep, bool per_call) {
  SystemRng rng;
  const UnixMillis now = SystemClock().now();

  // Alice and Bob past the first exchange, as in a chat: Alice starts from Bob's bundle, Bob
  // accepts and replies, Alice reads the reply. Alice's messages are then one Ratchet chain.
  const auto alice_id = crypto::IdentityKeyPair::generate(rng);
  const auto bob_id = crypto::IdentityKeyPair::generate(rng);
  crypto::InMemoryPreKeyStore bob_prekeys;
  const auto signed_prekey = crypto::generate_signed_prekey(bob_id, 1, now, rng);
  auto one_time = crypto::generate_one_time_prekeys(1, 1, rng);
  if (one_time.size() != 1 || !bob_prekeys.store_signed_prekey(signed_prekey) ||
      !bob_prekeys.store_one_time_prekey(one_time.front())) {
    die("floor: prekeys");
  }
  const auto bundle = crypto::PreKeyBundle::make(bob_id, signed_prekey, &one_time.front());
  auto alice =
      must(crypto::start_session(alice_id, bundle,
                                 crypto::IdentityFingerprint::of(bob_id.public_key()), rng),
           "floor: start_session");
  const Bytes hello = {'h', 'i'};
  auto first = must(alice.encrypt(hello, rng), "floor: encrypt");
  auto accepted = must(crypto::accept_session(bob_id, bob_prekeys, first, now), "floor: accept");
  auto reply = must(accepted.session.encrypt(hello, rng), "floor: reply");
  (void)must(alice.decrypt(reply, now), "floor: decrypt reply");

  // The N envelopes: the catch-up's texts as content messages (proto/message.proto).
  std::vector<Bytes> envelopes;
  envelopes.reserve(config.messages);
  for (std::size_t i = 0; i < config.messages; ++i) {
    pb::Content content;
    std::string id(16, '\0');
    rng.fill(MutableByteView(reinterpret_cast<std::uint8_t*>(id.data()), id.size()));
    content.set_version(1);
    content.set_id(id);
    content.set_sent_at(to_millis(now));
    content.mutable_text()->set_text(catchup_text(i));
    const std::string plain = content.SerializeAsString();
    envelopes.push_back(
        must(alice.encrypt(
                 ByteView(reinterpret_cast<const std::uint8_t*>(plain.data()), plain.size()), rng),
             "floor: encrypt"));
  }

  // Bob's database: an encrypted store (the VFS, a raw key: no Argon2id), one contact, one
  // chat, his session stored.
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto db =
      must(store::Database::open(dir / "floor.db", floor_key(), store::OpenMode::CreateIfMissing),
           "floor: open");
  must(store::migrate(db), "floor: migrate");
  const crypto::SessionId session_id = "floor-session";
  ChatId chat = 0;
  {
    auto tx = must(db.begin(), "floor: begin");
    must(store::ContactRepository(db).add("alice", "Alice", now), "floor: contact");
    chat = must(store::ChatRepository(db).create("alice", session_id, now), "floor: chat");
    must(store::SqliteSessionStore(db).store_session(session_id, accepted.session),
         "floor: session");
    must(tx.commit(), "floor: commit");
  }

  // Timed: decrypt and store, one transaction per batch.
  store::MessageRepository messages(db);
  store::SqliteSessionStore sessions(db);
  Steady::duration decrypt{}, store_time{};
  const double cpu_start = process_cpu_ms();
  const auto start = Steady::now();
  for (std::size_t b = 0; b < envelopes.size(); b += config.batch) {
    auto t = Steady::now();
    auto tx = must(db.begin(), "floor: begin");
    auto session = must(sessions.load_session(session_id), "floor: load");
    if (!session) die("floor: no session");
    auto t2 = Steady::now();
    store_time += t2 - t;
    const std::size_t end = std::min(envelopes.size(), b + config.batch);
    for (std::size_t i = b; i < end; ++i) {
      t = Steady::now();
      auto plain = must(session->decrypt(envelopes[i], SystemClock().now()), "floor: decrypt");
      pb::Content content;
      if (!content.ParseFromArray(plain.data(), static_cast<int>(plain.size())) ||
          !content.has_text() || content.id().size() != 16) {
        die("floor: content");
      }
      t2 = Steady::now();
      decrypt += t2 - t;
      store::MessageUid uid{};
      std::copy(content.id().begin(), content.id().end(), uid.begin());
      if (per_call) {
        const std::array<std::uint8_t, 16> recv_id{};
        (void)must(store::QueueRepository(db).find_by_recv_id("ws://127.0.0.1:1/", recv_id),
                   "floor: queue");
        (void)must(store::ChatRepository(db).find(chat), "floor: chat");
        (void)must(store::ChatRepository(db).find(chat), "floor: chat");
        if (must(store::MessageRepository(db).find_by_uid(chat, uid), "floor: find")) {
          die("floor: duplicate");
        }
      } else if (must(messages.find_by_uid(chat, uid), "floor: find")) {
        die("floor: duplicate");
      }
      store::NewMessage message;
      message.chat = chat;
      message.uid = uid;
      message.direction = store::Direction::Incoming;
      message.body = content.text().text();
      message.sent_at = from_millis(content.sent_at());
      message.received_at = SystemClock().now();
      (void)must(per_call ? store::MessageRepository(db).insert(message) : messages.insert(message),
                 "floor: insert");
      store_time += Steady::now() - t2;
    }
    t = Steady::now();
    must(sessions.store_session(session_id, *session), "floor: store session");
    must(tx.commit(), "floor: commit");
    store_time += Steady::now() - t;
  }
  const auto total = Steady::now() - start;
  const double cpu = process_cpu_ms() - cpu_start;
  std::printf(
      "{\"kind\":\"%s\",\"rep\":%d,\"messages\":%zu,\"batch\":%zu,\"total_ms\":%.1f,"
      "\"cpu_ms\":%.1f,\"decrypt_ms\":%.1f,\"store_ms\":%.1f}\n",
      per_call ? "floor_per_call" : "floor", rep, config.messages, config.batch,
      std::chrono::duration<double, std::milli>(total).count(), cpu,
      std::chrono::duration<double, std::milli>(decrypt).count(),
      std::chrono::duration<double, std::milli>(store_time).count());
  std::fflush(stdout);
  std::fprintf(stderr, "  %s: %.0f ms (decrypt and parse %.0f ms, store %.0f ms)\n",
               per_call ? "floor + per-push lookups, a repository each" : "floor",
               std::chrono::duration<double, std::milli>(total).count(),
               std::chrono::duration<double, std::milli>(decrypt).count(),
               std::chrono::duration<double, std::milli>(store_time).count());
}

// ---- main -----------------------------------------------------------------------------------

Config parse(int argc, char** argv) {
  Config config;
  auto number = [&](int& i) -> long {
    if (i + 1 >= argc) die(std::string(argv[i]) + " needs a value");
    char* end = nullptr;
    const long v = std::strtol(argv[++i], &end, 10);
    if (*end != '\0' || v <= 0) die(std::string(argv[i - 1]) + " needs a positive number");
    return v;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--relay-bin" && i + 1 < argc) {
      config.relay_bin = argv[++i];
    } else if (arg == "--relay-arg" && i + 1 < argc) {
      config.relay_args.emplace_back(argv[++i]);
    } else if (arg == "--dir" && i + 1 < argc) {
      config.dir = argv[++i];
    } else if (arg == "--repetitions") {
      config.repetitions = static_cast<int>(number(i));
    } else if (arg == "--messages") {
      config.messages = static_cast<std::size_t>(number(i));
    } else if (arg == "--batch") {
      config.batch = static_cast<std::size_t>(number(i));
    } else if (arg == "--duration") {
      config.duration_s = static_cast<int>(number(i));
    } else if (arg == "--rates" && i + 1 < argc) {
      config.rates.clear();
      std::string list = argv[++i];
      for (std::size_t pos = 0; pos <= list.size();) {
        const std::size_t comma = std::min(list.find(',', pos), list.size());
        const int rate = std::atoi(list.substr(pos, comma - pos).c_str());
        if (rate <= 0) die("--rates needs positive numbers separated by commas");
        config.rates.push_back(rate);
        pos = comma + 1;
      }
    } else {
      die("usage: exile_bench_e2e --relay-bin PATH --dir DIR [--repetitions N] [--messages N] "
          "[--batch N] [--rates R1,R2] [--duration S] [--relay-arg ARG]...");
    }
  }
  if (config.relay_bin.empty() || config.dir.empty()) die("--relay-bin and --dir are required");
  return config;
}

// Replaces `to` by a copy of `from`.
void copy_dir(const fs::path& from, const fs::path& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

int run(const Config& config) {
  const fs::path live = config.dir / "live";
  const fs::path saved = config.dir / "saved";
  fs::remove_all(config.dir);
  fs::create_directories(live);
  RelayChild relay(config.relay_bin, live / "relay", config.messages + 1000, config.relay_args);

  std::fprintf(stderr, "exile_bench_e2e: setup (%zu messages queued for Bob)\n", config.messages);
  relay.start();
  const Chats chats = set_up(live, relay.url(), config);
  relay.stop();
  copy_dir(live, saved);

  for (int rep = 1; rep <= config.repetitions; ++rep) {
    std::fprintf(stderr, "exile_bench_e2e: repetition %d of %d\n", rep, config.repetitions);
    const bool floor_first = rep % 2 == 1;
    if (floor_first) {
      run_floor(config.dir / "floor", config, rep, false);
      run_floor(config.dir / "floor", config, rep, true);
    }
    for (const char* part : {"relay", "alice", "bob"}) copy_dir(saved / part, live / part);
    relay.start();
    {
      Profile bob(live / "bob", "Bob", relay.url());
      bob.watch_chat(chats.bob);
      run_catchup(bob, chats.bob, config, rep);
      Profile alice(live / "alice", "Alice", relay.url());
      alice.unlock();
      bob.sync();
      alice.sync();
      std::vector<int> rates = config.rates;
      if (rep % 2 == 0) std::reverse(rates.begin(), rates.end());
      for (int rate : rates) run_latency(alice, bob, chats, config, rep, rate);
    }
    relay.stop();
    if (!floor_first) {
      run_floor(config.dir / "floor", config, rep, true);
      run_floor(config.dir / "floor", config, rep, false);
    }
  }
  fs::remove_all(config.dir / "floor");
  return 0;
}

}  // namespace
}  // namespace exile::bench::e2e

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  exile::bench::g_program = "exile_bench_e2e";
  return exile::bench::e2e::run(exile::bench::e2e::parse(argc, argv));
}
