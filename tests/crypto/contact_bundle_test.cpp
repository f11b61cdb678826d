// The sealed contact bundle and the relay's one-time keys (docs/protocol.md §3.6): the exact
// construction (rebuilt here by hand from libsodium and HKDF, and pinned by the document's
// known answer), round trips, and every way open_contact_bundle and decode_one_time_key must
// refuse their input.
#include "crypto/contact_bundle.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "common/encoding.h"
#include "crypto/hkdf.h"

namespace exile::crypto {
namespace {

constexpr std::size_t kBundleBytesNoOpk = 137;
constexpr std::size_t kSealedBytes = 1 + 24 + kBundleBytesNoOpk + 16;  // 178

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes ? *bytes : Bytes{};
}

Bytes run(std::uint8_t start, std::size_t n = 32) {  // start, start + 1, …
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(start + i);
  return out;
}

SecureBuffer<kBundleKeyBytes> key_of(ByteView bytes) {
  return SecureBuffer<kBundleKeyBytes>(bytes);
}

SecureBuffer<kBundleKeyBytes> random_key(Rng& rng) {
  SecureBuffer<kBundleKeyBytes> key;
  rng.fill(MutableByteView(key.data(), key.size()));
  return key;
}

ErrorCode open_error(ByteView sealed, const SecureBuffer<kBundleKeyBytes>& key) {
  auto opened = open_contact_bundle(sealed, key);
  EXPECT_FALSE(opened.has_value());
  return opened ? ErrorCode::Internal : opened.error().code;
}

// §3.6 written out with libsodium and HKDF directly, sharing nothing with contact_bundle.cpp:
// version 1 ‖ nonce ‖ AEAD(HKDF(0^32, key, "Exile_ContactBundle_v1", 32), nonce, ad = 0x01,
// plain).
Bytes seal_by_hand(ByteView plain, ByteView key, ByteView nonce) {
  std::array<std::uint8_t, 32> k{};
  const std::array<std::uint8_t, 32> salt{};
  const std::string_view info = "Exile_ContactBundle_v1";
  EXPECT_TRUE(hkdf_sha256(k, salt, key, as_bytes(info)).has_value());
  const std::size_t at = 1 + nonce.size();
  Bytes out(at + plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  out[0] = 0x01;
  std::copy(nonce.begin(), nonce.end(), out.begin() + 1);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + at, &len, plain.data(), plain.size(),
                                             out.data(), 1, nullptr, nonce.data(), k.data());
  return out;
}

class ContactBundleTest : public ::testing::Test {
 protected:
  DeterministicRng rng{0x5eed'0036};
  IdentityKeyPair bob = IdentityKeyPair::generate(rng);
  SignedPreKey spk = generate_signed_prekey(bob, 7, from_millis(1'700'000'000'000), rng);
  std::vector<OneTimePreKey> opks = generate_one_time_prekeys(100, 1, rng);
  SecureBuffer<kBundleKeyBytes> key = random_key(rng);

  [[nodiscard]] PreKeyBundle bundle(bool with_opk = true,
                                    BundleKind kind = BundleKind::Contact) const {
    return PreKeyBundle::make(bob, spk, with_opk ? &opks[0] : nullptr, kind);
  }
  [[nodiscard]] Bytes sealed() {
    auto out = seal_contact_bundle(bundle(), key, rng);
    EXPECT_TRUE(out.has_value());
    return out ? *out : Bytes{};
  }
};

TEST_F(ContactBundleTest, RoundTripLeavesTheOneTimePrekeyOut) {
  const Bytes bytes = sealed();
  ASSERT_EQ(bytes.size(), kSealedBytes);
  auto opened = open_contact_bundle(bytes, key);
  ASSERT_TRUE(opened.has_value()) << opened.error();
  EXPECT_FALSE(opened->one_time_prekey.has_value());
  EXPECT_EQ(opened->serialize(), bundle(false).serialize());
  EXPECT_TRUE(opened->verify_signature().has_value());
}

TEST_F(ContactBundleTest, IsTheConstructionOfTheDocument) {
  // The same nonce by hand gives the same bytes, with or without a one-time prekey given.
  DeterministicRng a(1);
  DeterministicRng b(1);
  DeterministicRng c(1);
  auto with_opk = seal_contact_bundle(bundle(true), key, a);
  auto without_opk = seal_contact_bundle(bundle(false), key, b);
  ASSERT_TRUE(with_opk && without_opk);
  Bytes nonce(24);
  c.fill(nonce);
  EXPECT_EQ(*with_opk, *without_opk);
  EXPECT_EQ(*with_opk, seal_by_hand(bundle(false).serialize(), key.view(), nonce));
}

TEST_F(ContactBundleTest, EachSealHasAFreshNonce) {
  const Bytes first = sealed();
  const Bytes second = sealed();
  ASSERT_EQ(first.size(), second.size());
  EXPECT_NE(Bytes(first.begin() + 1, first.begin() + 25),
            Bytes(second.begin() + 1, second.begin() + 25));
  EXPECT_TRUE(open_contact_bundle(second, key).has_value());
}

TEST_F(ContactBundleTest, AnotherKeyDoesNotOpenIt) {
  const Bytes bytes = sealed();
  EXPECT_EQ(open_error(bytes, random_key(rng)), ErrorCode::DecryptionFailed);
  // A key one bit away, too.
  Bytes near = key.copy_to_insecure();
  near[31] ^= 0x80;
  EXPECT_EQ(open_error(bytes, key_of(near)), ErrorCode::DecryptionFailed);
}

TEST_F(ContactBundleTest, EveryFlippedBitIsRefused) {
  const Bytes bytes = sealed();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (const int bit : {0x01, 0x80}) {
      Bytes changed = bytes;
      changed[i] ^= static_cast<std::uint8_t>(bit);
      // Byte 0 is the version, read before anything else (§3.6).
      const ErrorCode expected =
          i == 0 ? ErrorCode::UnsupportedVersion : ErrorCode::DecryptionFailed;
      EXPECT_EQ(open_error(changed, key), expected) << "byte " << i;
    }
  }
}

TEST_F(ContactBundleTest, EveryTruncationAndExtensionIsRefused) {
  const Bytes bytes = sealed();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const ErrorCode expected =
        n < kSealedBundleOverheadBytes ? ErrorCode::MalformedMessage : ErrorCode::DecryptionFailed;
    EXPECT_EQ(open_error(ByteView(bytes).first(n), key), expected) << "length " << n;
  }
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_EQ(open_error(longer, key), ErrorCode::DecryptionFailed);
}

