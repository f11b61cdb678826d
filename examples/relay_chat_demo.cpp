// exile-relay-chat-demo: two in-memory profiles, Alice and Bob, start a secret chat through a
// running exile-relay and exchange a few messages, the way PROTOCOL.md §4 "Starting a secret
// chat" describes. scripts/run starts the relay and then this; the Qt Quick app's headless
// demo takes its place once the engine exists.
//
//   exile-relay-chat-demo ws://127.0.0.1:PORT/
//
// What is real: identities, prekey bundles, X3DH, the header-encrypted Double Ratchet
// (exile_crypto), and RelayConnection (exile_relay_client) over the real relay: queues, address
// bundles, one-time keys handed out once, authenticated commands, durable SENDs, pushes, ACKs.
// What is the demo's own: profiles live in memory, and the few fields the first two messages
// carry (a reply queue and a sender key) use a small ad-hoc layout below instead of
// proto/message.proto, which arrives with the engine. The demo waits on a nested event loop
// between steps to read top to bottom; the engine never blocks its thread.
//
// It prints the conversation (this is the user's own terminal) and what crossed the relay:
// sizes only. It exits 0 when every message arrived and decrypted.
#include <QCoreApplication>
#include <QEventLoop>
#include <QTimer>
#include <cstdio>
#include <deque>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/rng.h"
#include "crypto/memory_store.h"
#include "crypto/prekeys.h"
#include "crypto/session_builder.h"
#include "crypto/x3dh.h"
#include "relay/client/relay_connection.h"
#include "relay/wire/wire.h"

namespace {

using exile::Bytes;
using exile::ByteView;
using exile::Result;
using exile::relay::client::RelayConnection;
namespace wire = exile::relay::wire;
namespace crypto = exile::crypto;

constexpr int kStepTimeoutMs = 20'000;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "exile-relay-chat-demo: %s\n", what.c_str());
  std::exit(1);
}

// Runs the event loop until `call`'s callback fires (or the step times out).
template <class T, class Call>
T await(const char* step, Call&& call) {
  QEventLoop loop;
  std::optional<Result<T>> result;
  call([&](Result<T> r) {
    result = std::move(r);
    loop.quit();
  });
  QTimer::singleShot(kStepTimeoutMs, &loop, &QEventLoop::quit);
  if (!result) loop.exec();
  if (!result) die(std::string(step) + ": no answer from the relay");
  if (!*result) {
    die(std::string(step) + ": " + std::string(exile::to_string(result->error().code)));
  }
  if constexpr (std::is_void_v<T>) {
    return;
  } else {
    return std::move(**result);
  }
}

struct Inbox {
  struct Item {
    wire::QueueId recv_id;
    quint64 msg_id;
    Bytes body;
  };
  std::deque<Item> items;
};

// A profile: identity, one relay connection, and what it received.
struct Profile {
  std::string name;
  crypto::IdentityKeyPair identity;
  std::unique_ptr<RelayConnection> relay;
  Inbox inbox;

  Profile(std::string n, const QUrl& url, exile::Rng& rng)
      : name(std::move(n)), identity(crypto::IdentityKeyPair::generate(rng)) {
    RelayConnection::Options options;
    options.url = url;
    auto made = RelayConnection::create(std::move(options));
    if (!made) die("cannot use the relay URL");
    relay = std::move(*made);
    QObject::connect(relay.get(), &RelayConnection::messageReceived,
                     [this](wire::QueueId recv, quint64 id, exile::UnixMillis, Bytes body) {
                       inbox.items.push_back({recv, id, std::move(body)});
                     });
    relay->start();
  }

  // The next message pushed for `queue`, acked after it is handled (here: at once).
  Bytes receive(const wire::QueueId& queue) {
    QEventLoop loop;
    QTimer timer;
    QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    timer.start(20);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kStepTimeoutMs);
    for (;;) {
      for (auto it = inbox.items.begin(); it != inbox.items.end(); ++it) {
        if (it->recv_id != queue) continue;
        Inbox::Item item = std::move(*it);
        inbox.items.erase(it);
        await<void>("ACK", [&](auto done) { relay->ack(item.recv_id, item.msg_id, done); });
        return std::move(item.body);
      }
      if (std::chrono::steady_clock::now() > deadline) die(name + ": no message arrived");
      loop.exec();
    }
  }
};

exile::ClientMessageId random_msg_id(exile::Rng& rng) {
  exile::ClientMessageId id{};
  rng.fill(id);
  return id;
}

// The demo's layout of the first two messages' extra fields: text ‖ 0x00 ‖ send_id(16) ‖
// sender key(32). Later messages are text only.
Bytes with_route(std::string_view text, const wire::QueueId& send_id, const wire::PublicKey& key) {
  Bytes out(text.begin(), text.end());
  out.push_back(0);
  exile::append(out, send_id);
  exile::append(out, key);
  return out;
}

struct Route {
  std::string text;
  wire::QueueId send_id{};
  wire::PublicKey sender_key{};
};

