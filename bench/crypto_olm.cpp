// Olm/<Case>: libolm 3.2.13 doing the same work as Exile/<Case> (crypto_exile.cpp), as the
// reference point. Accounts and one-time keys are made outside the timed region; random
// bytes come from libsodium's randombytes_buf inside it, as Exile's SystemRng does.
//
// libolm destroys its input buffers (base64 is decoded in place), so every message is copied
// before it is handed over; the copy is part of the timed work, as it would be for a caller.
#include <benchmark/benchmark.h>
#include <olm/olm.h>
#include <sodium.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto_bench.h"

namespace exile::bench {
namespace {

using Buffer = std::vector<std::uint8_t>;

bool failed(std::size_t result) { return result == olm_error(); }

class OlmAccountBox {
 public:
  OlmAccountBox()
      : memory_(std::make_unique<std::uint8_t[]>(olm_account_size())),
        account_(olm_account(memory_.get())) {}
  ~OlmAccountBox() { olm_clear_account(account_); }
  OlmAccountBox(const OlmAccountBox&) = delete;
  OlmAccountBox& operator=(const OlmAccountBox&) = delete;
  [[nodiscard]] OlmAccount* get() const { return account_; }

 private:
  std::unique_ptr<std::uint8_t[]> memory_;
  OlmAccount* account_;
};

// Memory for one session. reset() wipes the previous session and constructs an empty one in
// place, as a caller reusing its buffer would.
class OlmSessionBox {
 public:
  OlmSessionBox()
      : memory_(std::make_unique<std::uint8_t[]>(olm_session_size())),
        session_(olm_session(memory_.get())) {}
  ~OlmSessionBox() { olm_clear_session(session_); }
  OlmSessionBox(const OlmSessionBox&) = delete;
  OlmSessionBox& operator=(const OlmSessionBox&) = delete;
  [[nodiscard]] OlmSession* get() const { return session_; }
  OlmSession* reset() {
    olm_clear_session(session_);
    session_ = olm_session(memory_.get());
    return session_;
  }

