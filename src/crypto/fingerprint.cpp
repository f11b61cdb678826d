// Safety numbers, key images and QR payloads (PROTOCOL.md §3). The byte-exact construction is
// written down in docs/protocol.md; a change here is a new safety-number version
// and must change kFingerprintVersion, kQrVersion and the pinned vector in
// tests/crypto/fingerprint_test.cpp together.
//
// Invariants:
//  - SafetyNumber::compute(a, b) and compute(b, a) show the same digits and the same key image;
//    only local_/remote_ (and so the QR payload) depend on which side is asking.
//  - Everything here hashes public keys only: no secrets, nothing to wipe. Comparisons of
//    the scanned QR payload are still constant time (sodium_memcmp), as STYLE.md asks for keys.
#include "crypto/fingerprint.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "common/sodium.h"
#include "crypto/limits.h"

namespace exile::crypto {
namespace {

constexpr std::uint16_t kFingerprintVersion = 0;
constexpr std::string_view kFingerprintLabel = "Exile_SafetyNumber_v1";
constexpr std::uint8_t kKeyImageVersion = 0x01;
constexpr std::string_view kKeyImageLabel = "Exile_KeyImage_v1";
constexpr std::uint8_t kQrVersion = 0x01;
constexpr std::string_view kQrMagic = "EXSN";

constexpr std::size_t kDigitsPerSide = kSafetyNumberDigits / 2;  // 30
constexpr std::size_t kChunkBytes = 5;                           // 40 bits -> 5 digits
constexpr std::size_t kDigitsPerChunk = 5;
constexpr std::size_t kChunksPerSide = kDigitsPerSide / kDigitsPerChunk;  // 6
constexpr std::size_t kDisplayGroup = 5;
constexpr std::size_t kKeyImageCells = kKeyImageSide * kKeyImageSide;  // 144
constexpr std::size_t kQrMagicOffset = 1;
constexpr std::size_t kQrLocalOffset = kQrMagicOffset + kQrMagic.size();
constexpr std::size_t kQrRemoteOffset = kQrLocalOffset + kFingerprintHashBytes;
constexpr std::size_t kQrPayloadBytes = kQrRemoteOffset + kFingerprintHashBytes;  // 69

static_assert(kChunksPerSide * kChunkBytes <= crypto_hash_sha512_BYTES);
static_assert(kKeyImageCells / 4 <= crypto_hash_sha512_BYTES);
static_assert(kFingerprintHashBytes <= crypto_hash_sha512_BYTES);

using Sha512 = std::array<std::uint8_t, crypto_hash_sha512_BYTES>;

void sha512_update(crypto_hash_sha512_state& state, ByteView data) {
  crypto_hash_sha512_update(&state, data.data(), data.size());
}

// h0 = SHA-512(u16 version ‖ label ‖ key ‖ stable id); h(i+1) = SHA-512(h(i) ‖ key), 5200
// times. The stable id is the identity key itself: Exile has no account or phone number.
Sha512 side_hash(const IdentityPublicKey& identity) {
  const ByteView key = identity.view();
  const std::uint8_t version[2] = {static_cast<std::uint8_t>(kFingerprintVersion >> 8),
                                   static_cast<std::uint8_t>(kFingerprintVersion)};
  Sha512 hash{};
  crypto_hash_sha512_state state;
  crypto_hash_sha512_init(&state);
  sha512_update(state, version);
  sha512_update(state, as_bytes(kFingerprintLabel));
  sha512_update(state, key);
  sha512_update(state, key);  // stable id
  crypto_hash_sha512_final(&state, hash.data());

  // The state right after init is the same every round: copy it rather than re-init.
  crypto_hash_sha512_state fresh;
  crypto_hash_sha512_init(&fresh);
  for (std::uint32_t i = 0; i < kFingerprintIterations; ++i) {
    state = fresh;
    sha512_update(state, hash);
    sha512_update(state, key);
    crypto_hash_sha512_final(&state, hash.data());
  }
  return hash;
}

// 30 digits: six 5-byte big-endian chunks, each mod 100000, zero-padded to 5 digits.
std::string side_digits(const Sha512& hash) {
  std::string digits;
  digits.reserve(kDigitsPerSide);
  for (std::size_t chunk = 0; chunk < kChunksPerSide; ++chunk) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < kChunkBytes; ++i) {
      value = (value << 8) | hash[chunk * kChunkBytes + i];
    }
    value %= 100000;
    char group[kDigitsPerChunk];
    for (std::size_t i = kDigitsPerChunk; i-- > 0;) {
      group[i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
    digits.append(group, kDigitsPerChunk);
  }
  return digits;
}

KeyImage draw_key_image(const std::array<std::uint8_t, kFingerprintHashBytes>& a,
                        const std::array<std::uint8_t, kFingerprintHashBytes>& b) {
  // Byte-wise (memcmp) order: both sides pick the same "lower" hash.
  const bool a_first = std::memcmp(a.data(), b.data(), kFingerprintHashBytes) <= 0;
  const auto& lower = a_first ? a : b;
  const auto& higher = a_first ? b : a;
  const std::uint8_t version[1] = {kKeyImageVersion};
  Sha512 hash{};
  crypto_hash_sha512_state state;
  crypto_hash_sha512_init(&state);
  sha512_update(state, version);
  sha512_update(state, as_bytes(kKeyImageLabel));
  sha512_update(state, lower);
  sha512_update(state, higher);
  crypto_hash_sha512_final(&state, hash.data());

  KeyImage image;
  for (std::size_t i = 0; i < kKeyImageCells; ++i) {
    image.cells[i] = static_cast<std::uint8_t>((hash[i / 4] >> (2 * (i % 4))) & 0x03);
  }
  return image;
}

}  // namespace

SafetyNumber SafetyNumber::compute(const IdentityPublicKey& local,
                                   const IdentityPublicKey& remote) {
  ensure_sodium();
  const Sha512 local_hash = side_hash(local);
  const Sha512 remote_hash = side_hash(remote);

  SafetyNumber number;
  std::copy_n(local_hash.begin(), kFingerprintHashBytes, number.local_.begin());
  std::copy_n(remote_hash.begin(), kFingerprintHashBytes, number.remote_.begin());

  const std::string local_digits = side_digits(local_hash);
  const std::string remote_digits = side_digits(remote_hash);
  number.digits_ =
      local_digits <= remote_digits ? local_digits + remote_digits : remote_digits + local_digits;
  number.image_ = draw_key_image(number.local_, number.remote_);
  return number;
}

std::string SafetyNumber::display() const {
  std::string out;
  out.reserve(digits_.size() + digits_.size() / kDisplayGroup);
  for (std::size_t i = 0; i < digits_.size(); i += kDisplayGroup) {
    if (i != 0) out.push_back(' ');
    out.append(digits_, i, kDisplayGroup);
  }
  return out;
}

Bytes SafetyNumber::qr_payload() const {
  Bytes payload;
  payload.reserve(kQrPayloadBytes);
  payload.push_back(kQrVersion);
  append(payload, as_bytes(kQrMagic));
  append(payload, local_);
  append(payload, remote_);
  return payload;
}

QrMatch compare_qr_payload(const SafetyNumber& ours, ByteView scanned) {
  ensure_sodium();
  // Magic first, then version, then length: a payload of another version may well have
  // another length, and "update the app" is the more useful answer then.
  if (scanned.size() < kQrLocalOffset ||
      std::memcmp(scanned.data() + kQrMagicOffset, kQrMagic.data(), kQrMagic.size()) != 0) {
    return QrMatch::Malformed;
  }
  if (scanned[0] != kQrVersion) return QrMatch::VersionMismatch;
  if (scanned.size() != kQrPayloadBytes) return QrMatch::Malformed;

  // The peer's "local" is our "remote" and the other way round. Both comparisons always run.
  const int remote_differs =
      sodium_memcmp(scanned.data() + kQrLocalOffset, ours.remote_.data(), kFingerprintHashBytes);
  const int local_differs =
      sodium_memcmp(scanned.data() + kQrRemoteOffset, ours.local_.data(), kFingerprintHashBytes);
  return (remote_differs | local_differs) == 0 ? QrMatch::Match : QrMatch::Mismatch;
}

}  // namespace exile::crypto
