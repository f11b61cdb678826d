// Prekey generation and the bundle wire format (docs/protocol.md §"Prekey bundle"): exact
// layout, round trips, and every way parse() and verify_signature() must refuse a bundle.
#include "crypto/prekeys.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <set>
#include <string_view>

#include "common/encoding.h"

namespace exile::crypto {
namespace {

constexpr std::size_t kBundleBytesNoOpk = 1 + 1 + 32 + 4 + 32 + 64 + 1 + 2;  // 137
constexpr std::size_t kBundleBytesWithOpk = kBundleBytesNoOpk + 4 + 32;      // 173
// Offsets of the fields in a serialized bundle.
constexpr std::size_t kOffKind = 1;
constexpr std::size_t kOffIdentity = 2;
constexpr std::size_t kOffSpkId = 34;
constexpr std::size_t kOffSpk = 38;
constexpr std::size_t kOffSignature = 70;
constexpr std::size_t kOffOpkFlag = 134;
constexpr std::size_t kOffOpkId = 135;
constexpr std::size_t kOffOpk = 139;

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes ? *bytes : Bytes{};
}

ErrorCode parse_error(ByteView bytes) {
  auto parsed = PreKeyBundle::parse(bytes);
  EXPECT_FALSE(parsed.has_value());
  return parsed ? ErrorCode::Internal : parsed.error().code;
}

class PreKeysTest : public ::testing::Test {
 protected:
  DeterministicRng rng{0x5eed'0001};
  IdentityKeyPair bob = IdentityKeyPair::generate(rng);
  SignedPreKey spk = generate_signed_prekey(bob, 7, from_millis(1'700'000'000'000), rng);
  std::vector<OneTimePreKey> opks = generate_one_time_prekeys(100, 3, rng);

  [[nodiscard]] Bytes bundle_bytes(bool with_opk) const {
    return PreKeyBundle::make(bob, spk, with_opk ? &opks[0] : nullptr).serialize();
  }
};

TEST_F(PreKeysTest, SignedPreKeyMessageIsDomainSeparatedAndBigEndian) {
  const Bytes message = signed_prekey_message(BundleKind::Reset, 0x01020304, spk.key.public_key());
  Bytes expected(std::string_view("Exile_SignedPreKey_v1").begin(),
                 std::string_view("Exile_SignedPreKey_v1").end());
  expected.insert(expected.end(), {0x02, 0x01, 0x02, 0x03, 0x04});
  append(expected, spk.key.public_key().view());
  EXPECT_EQ(message, expected);
  EXPECT_EQ(message.size(), 21u + 1 + 4 + 32);
}

TEST_F(PreKeysTest, GeneratedSignedPreKeyIsSignedOverKindIdAndKey) {
  EXPECT_EQ(spk.id, 7u);
  EXPECT_EQ(spk.created, from_millis(1'700'000'000'000));
  const auto& pub = spk.key.public_key();
  EXPECT_TRUE(
      bob.public_key().verify(signed_prekey_message(BundleKind::Contact, 7, pub), spk.signature));
  EXPECT_FALSE(
      bob.public_key().verify(signed_prekey_message(BundleKind::Reset, 7, pub), spk.signature));
  EXPECT_FALSE(
      bob.public_key().verify(signed_prekey_message(BundleKind::Contact, 8, pub), spk.signature));

  SignedPreKey reset = generate_signed_prekey(bob, 9, from_millis(0), rng, BundleKind::Reset);
  EXPECT_TRUE(bob.public_key().verify(
      signed_prekey_message(BundleKind::Reset, 9, reset.key.public_key()), reset.signature));
}

TEST_F(PreKeysTest, OneTimePreKeysHaveConsecutiveIdsAndDistinctKeys) {
  auto keys = generate_one_time_prekeys(0xffff'fffe, 4, rng);
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys[0].id, 0xffff'fffeu);
  EXPECT_EQ(keys[1].id, 0xffff'ffffu);
  EXPECT_EQ(keys[2].id, 0u);  // ids wrap modulo 2^32
  EXPECT_EQ(keys[3].id, 1u);
  std::set<Bytes> publics;
  for (const auto& key : keys) {
    publics.insert(Bytes(key.key.public_key().view().begin(), key.key.public_key().view().end()));
  }
  EXPECT_EQ(publics.size(), 4u);
  EXPECT_TRUE(generate_one_time_prekeys(5, 0, rng).empty());
}

TEST_F(PreKeysTest, GenerationIsReproducibleFromTheRngSeed) {
  DeterministicRng a(42);
  DeterministicRng b(42);
  auto ka = generate_one_time_prekeys(1, 2, a);
  auto kb = generate_one_time_prekeys(1, 2, b);
  EXPECT_EQ(ka[1].key.public_key(), kb[1].key.public_key());
  EXPECT_TRUE(ka[1].key.secret().equals(kb[1].key.secret()));
}

TEST_F(PreKeysTest, SerializedLayoutIsExact) {
  const Bytes with = bundle_bytes(true);
  ASSERT_EQ(with.size(), kBundleBytesWithOpk);
  EXPECT_EQ(with[0], 1);
  EXPECT_EQ(with[kOffKind], 1);
  EXPECT_TRUE(std::equal(bob.public_key().view().begin(), bob.public_key().view().end(),
                         with.begin() + kOffIdentity));
  EXPECT_EQ(load_u32(with.data() + kOffSpkId), 7u);
  EXPECT_TRUE(std::equal(spk.key.public_key().view().begin(), spk.key.public_key().view().end(),
                         with.begin() + kOffSpk));
  EXPECT_TRUE(std::equal(spk.signature.view().begin(), spk.signature.view().end(),
                         with.begin() + kOffSignature));
  EXPECT_EQ(with[kOffOpkFlag], 1);
  EXPECT_EQ(load_u32(with.data() + kOffOpkId), 100u);
  EXPECT_TRUE(std::equal(opks[0].key.public_key().view().begin(),
                         opks[0].key.public_key().view().end(), with.begin() + kOffOpk));
  EXPECT_EQ(load_u16(with.data() + kOffOpk + 32), 0);

  const Bytes without = bundle_bytes(false);
  ASSERT_EQ(without.size(), kBundleBytesNoOpk);
  EXPECT_EQ(without[kOffOpkFlag], 0);
  EXPECT_EQ(load_u16(without.data() + kOffOpkFlag + 1), 0);
}

TEST_F(PreKeysTest, RoundTripsWithAndWithoutOneTimePreKey) {
  for (bool with_opk : {true, false}) {
    const Bytes bytes = bundle_bytes(with_opk);
    auto parsed = PreKeyBundle::parse(bytes);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    EXPECT_EQ(parsed->kind, BundleKind::Contact);
    EXPECT_EQ(parsed->identity, bob.public_key());
    EXPECT_EQ(parsed->signed_prekey_id, 7u);
    EXPECT_EQ(parsed->signed_prekey, spk.key.public_key());
    EXPECT_EQ(parsed->one_time_prekey.has_value(), with_opk);
    if (with_opk) {
      EXPECT_EQ(parsed->one_time_prekey->id, 100u);
      EXPECT_EQ(parsed->one_time_prekey->key, opks[0].key.public_key());
    }
    EXPECT_TRUE(parsed->verify_signature().has_value());
    EXPECT_EQ(parsed->serialize(), bytes);
  }
}

TEST_F(PreKeysTest, ResetBundleRoundTripsAndNeverCarriesAOneTimePreKey) {
  SignedPreKey reset = generate_signed_prekey(bob, 3, from_millis(0), rng, BundleKind::Reset);
  const PreKeyBundle bundle = PreKeyBundle::make(bob, reset, &opks[0], BundleKind::Reset);
  EXPECT_FALSE(bundle.one_time_prekey.has_value());
  const Bytes bytes = bundle.serialize();
  EXPECT_EQ(bytes[kOffKind], 2);
  auto parsed = PreKeyBundle::parse(bytes);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->kind, BundleKind::Reset);
  EXPECT_TRUE(parsed->verify_signature().has_value());

  // A contact bundle relabelled as reset: parse refuses the one-time prekey.
  Bytes relabelled = bundle_bytes(true);
  relabelled[kOffKind] = 2;
  EXPECT_EQ(parse_error(relabelled), ErrorCode::MalformedMessage);
  // Without one, it parses, but the signature covers the kind.
  Bytes relabelled_no_opk = bundle_bytes(false);
  relabelled_no_opk[kOffKind] = 2;
  auto cross = PreKeyBundle::parse(relabelled_no_opk);
  ASSERT_TRUE(cross.has_value());
  EXPECT_EQ(cross->verify_signature().error().code, ErrorCode::BadSignature);
}

TEST_F(PreKeysTest, EveryTruncationIsMalformed) {
  for (bool with_opk : {true, false}) {
    const Bytes bytes = bundle_bytes(with_opk);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_EQ(parse_error(ByteView(bytes).first(n)), ErrorCode::MalformedMessage) << n;
    }
  }
}

TEST_F(PreKeysTest, TrailingBytesAreMalformed) {
  for (bool with_opk : {true, false}) {
    for (std::size_t extra : {1u, 2u, 36u, 1000u}) {
      Bytes bytes = bundle_bytes(with_opk);
      bytes.resize(bytes.size() + extra, 0);
      EXPECT_EQ(parse_error(bytes), ErrorCode::MalformedMessage) << extra;
    }
  }
}

TEST_F(PreKeysTest, UnknownVersionIsUnsupported) {
  for (std::uint8_t version : std::initializer_list<std::uint8_t>{0, 2, 0x7f, 0xff}) {
    Bytes bytes = bundle_bytes(true);
    bytes[0] = version;
    EXPECT_EQ(parse_error(bytes), ErrorCode::UnsupportedVersion) << int{version};
  }
  EXPECT_EQ(parse_error(Bytes{2}), ErrorCode::UnsupportedVersion);  // before any length check
}

TEST_F(PreKeysTest, UnknownKindOrOneTimeFlagIsMalformed) {
  for (std::uint8_t kind : std::initializer_list<std::uint8_t>{0, 3, 0xff}) {
    Bytes bytes = bundle_bytes(false);
    bytes[kOffKind] = kind;
    EXPECT_EQ(parse_error(bytes), ErrorCode::MalformedMessage) << int{kind};
  }
  for (std::uint8_t flag : std::initializer_list<std::uint8_t>{2, 0x80, 0xff}) {
    Bytes bytes = bundle_bytes(true);
    bytes[kOffOpkFlag] = flag;
    EXPECT_EQ(parse_error(bytes), ErrorCode::MalformedMessage) << int{flag};
  }
}

TEST_F(PreKeysTest, NonzeroKemSlotIsUnsupported) {
  for (bool with_opk : {true, false}) {
    Bytes bytes = bundle_bytes(with_opk);
    const std::size_t kem = bytes.size() - 2;
    for (std::uint16_t len : std::initializer_list<std::uint16_t>{1, 1184, 0xffff}) {
      Bytes b = bytes;
      b[kem] = static_cast<std::uint8_t>(len >> 8);
      b[kem + 1] = static_cast<std::uint8_t>(len);
      EXPECT_EQ(parse_error(b), ErrorCode::UnsupportedVersion);
      b.resize(b.size() + len, 0x42);  // even with the announced key present
      EXPECT_EQ(parse_error(b), ErrorCode::UnsupportedVersion);
    }
  }
}

// X25519 encodings that are not canonical: u >= p = 2^255 - 19, or the high bit set.
std::vector<Bytes> non_canonical_x25519() {
  return {
      hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  // p
      hex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  // p + 1
      hex("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  // 2^255 - 1
      hex("0000000000000000000000000000000000000000000000000000000000000080"),  // 0, high bit
      hex("0900000000000000000000000000000000000000000000000000000000000080"),  // 9, high bit
  };
}

TEST_F(PreKeysTest, NonCanonicalSignedOrOneTimePreKeyIsInvalid) {
  for (const Bytes& key : non_canonical_x25519()) {
    Bytes bytes = bundle_bytes(true);
    std::copy(key.begin(), key.end(), bytes.begin() + kOffSpk);
    EXPECT_EQ(parse_error(bytes), ErrorCode::InvalidKey);
    bytes = bundle_bytes(true);
    std::copy(key.begin(), key.end(), bytes.begin() + kOffOpk);
    EXPECT_EQ(parse_error(bytes), ErrorCode::InvalidKey);
  }
}

TEST_F(PreKeysTest, InvalidIdentityKeyIsRejected) {
  std::vector<Bytes> invalid = {
      // Small order: the neutral element (y = 1), order 2 (y = -1), order 4 (y = 0, both
      // signs of x), and an order-8 point (a standard torsion point of edwards25519).
      hex("0100000000000000000000000000000000000000000000000000000000000000"),
      hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
      hex("0000000000000000000000000000000000000000000000000000000000000000"),
      hex("0000000000000000000000000000000000000000000000000000000000000080"),
      hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
      // Non-canonical y (y >= p), with either sign bit.
      hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
      hex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
      // y = 2 is not on the curve (x^2 = (y^2 - 1) / (d y^2 + 1) has no root).
      hex("0200000000000000000000000000000000000000000000000000000000000000"),
  };
  // A point with a torsion component: valid identity + the order-8 point above.
  {
    std::array<std::uint8_t, 32> mixed{};
    ASSERT_EQ(
        crypto_core_ed25519_add(mixed.data(), bob.public_key().bytes().data(), invalid[4].data()),
        0);
    invalid.emplace_back(mixed.begin(), mixed.end());
  }
  for (const Bytes& key : invalid) {
    // Sanity: libsodium agrees these are not usable public keys.
    EXPECT_EQ(crypto_core_ed25519_is_valid_point(key.data()), 0) << to_hex(key);
    Bytes bytes = bundle_bytes(true);
    std::copy(key.begin(), key.end(), bytes.begin() + kOffIdentity);
    EXPECT_EQ(parse_error(bytes), ErrorCode::InvalidKey) << to_hex(key);
  }
}

// Every bit the signature covers (kind, identity, prekey id, prekey, the signature itself):
// flipping it makes parse() or verify_signature() fail.
TEST_F(PreKeysTest, FlippingAnySignedBitFails) {
  const Bytes original = bundle_bytes(false);
  std::size_t verified_failures = 0;
  for (std::size_t byte = kOffKind; byte < kOffOpkFlag; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bytes = original;
      bytes[byte] = static_cast<std::uint8_t>(bytes[byte] ^ (1u << bit));
      auto parsed = PreKeyBundle::parse(bytes);
      if (!parsed) continue;  // an invalid key or kind: rejected by parse already
      auto verified = parsed->verify_signature();
      ASSERT_FALSE(verified.has_value()) << "byte " << byte << " bit " << bit;
      EXPECT_EQ(verified.error().code, ErrorCode::BadSignature);
      ++verified_failures;
    }
  }
  // Most flips parse fine and must be caught by the signature.
  EXPECT_GT(verified_failures, 700u);
}

TEST_F(PreKeysTest, TheOneTimePreKeyIsNotSigned) {
  // As in Signal's X3DH: the one-time prekey is authenticated only by the relay handing it
  // out. Pinned here so that a change to this is a conscious protocol change.
  Bytes bytes = bundle_bytes(true);
  bytes[kOffOpkId + 3] ^= 1;
  auto parsed = PreKeyBundle::parse(bytes);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->verify_signature().has_value());
}

// L = 2^252 + 27742317777372353535851937790883648493, the order of the Ed25519 base point,
// little-endian (27742317777372353535851937790883648493 = 0x14def9dea2f79cd65812631a5cf5d3ed).
constexpr std::array<std::uint8_t, 32> kGroupOrder = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

// Returns the signature with S replaced by S + L (little-endian 256-bit addition).
std::array<std::uint8_t, 64> add_group_order_to_s(std::array<std::uint8_t, 64> signature) {
  unsigned carry = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const unsigned sum = unsigned{signature[32 + i]} + unsigned{kGroupOrder[i]} + carry;
    signature[32 + i] = static_cast<std::uint8_t>(sum);
    carry = sum >> 8;
  }
  EXPECT_EQ(carry, 0u);  // S < L < 2^253, so S + L < 2^254
  return signature;
}