 private:
  std::unique_ptr<std::uint8_t[]> memory_;
  OlmSession* session_;
};

// The string value that follows `marker` (`"<key>":"`) in libolm's JSON output, or empty.
std::string json_string_after(std::string_view json, std::string_view marker) {
  const auto start = json.find(marker);
  if (start == std::string_view::npos) return {};
  const auto value = start + marker.size();
  const auto end = json.find('"', value);
  if (end == std::string_view::npos) return {};
  return std::string(json.substr(value, end - value));
}

bool create_account(OlmAccount* account) {
  Buffer random(olm_create_account_random_length(account));
  randombytes_buf(random.data(), random.size());
  return !failed(olm_create_account(account, random.data(), random.size()));
}

std::string identity_curve25519(OlmAccount* account) {
  std::string keys(olm_account_identity_keys_length(account), '\0');
  const auto n = olm_account_identity_keys(account, keys.data(), keys.size());
  if (failed(n)) return {};
  keys.resize(n);
  return json_string_after(keys, R"("curve25519":")");
}

// Generates one one-time key and returns its public half (base64).
std::string one_time_key(OlmAccount* account) {
  Buffer random(olm_account_generate_one_time_keys_random_length(account, 1));
  randombytes_buf(random.data(), random.size());
  if (failed(olm_account_generate_one_time_keys(account, 1, random.data(), random.size()))) {
    return {};
  }
  std::string keys(olm_account_one_time_keys_length(account), '\0');
  const auto n = olm_account_one_time_keys(account, keys.data(), keys.size());
  if (failed(n)) return {};
  keys.resize(n);
  // {"curve25519":{"<id>":"<key>"}}: the value after the first `":"` past the inner brace.
  const auto inner = keys.find("{\"", 1);
  if (inner == std::string::npos) return {};
  const auto value = keys.find("\":\"", inner);
  if (value == std::string::npos) return {};
  const auto end = keys.find('"', value + 3);
  if (end == std::string::npos) return {};
  olm_account_mark_keys_as_published(account);
  return keys.substr(value + 3, end - value - 3);
}

struct OlmMessage {
  Buffer bytes;
  std::size_t type = 0;
};

// Encrypts with random bytes from libsodium (none when the chain only steps forward).
bool encrypt(OlmSession* session, const Buffer& plaintext, OlmMessage& out) {
  std::array<std::uint8_t, 32> random{};
  const auto random_length = olm_encrypt_random_length(session);
  if (random_length > random.size()) return false;
  if (random_length > 0) randombytes_buf(random.data(), random_length);
  out.type = olm_encrypt_message_type(session);
  out.bytes.resize(olm_encrypt_message_length(session, plaintext.size()));
  const auto n = olm_encrypt(session, plaintext.data(), plaintext.size(), random.data(),
                             random_length, out.bytes.data(), out.bytes.size());
  if (failed(n)) return false;
  out.bytes.resize(n);
  return true;
}

// Decrypts a copy of `message` (libolm decodes in place) into `plaintext`.
bool decrypt(OlmSession* session, const OlmMessage& message, Buffer& scratch, Buffer& plaintext) {
  scratch.assign(message.bytes.begin(), message.bytes.end());
  plaintext.resize(message.bytes.size());
  const auto n = olm_decrypt(session, message.type, scratch.data(), scratch.size(),
                             plaintext.data(), plaintext.size());
  if (failed(n) || n != kMessageBytes) return false;
  plaintext.resize(n);
  return true;
}

Buffer test_message() {
  Buffer message(kMessageBytes);
  randombytes_buf(message.data(), message.size());
  return message;
}

// Alice and Bob with accounts, and Bob's published identity and one-time key.
struct OlmPeers {
  OlmAccountBox alice;
  OlmAccountBox bob;
  std::string bob_identity;
  std::string bob_one_time_key;
  Buffer plaintext = test_message();
  Buffer scratch;
  Buffer decrypted;

  bool create() {
    if (!create_account(alice.get()) || !create_account(bob.get())) return false;
    bob_identity = identity_curve25519(bob.get());
    bob_one_time_key = one_time_key(bob.get());
    return !bob_identity.empty() && !bob_one_time_key.empty();
  }

  // Alice starts a session on Bob's keys and sends; Bob creates his from the pre-key message
  // and decrypts it. The one-time key stays in Bob's account (as in Exile's case, where the
  // caller removes it), so every iteration can use it.
  bool set_up(OlmSession* a, OlmSession* b, OlmMessage& message) {
    std::array<std::uint8_t, 64> random{};
    const auto random_length = olm_create_outbound_session_random_length(a);
    if (random_length > random.size()) return false;
    randombytes_buf(random.data(), random_length);
    if (failed(olm_create_outbound_session(a, alice.get(), bob_identity.data(), bob_identity.size(),
                                           bob_one_time_key.data(), bob_one_time_key.size(),
                                           random.data(), random_length))) {
      return false;
    }
    if (!encrypt(a, plaintext, message) || message.type != OLM_MESSAGE_TYPE_PRE_KEY) return false;
    scratch.assign(message.bytes.begin(), message.bytes.end());
    if (failed(olm_create_inbound_session(b, bob.get(), scratch.data(), scratch.size()))) {
      return false;
    }
    return decrypt(b, message, scratch, decrypted);
  }
};

// Sessions past the first exchange: Bob has replied and Alice has read the reply, so both
// send normal (not pre-key) messages.
struct OlmConversation {
  OlmPeers peers;
  OlmSessionBox alice;
  OlmSessionBox bob;
  OlmMessage message;

