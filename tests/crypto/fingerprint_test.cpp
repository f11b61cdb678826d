// Safety numbers, key image and QR payload (crypto/fingerprint.h; construction in
// docs/protocol.md). The pinned vector at the end fixes the construction: if it
// changes, every user's safety numbers change, which needs a new version, not a quiet edit.
#include "crypto/fingerprint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>

#include "common/encoding.h"

namespace exile::crypto {
namespace {

IdentityPublicKey identity_from_seed(std::uint8_t first) {
  std::array<std::uint8_t, kEd25519SeedBytes> seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(first + i);
  auto pair = IdentityKeyPair::from_seed(seed);
  EXPECT_TRUE(pair.has_value());
  return pair.value().public_key();
}

class FingerprintTest : public ::testing::Test {
 protected:
  IdentityPublicKey alice_ = identity_from_seed(0x00);
  IdentityPublicKey bob_ = identity_from_seed(0x80);
  IdentityPublicKey mallory_ = identity_from_seed(0x40);
};

bool digits_only(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

TEST_F(FingerprintTest, BothSidesSeeTheSameSixtyDigits) {
  const auto at_alice = SafetyNumber::compute(alice_, bob_);
  const auto at_bob = SafetyNumber::compute(bob_, alice_);
  EXPECT_EQ(at_alice.digits().size(), kSafetyNumberDigits);
  EXPECT_TRUE(digits_only(at_alice.digits())) << at_alice.digits();
  EXPECT_EQ(at_alice.digits(), at_bob.digits());
  EXPECT_EQ(at_alice.display(), at_bob.display());
}

TEST_F(FingerprintTest, LowerHalfComesFirst) {
  const auto number = SafetyNumber::compute(alice_, bob_);
  const std::string first = number.digits().substr(0, 30);
  const std::string second = number.digits().substr(30);
  EXPECT_LE(first, second);
  // Each half is one side's own 30 digits: it reappears with any other partner.
  const auto alice_mallory = SafetyNumber::compute(alice_, mallory_);
  const auto bob_mallory = SafetyNumber::compute(bob_, mallory_);
  const auto contains = [](const std::string& digits, const std::string& half) {
    return digits.substr(0, 30) == half || digits.substr(30) == half;
  };
  const bool first_is_alice = contains(alice_mallory.digits(), first);
  EXPECT_TRUE(first_is_alice || contains(bob_mallory.digits(), first));
  EXPECT_TRUE(contains(first_is_alice ? bob_mallory.digits() : alice_mallory.digits(), second));
}

TEST_F(FingerprintTest, DisplayIsTwelveGroupsOfFive) {
  const auto number = SafetyNumber::compute(alice_, bob_);
  const std::string shown = number.display();
  ASSERT_EQ(shown.size(), 12u * 5u + 11u);
  std::string collapsed;
  for (std::size_t i = 0; i < shown.size(); ++i) {
    if (i % 6 == 5) {
      EXPECT_EQ(shown[i], ' ') << i;
    } else {
      EXPECT_TRUE(shown[i] >= '0' && shown[i] <= '9') << i;
      collapsed.push_back(shown[i]);
    }
  }
  EXPECT_EQ(collapsed, number.digits());
}

TEST_F(FingerprintTest, ChangesWhenEitherKeyChanges) {
  const auto original = SafetyNumber::compute(alice_, bob_);
  const auto other_remote = SafetyNumber::compute(alice_, mallory_);
  const auto other_local = SafetyNumber::compute(mallory_, bob_);
  EXPECT_NE(original.digits(), other_remote.digits());
  EXPECT_NE(original.digits(), other_local.digits());
  EXPECT_NE(other_remote.digits(), other_local.digits());
  EXPECT_NE(original.key_image().cells, other_remote.key_image().cells);
  EXPECT_NE(original.key_image().cells, other_local.key_image().cells);
}

TEST_F(FingerprintTest, IsDeterministic) {
  EXPECT_EQ(SafetyNumber::compute(alice_, bob_).digits(),
            SafetyNumber::compute(alice_, bob_).digits());
}

TEST_F(FingerprintTest, KeyImageIsTheSameOnBothSidesAndInRange) {
  const auto at_alice = SafetyNumber::compute(alice_, bob_);
  const auto at_bob = SafetyNumber::compute(bob_, alice_);
  EXPECT_EQ(at_alice.key_image().cells, at_bob.key_image().cells);
  std::array<int, 4> colours{};
  for (const auto cell : at_alice.key_image().cells) {
    ASSERT_LE(cell, 3);
    ++colours[cell];
  }
  for (const int count : colours) EXPECT_GT(count, 0);  // 144 cells: every colour appears
}

TEST_F(FingerprintTest, QrPayloadLayout) {
  const auto number = SafetyNumber::compute(alice_, bob_);
  const Bytes payload = number.qr_payload();
  ASSERT_EQ(payload.size(), 1u + 4u + 32u + 32u);
  EXPECT_EQ(payload[0], 0x01);
  EXPECT_EQ(std::string(payload.begin() + 1, payload.begin() + 5), "EXSN");
  // The peer's payload carries the same two hashes, swapped.
  const Bytes peer = SafetyNumber::compute(bob_, alice_).qr_payload();
  EXPECT_TRUE(std::equal(payload.begin() + 5, payload.begin() + 37, peer.begin() + 37));
  EXPECT_TRUE(std::equal(payload.begin() + 37, payload.end(), peer.begin() + 5));
}

TEST_F(FingerprintTest, QrMatchesThePeersScreen) {
  const auto at_alice = SafetyNumber::compute(alice_, bob_);
  const auto at_bob = SafetyNumber::compute(bob_, alice_);
  EXPECT_EQ(compare_qr_payload(at_alice, at_bob.qr_payload()), QrMatch::Match);
  EXPECT_EQ(compare_qr_payload(at_bob, at_alice.qr_payload()), QrMatch::Match);
}

TEST_F(FingerprintTest, QrOfOwnScreenDoesNotMatch) {
  const auto at_alice = SafetyNumber::compute(alice_, bob_);
  EXPECT_EQ(compare_qr_payload(at_alice, at_alice.qr_payload()), QrMatch::Mismatch);
}

TEST_F(FingerprintTest, QrMismatchWhenAKeyDiffers) {
  const auto at_alice = SafetyNumber::compute(alice_, bob_);
  // A man in the middle: Bob's screen shows Mallory's key where Alice's should be.
  const auto bob_sees_mallory = SafetyNumber::compute(bob_, mallory_);
  EXPECT_EQ(compare_qr_payload(at_alice, bob_sees_mallory.qr_payload()), QrMatch::Mismatch);
  // Mallory answering in Bob's place.
  const auto mallory_sees_alice = SafetyNumber::compute(mallory_, alice_);
  EXPECT_EQ(compare_qr_payload(at_alice, mallory_sees_alice.qr_payload()), QrMatch::Mismatch);
}

TEST_F(FingerprintTest, QrMismatchOnAnySingleBitFlipInTheHashes) {
  const auto at_alice = SafetyNumber::compute(alice_, bob_);
  const Bytes good = SafetyNumber::compute(bob_, alice_).qr_payload();
  for (std::size_t i = 5; i < good.size(); ++i) {
    Bytes bad = good;
    bad[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
    EXPECT_EQ(compare_qr_payload(at_alice, bad), QrMatch::Mismatch) << i;
  }
}

TEST_F(FingerprintTest, QrVersionMismatch) {
  const auto at_alice = SafetyNumber::compute(alice_, bob_);
  Bytes payload = SafetyNumber::compute(bob_, alice_).qr_payload();
  for (const std::uint8_t version : {std::uint8_t{0x00}, std::uint8_t{0x02}, std::uint8_t{0xff}}) {
    payload[0] = version;
    EXPECT_EQ(compare_qr_payload(at_alice, payload), QrMatch::VersionMismatch) << int{version};
  }
  // Another version may have another length; it is still reported as a version mismatch.
  payload[0] = 0x02;
  payload.resize(100, 0x5a);
  EXPECT_EQ(compare_qr_payload(at_alice, payload), QrMatch::VersionMismatch);
  payload.resize(5);
  EXPECT_EQ(compare_qr_payload(at_alice, payload), QrMatch::VersionMismatch);
}

TEST_F(FingerprintTest, QrMalformed) {
  const auto at_alice = SafetyNumber::compute(alice_, bob_);
  const Bytes good = SafetyNumber::compute(bob_, alice_).qr_payload();
  // Truncated to every shorter length.
  for (std::size_t n = 0; n < good.size(); ++n) {
    const Bytes truncated(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(compare_qr_payload(at_alice, truncated), QrMatch::Malformed) << n;
  }
  // Trailing bytes.
  Bytes longer = good;
  longer.push_back(0x00);
  EXPECT_EQ(compare_qr_payload(at_alice, longer), QrMatch::Malformed);
  // Wrong magic, in each of its bytes; and the magic in another case.
  for (std::size_t i = 1; i < 5; ++i) {
    Bytes bad = good;
    bad[i] ^= 0x20;
    EXPECT_EQ(compare_qr_payload(at_alice, bad), QrMatch::Malformed) << i;
  }
  // Something else entirely: a URL someone scanned by mistake.
  const std::string url = "https://example.org/some/page/that/is/exactly/long/enough/to/fool";
  EXPECT_EQ(compare_qr_payload(at_alice, as_bytes(url)), QrMatch::Malformed);
  EXPECT_EQ(compare_qr_payload(at_alice, {}), QrMatch::Malformed);
}

TEST_F(FingerprintTest, SameKeyOnBothSides) {
  // Talking to oneself (a second device restored from the same backup): well defined.
  const auto number = SafetyNumber::compute(alice_, alice_);
  EXPECT_EQ(number.digits().substr(0, 30), number.digits().substr(30));
  EXPECT_EQ(compare_qr_payload(number, number.qr_payload()), QrMatch::Match);
}

// Pinned vector: identities from seeds 00 01 .. 1f (A) and 80 81 .. 9f (B). Also in
// docs/protocol.md, for a second implementation to check itself against.
TEST(SafetyNumberVector, Pinned) {
  const auto a = identity_from_seed(0x00);
  const auto b = identity_from_seed(0x80);
  EXPECT_EQ(to_hex(a.view()), "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  EXPECT_EQ(to_hex(b.view()), "cd14b37f956e953194ff7fb73b3d81dcc561d61a7538094b7c3e1a643ee5f3aa");

  const auto number = SafetyNumber::compute(a, b);
  // The same digits on B's side.
  EXPECT_EQ(SafetyNumber::compute(b, a).digits(), number.digits());
  EXPECT_EQ(number.digits(), "752314985194579102908485083032814820605440992886252214590460");
  EXPECT_EQ(number.display(),
            "75231 49851 94579 10290 84850 83032 81482 06054 40992 88625 22145 90460");
  std::string cells;
  for (const auto cell : number.key_image().cells) cells.push_back(static_cast<char>('0' + cell));
  EXPECT_EQ(cells,
            "033012121032213113102220020232012030321210203212221233233120101331320023"
            "100013021313132133032301130022000123103330220122121331231313220313103331");
  EXPECT_EQ(to_hex(number.qr_payload()),
            "014558534e"
            "7505974c7f0ace4ee4dba985b04453015cdacc3273088ccf32dc34f39238125c"
            "96a980bf4aa9a0e6144640b2ede0e069e8911651e8ed5ebf011b5294a5bc3920");
}

}  // namespace
}  // namespace exile::crypto