Route parse_route(ByteView plain) {
  constexpr std::size_t kTail = 1 + wire::kQueueIdBytes + wire::kPublicKeyBytes;
  if (plain.size() < kTail || plain[plain.size() - kTail] != 0) die("unexpected first message");
  Route r;
  r.text.assign(plain.begin(), plain.end() - static_cast<std::ptrdiff_t>(kTail));
  const auto tail = plain.subspan(plain.size() - kTail + 1);
  std::copy_n(tail.begin(), wire::kQueueIdBytes, r.send_id.begin());
  std::copy_n(tail.begin() + wire::kQueueIdBytes, wire::kPublicKeyBytes, r.sender_key.begin());
  return r;
}

std::string text_of(const exile::SecureBytes& plain) { return {plain.begin(), plain.end()}; }

// A one-time prekey as the relay stores it (opaque to the relay): be32(id) ‖ X25519 key.
Bytes one_time_key_blob(const crypto::OneTimePreKey& key) {
  Bytes out;
  exile::append_u32(out, key.id);
  exile::append(out, key.key.public_key().view());
  return out;
}

crypto::PreKeyBundle bundle_with(const exile::relay::client::PrekeyBundle& fetched) {
  auto bundle = crypto::PreKeyBundle::parse(fetched.bundle);
  if (!bundle) die("the address's bundle does not parse");
  if (fetched.one_time_key.size() == 4 + crypto::kX25519Bytes) {
    const ByteView blob = fetched.one_time_key;
    auto key = crypto::X25519PublicKey::from_bytes(blob.subspan(4));
    if (!key) die("the one-time key does not parse");
    const std::uint32_t id = (std::uint32_t{blob[0]} << 24) | (std::uint32_t{blob[1]} << 16) |
                             (std::uint32_t{blob[2]} << 8) | std::uint32_t{blob[3]};
    bundle->one_time_prekey = crypto::OneTimePreKeyPublic{id, *key};
  }
  return std::move(*bundle);
}