TEST_F(PreKeysTest, GroupOrderConstantIsL) {
  std::array<std::uint8_t, 64> wide{};
  std::copy(kGroupOrder.begin(), kGroupOrder.end(), wide.begin());
  std::array<std::uint8_t, 32> reduced{};
  crypto_core_ed25519_scalar_reduce(reduced.data(), wide.data());
  EXPECT_EQ(reduced, (std::array<std::uint8_t, 32>{}));  // L mod L = 0
  wide[0] = static_cast<std::uint8_t>(wide[0] - 1);      // L - 1 mod L = L - 1
  crypto_core_ed25519_scalar_reduce(reduced.data(), wide.data());
  EXPECT_EQ(reduced[0], 0xec);
}

TEST_F(PreKeysTest, MalleatedSignatureWithSPlusLIsRejected) {
  const auto malleated = add_group_order_to_s(spk.signature.bytes());
  // S + L is the same scalar mod L: a lax verifier would accept it. libsodium must not.
  std::array<std::uint8_t, 32> s_reduced{};
  std::array<std::uint8_t, 64> wide{};
  std::copy(malleated.begin() + 32, malleated.end(), wide.begin());
  crypto_core_ed25519_scalar_reduce(s_reduced.data(), wide.data());
  EXPECT_TRUE(std::equal(s_reduced.begin(), s_reduced.end(), spk.signature.bytes().begin() + 32));

  Bytes bytes = bundle_bytes(true);
  std::copy(malleated.begin(), malleated.end(), bytes.begin() + kOffSignature);
  auto parsed = PreKeyBundle::parse(bytes);
  ASSERT_TRUE(parsed.has_value());
  auto verified = parsed->verify_signature();
  ASSERT_FALSE(verified.has_value());
  EXPECT_EQ(verified.error().code, ErrorCode::BadSignature);
}

TEST_F(PreKeysTest, ErrorMessagesHoldNoKeyBytes) {
  Bytes bytes = bundle_bytes(true);
  bytes[kOffSignature] ^= 1;
  auto parsed = PreKeyBundle::parse(bytes);
  ASSERT_TRUE(parsed.has_value());
  const std::string message = parsed->verify_signature().error().message;
  for (ByteView key : {bob.public_key().view(), spk.key.public_key().view()}) {
    EXPECT_EQ(message.find(to_hex(key)), std::string::npos);
    EXPECT_EQ(message.find(to_hex(key.first(4))), std::string::npos);
  }
}

}  // namespace
}  // namespace exile::crypto
