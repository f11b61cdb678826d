// Exile/<Case>: the crypto core's public API (session_builder.h, session.h) on the work that
// Olm/<Case> does (crypto_olm.cpp). Identities and prekeys are made outside the timed region;
// randomness is exile::SystemRng (libsodium's randombytes_buf) inside it.
//
// Each case is a Probe (crypto_bench.h): main() registers it as a benchmark and also runs it
// once under the libsodium call counters for the recipe check, so what is timed and what is
// counted are the same code.
#include <sodium.h>

#include <memory>
#include <optional>

#include "common/clock.h"
#include "common/rng.h"
#include "crypto/keys.h"
#include "crypto/limits.h"
#include "crypto/memory_store.h"
#include "crypto/prekeys.h"
#include "crypto/session.h"
#include "crypto/session_builder.h"
#include "crypto/x3dh.h"
#include "crypto_bench.h"

namespace exile::bench {
namespace {

using crypto::IdentityFingerprint;
using crypto::IdentityKeyPair;
using crypto::Session;

const UnixMillis kNow = from_millis(1'700'000'000'000);

Bytes test_message() {
  Bytes message(kMessageBytes);
  randombytes_buf(message.data(), message.size());
  return message;
}

// Alice's and Bob's identities, Bob's signed prekey and one one-time prekey in his store,
// and the bundle he publishes with them.
struct ExilePeers {
  SystemRng rng;
  IdentityKeyPair alice = IdentityKeyPair::generate(rng);
  IdentityKeyPair bob = IdentityKeyPair::generate(rng);
  crypto::InMemoryPreKeyStore bob_prekeys;
  std::optional<crypto::PreKeyBundle> bundle;
  IdentityFingerprint bob_fingerprint = IdentityFingerprint::of(bob.public_key());
  Bytes plaintext = test_message();

  bool create() {
    const auto signed_prekey = crypto::generate_signed_prekey(bob, 1, kNow, rng);
    auto one_time = crypto::generate_one_time_prekeys(1, 1, rng);
    if (one_time.size() != 1 || !bob_prekeys.store_signed_prekey(signed_prekey) ||
        !bob_prekeys.store_one_time_prekey(one_time.front())) {
      return false;
    }
    bundle = crypto::PreKeyBundle::make(bob, signed_prekey, &one_time.front());
    return bundle->one_time_prekey.has_value();
  }

  // Alice starts a session from Bob's bundle and encrypts; Bob accepts it, which decrypts.
  // The one-time prekey stays in Bob's store (removing it is the caller's job), so every
  // iteration can use it, as the olm case reuses its one-time key.
  [[nodiscard]] std::optional<crypto::AcceptedSession> set_up(std::optional<Session>& alice_out) {
    auto alice_session = crypto::start_session(alice, *bundle, bob_fingerprint, rng);
    if (!alice_session) return std::nullopt;
    auto envelope = alice_session->encrypt(plaintext, rng);
    if (!envelope) return std::nullopt;
    auto accepted = crypto::accept_session(bob, bob_prekeys, *envelope, kNow);
    if (!accepted || accepted->plaintext.size() != kMessageBytes) return std::nullopt;
    alice_out.emplace(std::move(*alice_session));
    return std::move(*accepted);
  }
};

// Sessions past the first exchange: Bob has replied and Alice has read the reply, so both
// send Ratchet envelopes.
struct ExileConversation {
  ExilePeers peers;
  std::optional<Session> alice;
  std::optional<Session> bob;

