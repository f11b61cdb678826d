// Fuzz target for compare_qr_payload (crypto/fingerprint.h; payload format in
// docs/protocol.md §"QR payload"): the bytes come from a camera, so anything goes.
//
// Checks, for any input: no crash; the verdict is one of the four; Match only for exactly the
// peer's payload (the one SafetyNumber::compute(peer, us) shows); a payload with the right magic
// and another version byte is a VersionMismatch whatever its length.
//
// Seeds (tests/fuzz/seeds/qr_payload/): "match" is exactly the fixture peer's payload (computed
// independently from the documented construction), so runs start on the Match path; the others
// are its mismatching, other-version, truncated and trailing-byte variants.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "crypto/fingerprint.h"

namespace {

struct Fixture {
  exile::crypto::SafetyNumber ours;
  exile::Bytes peer_payload;
};

exile::crypto::IdentityPublicKey identity(std::uint8_t fill) {
  const std::uint8_t seed[exile::crypto::kEd25519SeedBytes] = {fill, fill, fill, fill};
  auto pair = exile::crypto::IdentityKeyPair::from_seed(seed);
  if (!pair) std::abort();
  return pair->public_key();
}

const Fixture& fixture() {
  static const Fixture f = [] {
    const auto us = identity(0x11);
    const auto peer = identity(0x22);
    return Fixture{exile::crypto::SafetyNumber::compute(us, peer),
                   exile::crypto::SafetyNumber::compute(peer, us).qr_payload()};
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using exile::crypto::QrMatch;
  const Fixture& f = fixture();
  const exile::ByteView input(data, size);
  const QrMatch verdict = exile::crypto::compare_qr_payload(f.ours, input);
  const bool is_peer =
      std::equal(input.begin(), input.end(), f.peer_payload.begin(), f.peer_payload.end());
  switch (verdict) {
    case QrMatch::Match:
      if (!is_peer) std::abort();
      break;
    case QrMatch::Mismatch:
    case QrMatch::VersionMismatch:
    case QrMatch::Malformed:
      if (is_peer) std::abort();
      break;
    default: std::abort();
  }
  const bool magic =
      size >= 5 && std::equal(input.begin() + 1, input.begin() + 5, f.peer_payload.begin() + 1);
  if (magic && input[0] != f.peer_payload[0] && verdict != QrMatch::VersionMismatch) std::abort();
  if (!magic && verdict != QrMatch::Malformed) std::abort();
  return 0;
}