  bool establish() {
    if (!peers.create() || !peers.set_up(alice.get(), bob.get(), message)) return false;
    return send(bob.get(), alice.get());
  }
  bool send(OlmSession* from, OlmSession* to) {
    return encrypt(from, peers.plaintext, message) && message.type == OLM_MESSAGE_TYPE_MESSAGE &&
           decrypt(to, message, peers.scratch, peers.decrypted);
  }
};

void BM_OlmSessionSetup(benchmark::State& state) {
  OlmPeers peers;
  if (!peers.create()) return state.SkipWithError("olm: account setup failed");
  OlmSessionBox alice;
  OlmSessionBox bob;
  OlmMessage message;
  for (auto _ : state) {
    if (!peers.set_up(alice.reset(), bob.reset(), message)) {
      return state.SkipWithError("olm: session setup failed");
    }
    benchmark::DoNotOptimize(peers.decrypted.data());
  }
}

void BM_OlmOneWay(benchmark::State& state) {
  OlmConversation c;
  // The first message after Bob's reply starts Alice's new chain; the rest only step it.
  if (!c.establish() || !c.send(c.alice.get(), c.bob.get())) {
    return state.SkipWithError("olm: conversation setup failed");
  }
  for (auto _ : state) {
    if (!c.send(c.alice.get(), c.bob.get())) return state.SkipWithError("olm: one-way failed");
    benchmark::DoNotOptimize(c.peers.decrypted.data());
  }
}

void BM_OlmPingPong(benchmark::State& state) {
  OlmConversation c;
  if (!c.establish()) return state.SkipWithError("olm: conversation setup failed");
  bool alice_sends = true;
  for (auto _ : state) {
    const bool ok =
        alice_sends ? c.send(c.alice.get(), c.bob.get()) : c.send(c.bob.get(), c.alice.get());
    if (!ok) return state.SkipWithError("olm: ping-pong failed");
    benchmark::DoNotOptimize(c.peers.decrypted.data());
    alice_sends = !alice_sends;
  }
}

void BM_OlmSkip1000(benchmark::State& state) {
  OlmConversation c;
  if (!c.establish()) return state.SkipWithError("olm: conversation setup failed");
  // Bob as he is before Alice's new chain, pickled; then the chain's first kSkipGap messages,
  // which never arrive, and the one that does.
  static constexpr std::string_view kPickleKey = "exile-bench";
  Buffer pickle(olm_pickle_session_length(c.bob.get()));
  const auto pickled = olm_pickle_session(c.bob.get(), kPickleKey.data(), kPickleKey.size(),
                                          pickle.data(), pickle.size());
  if (failed(pickled)) return state.SkipWithError("olm: pickle failed");
  pickle.resize(pickled);
  for (std::uint32_t i = 0; i <= kSkipGap; ++i) {
    if (!encrypt(c.alice.get(), c.peers.plaintext, c.message)) {
      return state.SkipWithError("olm: encrypt failed");
    }
  }
  Buffer pickle_copy;
  for (auto _ : state) {
    state.PauseTiming();
    pickle_copy = pickle;
    OlmSession* bob = c.bob.reset();
    const bool restored = !failed(olm_unpickle_session(bob, kPickleKey.data(), kPickleKey.size(),
                                                       pickle_copy.data(), pickle_copy.size()));
    c.peers.scratch.assign(c.message.bytes.begin(), c.message.bytes.end());
    c.peers.decrypted.resize(c.message.bytes.size());
    state.ResumeTiming();
    const auto n = olm_decrypt(bob, c.message.type, c.peers.scratch.data(), c.peers.scratch.size(),
                               c.peers.decrypted.data(), c.peers.decrypted.size());
    if (!restored || failed(n) || n != kMessageBytes) {
      return state.SkipWithError("olm: skip decrypt failed");
    }
  }
}

BENCHMARK(BM_OlmSessionSetup)->Name("Olm/SessionSetup")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OlmOneWay)->Name("Olm/OneWay")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OlmPingPong)->Name("Olm/PingPong")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OlmSkip1000)->Name("Olm/Skip1000")->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace exile::bench