  bool establish() {
    if (!peers.create()) return false;
    auto accepted = peers.set_up(alice);
    if (!accepted) return false;
    bob.emplace(std::move(accepted->session));
    return send(*bob, *alice) && !alice->awaiting_first_reply();
  }
  bool send(Session& from, Session& to) {
    auto envelope = from.encrypt(peers.plaintext, peers.rng);
    if (!envelope) return false;
    auto type = crypto::envelope_type(*envelope);
    if (!type || *type != crypto::EnvelopeType::Ratchet) return false;
    auto plaintext = to.decrypt(*envelope, kNow);
    return plaintext && plaintext->size() == kMessageBytes;
  }
};

Probe session_setup() {
  return {"Exile/SessionSetup", 1, []() -> std::optional<Work> {
            auto peers = std::make_shared<ExilePeers>();
            if (!peers->create()) return std::nullopt;
            return Work{{}, [peers] {
                          std::optional<Session> alice;
                          return peers->set_up(alice).has_value();
                        }};
          }};
}

Probe one_way() {
  return {"Exile/OneWay", 1, []() -> std::optional<Work> {
            auto c = std::make_shared<ExileConversation>();
            // The first message after Bob's reply starts Alice's new chain; the rest step it.
            if (!c->establish() || !c->send(*c->alice, *c->bob)) return std::nullopt;
            return Work{{}, [c] { return c->send(*c->alice, *c->bob); }};
          }};
}

Probe ping_pong() {
  // Two iterations make one message each way; the counts are per message.
  return {"Exile/PingPong", 2, []() -> std::optional<Work> {
            auto c = std::make_shared<ExileConversation>();
            if (!c->establish()) return std::nullopt;
            return Work{{}, [c, alice_sends = true]() mutable {
                          const bool ok = alice_sends ? c->send(*c->alice, *c->bob)
                                                      : c->send(*c->bob, *c->alice);
                          alice_sends = !alice_sends;
                          return ok;
                        }};
          }};
}

// Bob as he was before Alice's new chain (restored untimed each iteration), and the 1001st
// message of that chain; the first 1000 never arrive.
struct SkipFixture {
  ExileConversation c;
  SecureBytes saved_bob_state;
  Bytes last;

  bool create() {
    if (!c.establish()) return false;
    saved_bob_state = c.bob->serialize();
    for (std::uint32_t i = 0; i <= kSkipGap; ++i) {
      auto envelope = c.alice->encrypt(c.peers.plaintext, c.peers.rng);
      if (!envelope) return false;
      last = std::move(*envelope);
    }
    return true;
  }
  bool restore() {
    auto copy = Session::deserialize(saved_bob_state);
    if (!copy) return false;
    c.bob.reset();  // the previous run's session is destroyed here, untimed
    c.bob.emplace(std::move(*copy));
    return true;
  }
  bool decrypt() {
    auto plaintext = c.bob->decrypt(last, kNow);
    return plaintext && plaintext->size() == kMessageBytes &&
           c.bob->skipped_key_count() == kSkipGap;
  }
};

Probe skip_1000() {
  return {"Exile/Skip1000", 1, []() -> std::optional<Work> {
            auto f = std::make_shared<SkipFixture>();
            if (!f->create()) return std::nullopt;
            return Work{[f] { return f->restore(); }, [f] { return f->decrypt(); }};
          }};
}

// The worst garbage envelope (docs/protocol.md §5.10): Bob lost one message in each of
// kMaxSkippedChains + 1 turns, then the conversation went on without loss for
// kMaxPastChains + 1 turns, so he knows HKr, NHKr, 5 past chains and 5 more chains holding
// skipped keys: 12 header keys, each tried once on an envelope that opens under none.
// No Olm counterpart (olm does not encrypt headers: it reads the key from the header).
Probe garbage_worst() {
  return {"Exile/GarbageWorst", 1, []() -> std::optional<Work> {
            auto c = std::make_shared<ExileConversation>();
            if (!c->establish()) return std::nullopt;
            for (std::size_t t = 0; t < 2 * crypto::kMaxSkippedChains + 2; ++t) {
              const bool lossy = t <= crypto::kMaxSkippedChains;
              auto lost = c->alice->encrypt(c->peers.plaintext, c->peers.rng);
              if (!lost) return std::nullopt;
              if (!lossy) {
                auto plain = c->bob->decrypt(*lost, kNow);
                if (!plain) return std::nullopt;
              }
              if (!c->send(*c->alice, *c->bob) || !c->send(*c->bob, *c->alice)) {
                return std::nullopt;
              }
            }
            auto garbage =
                std::make_shared<Bytes>(*c->alice->encrypt(c->peers.plaintext, c->peers.rng));
            randombytes_buf(garbage->data() + 1, garbage->size() - 1);  // type byte kept
            return Work{{}, [c, garbage] {
                          auto plaintext = c->bob->decrypt(*garbage, kNow);
                          return !plaintext &&
                                 plaintext.error().code == ErrorCode::DecryptionFailed;
                        }};
          }};
}

}  // namespace

std::vector<Probe> exile_probes() {
  return {session_setup(), one_way(), ping_pong(), skip_1000(), garbage_worst()};
}

}  // namespace exile::bench