TEST_F(ContactBundleTest, LengthIsCappedBeforeAnyWork) {
  Bytes huge(kMaxSealedBundleBytes + 1, 0);
  huge[0] = 0x01;
  EXPECT_EQ(open_error(huge, key), ErrorCode::MalformedMessage);
  huge.pop_back();
  EXPECT_EQ(open_error(huge, key), ErrorCode::DecryptionFailed);
}

TEST_F(ContactBundleTest, AResetBundleIsNotSealed) {
  auto out = seal_contact_bundle(bundle(false, BundleKind::Reset), key, rng);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code, ErrorCode::InvalidArgument);
}

TEST_F(ContactBundleTest, AnAllZeroKeyIsRefusedBothWays) {
  const SecureBuffer<kBundleKeyBytes> zero;
  auto out = seal_contact_bundle(bundle(), zero, rng);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(open_error(sealed(), zero), ErrorCode::InvalidArgument);
  // A moved-from key holds nothing: refused the same way, not read.
  SecureBuffer<kBundleKeyBytes> moved = key.clone();
  const SecureBuffer<kBundleKeyBytes> taken = std::move(moved);
  EXPECT_EQ(open_error(sealed(), moved),
            ErrorCode::InvalidArgument);  // NOLINT(bugprone-use-after-move)
}

// What only the holder of the key could write, and the reader still refuses (§3.6): the
// plaintext must be a v1 contact bundle without a one-time prekey.
TEST_F(ContactBundleTest, TheInsideMustBeAContactBundleWithoutOneTimePrekey) {
  const Bytes nonce = run(0x90, 24);
  auto seal = [&](ByteView plain) { return seal_by_hand(plain, key.view(), nonce); };

  EXPECT_TRUE(open_contact_bundle(seal(bundle(false).serialize()), key).has_value());
  EXPECT_EQ(open_error(seal(bundle(true).serialize()), key), ErrorCode::MalformedMessage);
  EXPECT_EQ(open_error(seal(bundle(false, BundleKind::Reset).serialize()), key),
            ErrorCode::MalformedMessage);

  Bytes newer = bundle(false).serialize();
  newer[0] = 0x02;
  EXPECT_EQ(open_error(seal(newer), key), ErrorCode::UnsupportedVersion);
  Bytes trailing = bundle(false).serialize();
  trailing.push_back(0);
  EXPECT_EQ(open_error(seal(trailing), key), ErrorCode::MalformedMessage);
  Bytes bad_spk = bundle(false).serialize();
  std::fill_n(bad_spk.begin() + 38, 32, std::uint8_t{0xff});
  EXPECT_EQ(open_error(seal(bad_spk), key), ErrorCode::InvalidKey);
  EXPECT_EQ(open_error(seal({}), key), ErrorCode::MalformedMessage);
}

struct ThrowingRng final : Rng {
  void fill(MutableByteView) override { throw std::runtime_error("no entropy"); }
};

TEST_F(ContactBundleTest, AFailingRngIsAnError) {
  ThrowingRng broken;
  auto out = seal_contact_bundle(bundle(), key, broken);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code, ErrorCode::Internal);
}

TEST_F(ContactBundleTest, ErrorMessagesHoldNoKeyBytes) {
  const Bytes bytes = sealed();
  const std::string key_hex = to_hex(key.view());
  const std::string identity_hex = to_hex(bob.public_key().view());
  Bytes changed = bytes;
  changed.at(100) ^= 1;
  for (const auto& input : {changed, Bytes(bytes.begin(), bytes.begin() + 30)}) {
    auto opened = open_contact_bundle(input, key);
    ASSERT_FALSE(opened.has_value());
    const std::string message = opened.error().message;
    EXPECT_EQ(message.find(key_hex), std::string::npos);
    EXPECT_EQ(message.find(identity_hex), std::string::npos);
  }
}

