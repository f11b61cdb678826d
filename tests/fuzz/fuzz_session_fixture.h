// Shared by the session fuzz targets: a fixed conversation between Alice and Bob, made once
// with DeterministicRng, so that every input starts from the same states (with skipped keys,
// past chains and a pending send ratchet) and real envelopes to mutate.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/rng.h"
#include "crypto/memory_store.h"
#include "crypto/prekeys.h"
#include "crypto/session.h"
#include "crypto/session_builder.h"
#include "crypto/x3dh.h"

namespace exile::fuzz {

template <class T>
T must(Result<T> r) {
  if (!r) std::abort();
  return std::move(*r);
}

struct SessionFixture {
  UnixMillis now = from_millis(1'700'000'000'000);
  std::vector<crypto::Session> receivers;  // [0] Alice (initiator), [1] Bob (responder)
  std::vector<Bytes> envelopes;            // undelivered real envelopes for either side
  std::vector<int> envelope_receiver;      // which receiver each envelope is for

  SessionFixture() {
    using namespace crypto;
    DeterministicRng rng(0xf022);
    const IdentityKeyPair alice_id = IdentityKeyPair::generate(rng);
    const IdentityKeyPair bob_id = IdentityKeyPair::generate(rng);
    InMemoryPreKeyStore prekeys;
    const SignedPreKey spk = generate_signed_prekey(bob_id, 1, now, rng);
    const auto opks = generate_one_time_prekeys(1, 1, rng);
    if (!prekeys.store_signed_prekey(spk) || !prekeys.store_one_time_prekey(opks[0])) std::abort();
    Session alice = must(start_session(alice_id, PreKeyBundle::make(bob_id, spk, &opks[0]),
                                       IdentityFingerprint::of(bob_id.public_key()), rng));
    const Bytes first = must(alice.encrypt(as_bytes("first"), rng));
    Session bob = must(accept_session(bob_id, prekeys, first, now)).session;
    auto say = [&](Session& from, int to, const char* text) {
      envelopes.push_back(must(from.encrypt(as_bytes(text), rng)));
      envelope_receiver.push_back(to);
    };
    auto deliver_last = [&](Session& to) {
      (void)must(to.decrypt(envelopes.back(), now));
      envelopes.pop_back();
      envelope_receiver.pop_back();
    };
    say(alice, 1, "initial, undelivered");
    for (int turn = 0; turn < 3; ++turn) {
      say(bob, 0, "skipped");
      say(bob, 0, "read");
      deliver_last(alice);
      say(alice, 1, "skipped");
      say(alice, 1, "read");
      deliver_last(bob);
    }
    say(bob, 0, "current chain, undelivered");
    say(alice, 1, "new chain, undelivered");
    receivers.push_back(std::move(alice));
    receivers.push_back(std::move(bob));
  }
};

inline SessionFixture& session_fixture() {
  static SessionFixture fixture;
  return fixture;
}

// Applies edits to `base`: each 3 input bytes are (position high, position low, xor mask); a
// last odd byte truncates to that fraction of the length.
inline Bytes mutate(const Bytes& base, ByteView edits) {
  Bytes out = base;
  std::size_t i = 0;
  for (; i + 3 <= edits.size(); i += 3) {
    if (out.empty()) break;
    const std::size_t pos = ((std::size_t{edits[i]} << 8) | edits[i + 1]) % out.size();
    out[pos] ^= edits[i + 2];
  }
  if (i < edits.size()) out.resize(out.size() * edits[i] / 255);
  return out;
}

}  // namespace exile::fuzz