void say(const std::string& who, const std::string& what) {
  std::printf("  %-6s %s\n", who.c_str(), what.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: exile-relay-chat-demo ws://127.0.0.1:PORT/\n");
    return 2;
  }
  const QUrl url(QString::fromUtf8(argv[1]));
  exile::SystemRng rng;
  exile::SystemClock clock;

  Profile alice("Alice", url, rng);
  Profile bob("Bob", url, rng);

  // Bob: a contact address (an unsecured queue) with his prekey bundle and 5 one-time keys.
  const wire::KeyPair bob_address_key = wire::generate_key_pair(rng);
  const auto address = await<exile::relay::client::QueueIds>(
      "NEW address", [&](auto done) { bob.relay->createQueue(bob_address_key, true, done); });
  crypto::InMemoryPreKeyStore bob_prekeys;
  const auto spk = crypto::generate_signed_prekey(bob.identity, 1, clock.now(), rng);
  (void)bob_prekeys.store_signed_prekey(spk);
  std::vector<Bytes> blobs;
  for (const auto& opk : crypto::generate_one_time_prekeys(100, 5, rng)) {
    (void)bob_prekeys.store_one_time_prekey(opk);
    blobs.push_back(one_time_key_blob(opk));
  }
  const Bytes bundle = crypto::PreKeyBundle::make(bob.identity, spk, nullptr).serialize();
  const auto left = await<std::uint32_t>("PUT_BUNDLE", [&](auto done) {
    bob.relay->putBundle(address.recv_id, bob_address_key, bundle, blobs, false, done);
  });
  std::vector<exile::relay::client::QueueSubscription> bob_subs;
  bob_subs.push_back({address.recv_id, bob_address_key.clone()});
  await<void>("SUB address", [&](auto done) { bob.relay->subscribe(std::move(bob_subs), done); });
  say("Bob", "published a contact address: bundle " + std::to_string(bundle.size()) + " bytes, " +
                 std::to_string(left) + " one-time keys");
  // The invitation Bob shares (link or QR): relay URL, address send_id, identity fingerprint.
  const auto bob_fingerprint = crypto::IdentityFingerprint::of(bob.identity.public_key());

  // Alice: fetch the bundle, X3DH, make her receive queue and a sender key for Bob's queue.
  const auto fetched = await<exile::relay::client::PrekeyBundle>(
      "GET_BUNDLE", [&](auto done) { alice.relay->getBundle(address.send_id, done); });
  auto alice_session =
      crypto::start_session(alice.identity, bundle_with(fetched), bob_fingerprint, rng);
  if (!alice_session) die("X3DH failed on Alice's side");
  const wire::KeyPair qa_key = wire::generate_key_pair(rng);
  const auto qa = await<exile::relay::client::QueueIds>(
      "NEW", [&](auto done) { alice.relay->createQueue(qa_key, false, done); });
  std::vector<exile::relay::client::QueueSubscription> alice_subs;
  alice_subs.push_back({qa.recv_id, qa_key.clone()});
  await<void>("SUB", [&](auto done) { alice.relay->subscribe(std::move(alice_subs), done); });
  const wire::KeyPair alice_sender = wire::generate_key_pair(rng);
  auto first = alice_session->encrypt(
      with_route("Hi Bob, it's Alice.", qa.send_id, alice_sender.public_key), rng);
  if (!first) die("encrypt failed");
  await<exile::relay::client::SendReceipt>("SEND first", [&](auto done) {
    alice.relay->send(address.send_id, random_msg_id(rng), *first, nullptr, done);
  });
  say("Alice", "-> first message to Bob's address (" + std::to_string(first->size()) +
                   " bytes of ciphertext)");

  // Bob: accept, make his queue secured with Alice's sender key, answer into Alice's queue.
  const Bytes first_in = bob.receive(address.recv_id);
  auto accepted = crypto::accept_session(bob.identity, bob_prekeys, first_in, clock.now());
  if (!accepted) die("Bob could not accept the first message");
  if (accepted->one_time_prekey_id) {
    (void)bob_prekeys.remove_one_time_prekey(*accepted->one_time_prekey_id);
  }
  crypto::Session bob_session = std::move(accepted->session);
  const Route to_bob = parse_route(accepted->plaintext);
  say("Bob", "<- \"" + to_bob.text + "\" (session accepted, one-time key used once)");
  const wire::KeyPair qb_key = wire::generate_key_pair(rng);
  const auto qb = await<exile::relay::client::QueueIds>(
      "NEW", [&](auto done) { bob.relay->createQueue(qb_key, false, done); });
  await<void>("KEY", [&](auto done) {
    bob.relay->secureQueue(qb.recv_id, qb_key, to_bob.sender_key, done);
  });
  std::vector<exile::relay::client::QueueSubscription> bob_subs2;
  bob_subs2.push_back({qb.recv_id, qb_key.clone()});
  await<void>("SUB", [&](auto done) { bob.relay->subscribe(std::move(bob_subs2), done); });
  const wire::KeyPair bob_sender = wire::generate_key_pair(rng);
  auto reply = bob_session.encrypt(
      with_route("Hello Alice. Welcome to exile.", qb.send_id, bob_sender.public_key), rng);
  if (!reply) die("encrypt failed");
  await<exile::relay::client::SendReceipt>("SEND reply", [&](auto done) {
    bob.relay->send(to_bob.send_id, random_msg_id(rng), *reply, nullptr, done);
  });

  // Alice: decrypt, secure her queue with Bob's sender key. From now on both queues are secured.
  const Bytes reply_in = alice.receive(qa.recv_id);
  auto reply_plain = alice_session->decrypt(reply_in, clock.now());
  if (!reply_plain) die("Alice could not decrypt Bob's reply");
  const Route to_alice = parse_route(*reply_plain);
  say("Alice", "<- \"" + to_alice.text + "\"");
  await<void>("KEY", [&](auto done) {
    alice.relay->secureQueue(qa.recv_id, qa_key, to_alice.sender_key, done);
  });
  say("", "both queues secured: each direction has its own queue, on its reader's relay");

  // The chat: each side sends into the other's secured queue, authenticated by its sender key.
  const char* lines[][2] = {{"Alice", "Did the relay see any of this?"},
                            {"Bob", "Only padded ciphertext, in queues with random ids."},
                            {"Alice", "And after we read it?"},
                            {"Bob", "Acked and deleted; unread ones expire after 21 days."}};
  for (const auto& line : lines) {
    const bool from_alice = std::string(line[0]) == "Alice";
    Profile& from = from_alice ? alice : bob;
    Profile& to = from_alice ? bob : alice;
    crypto::Session& s_from = from_alice ? *alice_session : bob_session;
    crypto::Session& s_to = from_alice ? bob_session : *alice_session;
    // Each side writes to the send_id it learned from the other's first message.
    const wire::QueueId& target = from_alice ? to_alice.send_id : to_bob.send_id;
    const wire::QueueId& recv_id = from_alice ? qb.recv_id : qa.recv_id;
    const wire::KeyPair& sender = from_alice ? alice_sender : bob_sender;
    auto envelope = s_from.encrypt(exile::as_bytes(line[1]), rng);
    if (!envelope) die("encrypt failed");
    await<exile::relay::client::SendReceipt>("SEND", [&](auto done) {
      from.relay->send(target, random_msg_id(rng), *envelope, &sender, done);
    });
    const Bytes in = to.receive(recv_id);
    auto plain = s_to.decrypt(in, clock.now());
    if (!plain) die(to.name + " could not decrypt");
    say(from.name,
        "-> \"" + text_of(*plain) + "\" (" + std::to_string(in.size()) + " bytes on the relay)");
  }
  alice.relay->stop();
  bob.relay->stop();
  std::printf("demo finished: 6 messages, all delivered, decrypted and acked\n");
  return 0;
}