// The known answer of docs/protocol.md §3.6: inputs given as byte runs, the nonce drawn from
// DeterministicRng(0x36). Any change to the format changes these bytes.
TEST(ContactBundleVectorTest, TheExampleOfTheDocumentIsExact) {
  auto identity = IdentityKeyPair::from_seed(run(0x00));
  auto spk_key = X25519KeyPair::from_secret(run(0x20));
  auto opk_key = X25519KeyPair::from_secret(run(0x60));
  ASSERT_TRUE(identity && spk_key && opk_key);
  const Ed25519Signature signature =
      identity->sign(signed_prekey_message(BundleKind::Contact, 1, spk_key->public_key()));
  const SignedPreKey spk{1, std::move(*spk_key), signature, from_millis(0)};
  const OneTimePreKey opk{7, std::move(*opk_key)};
  const PreKeyBundle bundle = PreKeyBundle::make(*identity, spk, &opk);
  const auto key = key_of(run(0x40));

  DeterministicRng nonce_rng(0x36);
  Bytes nonce(24);
  nonce_rng.fill(nonce);
  EXPECT_EQ(to_hex(nonce), "85a7592b44f359f4039541a15d7f0e1a56ba151519470981");

  std::array<std::uint8_t, 32> k{};
  const std::array<std::uint8_t, 32> salt{};
  ASSERT_TRUE(hkdf_sha256(k, salt, key.view(), as_bytes(std::string_view("Exile_ContactBundle_v1")))
                  .has_value());
  EXPECT_EQ(to_hex(k), "26dc04bf8346f36d2870786cb7cb859abb0cb90c2b9050e3bfa756a2d85eff9e");

  DeterministicRng rng(0x36);
  auto sealed = seal_contact_bundle(bundle, key, rng);
  ASSERT_TRUE(sealed.has_value());
  EXPECT_EQ(to_hex(*sealed),
            "0185a7592b44f359f4039541a15d7f0e1a56ba151519470981a808d9fc17d4ee25445dfe"
            "8c80f423681793cc54d833756a2094babc0d4cd5543cf9d1e041390c184440eea8e1605c"
            "acd37dbd87ba6f56a6181baa03647e52d980b54311433fc377f61f19d7c1b88543fc6f89"
            "0005ca38266e21c6274f2844af57abc98d55dd233c889da9a3ed7c5a91feecdd75cdd0bc"
            "c1cb0a18c04c081231753892e4de4e30605a2e6dc2c23b7192e8b79ee0aad102cc3e");

  auto opened = open_contact_bundle(*sealed, key);
  ASSERT_TRUE(opened.has_value());
  EXPECT_TRUE(opened->verify_signature().has_value());
  EXPECT_EQ(opened->identity, identity->public_key());
}

// ---- one-time keys ---------------------------------------------------------------------------

TEST_F(ContactBundleTest, OneTimeKeyRoundTripIsIdThenKey) {
  const OneTimePreKeyPublic key_public{0x01020304, opks[0].key.public_key()};
  const Bytes bytes = encode_one_time_key(key_public);
  ASSERT_EQ(bytes.size(), kOneTimeKeyBytes);
  EXPECT_EQ(Bytes(bytes.begin(), bytes.begin() + 4), (Bytes{0x01, 0x02, 0x03, 0x04}));
  EXPECT_EQ(Bytes(bytes.begin() + 4, bytes.end()),
            Bytes(key_public.key.view().begin(), key_public.key.view().end()));
  auto decoded = decode_one_time_key(bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error();
  EXPECT_EQ(decoded->id, key_public.id);
  EXPECT_EQ(decoded->key, key_public.key);
}

TEST_F(ContactBundleTest, OneTimeKeyOfAnyOtherLengthIsMalformed) {
  Bytes bytes = encode_one_time_key({5, opks[0].key.public_key()});
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto decoded = decode_one_time_key(ByteView(bytes).first(n));
    ASSERT_FALSE(decoded.has_value()) << "length " << n;
    EXPECT_EQ(decoded.error().code, ErrorCode::MalformedMessage);
  }
  bytes.push_back(0);
  auto decoded = decode_one_time_key(bytes);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, ErrorCode::MalformedMessage);
}

TEST_F(ContactBundleTest, OneTimeKeyNotCanonicalIsInvalidKey) {
  Bytes high_bit = encode_one_time_key({5, opks[0].key.public_key()});
  high_bit[4 + 31] |= 0x80;
  // u = p = 2^255 − 19: canonical encodings stop at p − 1.
  Bytes p = hex("00000005edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  for (const Bytes& bytes : {high_bit, p}) {
    auto decoded = decode_one_time_key(bytes);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().code, ErrorCode::InvalidKey);
  }
}

}  // namespace
}  // namespace exile::crypto
