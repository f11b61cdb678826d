// X3DH (docs/protocol.md §"X3DH"): both sides agree, the derivation matches the documented
// formula when recomputed here from scratch, and every rejection happens before use.
#include "crypto/x3dh.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <map>
#include <string_view>

#include "common/encoding.h"
#include "crypto/hkdf.h"
#include "crypto/store.h"

namespace exile::crypto {
namespace {

constexpr std::size_t kPrefixBytes = 40;  // type, version, EK_A, spk_id, sealed_len
constexpr std::size_t kSealedBytes = 55;  // 39 bytes sealed + 16-byte tag
constexpr std::size_t kHeaderBytes = 95;  // the whole initial header
constexpr std::size_t kOffEphemeral = 2;
constexpr std::size_t kOffSpkId = 34;
constexpr std::size_t kOffSealedLen = 38;
constexpr std::uint8_t kZero32[32] = {};
constexpr std::uint8_t kZeroNonce[24] = {};

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes ? *bytes : Bytes{};
}

// The low-order X25519 u-coordinates listed in golang.org/x/crypto/curve25519/vectors_test.go
// (lowOrderPoints, "from libsodium"; installed at /usr/share/gocode/src/golang.org/x/crypto/
// curve25519/). The first five are canonical and must fail at the DH (WeakKey); the last two
// are p and p + 1, non-canonical, and must fail at parsing (InvalidKey).
std::vector<Bytes> canonical_low_order() {
  return {
      hex("0000000000000000000000000000000000000000000000000000000000000000"),
      hex("0100000000000000000000000000000000000000000000000000000000000000"),
      hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
      hex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
      hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
  };
}
std::vector<Bytes> non_canonical_low_order() {
  return {
      hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
      hex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
  };
}

X25519PublicKey x25519_key(const Bytes& bytes) {
  auto key = X25519PublicKey::from_bytes(bytes);
  EXPECT_TRUE(key.has_value());
  return *key;
}

// A prekey store that only does what x3dh_respond needs, independent of memory_store.cpp.
class TestPreKeyStore final : public PreKeyStore {
 public:
  bool fail_loads = false;
  Result<std::optional<SignedPreKey>> load_signed_prekey(PreKeyId id) const override {
    if (fail_loads) return fail(ErrorCode::Internal, "test store: load failed");
    auto it = signed_.find(id);
    if (it == signed_.end()) return std::optional<SignedPreKey>();
    return std::optional<SignedPreKey>(it->second.clone());
  }
  Result<void> store_signed_prekey(const SignedPreKey& key) override {
    signed_.insert_or_assign(key.id, key.clone());
    return {};
  }
  Result<void> remove_signed_prekey(PreKeyId id) override {
    signed_.erase(id);
    return {};
  }
  Result<std::vector<PreKeyId>> signed_prekey_ids() const override {
    std::vector<PreKeyId> ids;
    for (const auto& entry : signed_) ids.push_back(entry.first);
    return ids;
  }
  Result<std::optional<OneTimePreKey>> load_one_time_prekey(PreKeyId id) const override {
    if (fail_loads) return fail(ErrorCode::Internal, "test store: load failed");
    auto it = one_time_.find(id);
    if (it == one_time_.end()) return std::optional<OneTimePreKey>();
    return std::optional<OneTimePreKey>(it->second.clone());
  }
  Result<void> store_one_time_prekey(const OneTimePreKey& key) override {
    one_time_.insert_or_assign(key.id, key.clone());
    return {};
  }
  Result<void> remove_one_time_prekey(PreKeyId id) override {
    one_time_.erase(id);
    return {};
  }
  Result<std::size_t> count_one_time_prekeys() const override { return one_time_.size(); }

 private:
  std::map<PreKeyId, SignedPreKey> signed_;
  std::map<PreKeyId, OneTimePreKey> one_time_;
};

// The seal key as docs/protocol.md defines it, computed from Bob's side.
std::array<std::uint8_t, 32> seal_key(const X25519KeyPair& spk, ByteView ephemeral) {
  std::array<std::uint8_t, 32> dh3{};
  EXPECT_EQ(crypto_scalarmult(dh3.data(), spk.secret().data(), ephemeral.data()), 0);
  std::array<std::uint8_t, 32> key{};
  EXPECT_TRUE(hkdf_sha256(key, kZero32, dh3, as_bytes("Exile_X3DH_Seal_v1")).has_value());
  return key;
}

std::array<std::uint8_t, 39> unseal(const Bytes& header, const X25519KeyPair& spk) {
  const auto key = seal_key(spk, ByteView(header).subspan(kOffEphemeral, 32));
  std::array<std::uint8_t, 39> plain{};
  unsigned long long len = 0;
  EXPECT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(
                plain.data(), &len, nullptr, header.data() + kPrefixBytes, kSealedBytes,
                header.data(), kPrefixBytes, kZeroNonce, key.data()),
            0);
  return plain;
}

void reseal(Bytes& header, const X25519KeyPair& spk, const std::array<std::uint8_t, 39>& plain) {
  const auto key = seal_key(spk, ByteView(header).subspan(kOffEphemeral, 32));
  crypto_aead_xchacha20poly1305_ietf_encrypt(header.data() + kPrefixBytes, nullptr, plain.data(),
                                             plain.size(), header.data(), kPrefixBytes, nullptr,
                                             kZeroNonce, key.data());
}

class X3dhTest : public ::testing::Test {
 protected:
  DeterministicRng rng{0x5eed'0002};
  IdentityKeyPair alice = IdentityKeyPair::generate(rng);
  IdentityKeyPair bob = IdentityKeyPair::generate(rng);
  SignedPreKey spk = generate_signed_prekey(bob, 7, from_millis(0), rng);
  SignedPreKey other_spk = generate_signed_prekey(bob, 8, from_millis(0), rng);
  std::vector<OneTimePreKey> opks = generate_one_time_prekeys(100, 3, rng);
  TestPreKeyStore store;
  const Bytes ratchet_part = {0x01, 0xaa, 0xbb};

  void SetUp() override {
    ASSERT_TRUE(store.store_signed_prekey(spk).has_value());
    ASSERT_TRUE(store.store_signed_prekey(other_spk).has_value());
    for (const auto& opk : opks) ASSERT_TRUE(store.store_one_time_prekey(opk).has_value());
  }

  [[nodiscard]] PreKeyBundle bundle(bool with_opk) const {
    return PreKeyBundle::make(bob, spk, with_opk ? &opks[1] : nullptr);
  }
  [[nodiscard]] IdentityFingerprint bob_fingerprint() const {
    return IdentityFingerprint::of(bob.public_key());
  }
  X3dhInitiation initiate(bool with_opk) {
    auto init = x3dh_initiate(alice, bundle(with_opk), bob_fingerprint(), rng);
    EXPECT_TRUE(init.has_value()) << init.error();
    return std::move(*init);
  }
  [[nodiscard]] Bytes envelope(const Bytes& header) const {
    Bytes out = header;
    append(out, ratchet_part);
    return out;
  }
  Result<X3dhResponse> respond(const Bytes& header) {
    const Bytes env = envelope(header);
    auto message = parse_initial_message(env);
    if (!message) return fail(message.error());
    return x3dh_respond(bob, store, *message);
  }
  ErrorCode respond_error(const Bytes& header) {
    auto response = respond(header);
    EXPECT_FALSE(response.has_value());
    return response ? ErrorCode::Internal : response.error().code;
  }
  ErrorCode initiate_error(const PreKeyBundle& b, const IdentityFingerprint& expected) {
    auto init = x3dh_initiate(alice, b, expected, rng);
    EXPECT_FALSE(init.has_value());
    return init ? ErrorCode::Internal : init.error().code;
  }
};

Bytes expected_ad(const IdentityPublicKey& initiator, const IdentityPublicKey& responder) {
  Bytes ad = {0x01, 0x00, 0x20};
  append(ad, initiator.view());
  append(ad, std::initializer_list<std::uint8_t>{0x00, 0x20});
  append(ad, responder.view());
  return ad;
}

TEST_F(X3dhTest, BothSidesAgreeWithAndWithoutOneTimePreKey) {
  for (bool with_opk : {true, false}) {
    X3dhInitiation init = initiate(with_opk);
    auto response = respond(init.initial_header);
    ASSERT_TRUE(response.has_value()) << response.error();
    EXPECT_TRUE(init.seed.root_key.equals(response->seed.root_key));
    EXPECT_TRUE(init.seed.initiator_header_key.equals(response->seed.initiator_header_key));
    EXPECT_TRUE(
        init.seed.responder_next_header_key.equals(response->seed.responder_next_header_key));
    EXPECT_FALSE(init.seed.root_key.equals(init.seed.initiator_header_key));
    EXPECT_FALSE(init.seed.initiator_header_key.equals(init.seed.responder_next_header_key));
    EXPECT_EQ(init.seed.associated_data, response->seed.associated_data);
    EXPECT_EQ(init.seed.associated_data, expected_ad(alice.public_key(), bob.public_key()));

    EXPECT_EQ(init.seed.local_identity, alice.public_key());
    EXPECT_EQ(init.seed.remote_identity, bob.public_key());
    EXPECT_EQ(response->seed.local_identity, bob.public_key());
    EXPECT_EQ(response->seed.remote_identity, alice.public_key());

    EXPECT_EQ(init.remote_ratchet_key, spk.key.public_key());
    EXPECT_EQ(response->ratchet_key.public_key(), spk.key.public_key());
    EXPECT_TRUE(response->ratchet_key.secret().equals(spk.key.secret()));
    EXPECT_EQ(response->initial_header, init.initial_header);
    EXPECT_EQ(init.signed_prekey_id, 7u);
    EXPECT_EQ(response->signed_prekey_id, 7u);
    EXPECT_EQ(init.one_time_prekey_id, with_opk ? std::optional<PreKeyId>(101) : std::nullopt);
    EXPECT_EQ(response->one_time_prekey_id, init.one_time_prekey_id);
    EXPECT_TRUE(std::equal(response->initiator_ephemeral.view().begin(),
                           response->initiator_ephemeral.view().end(),
                           init.initial_header.begin() + kOffEphemeral));
  }
}

// The derivation recomputed from the documented formula with libsodium primitives, from a
// copy of the RNG that predicts EK_A. Pins the format, not just agreement.
TEST_F(X3dhTest, DerivationMatchesTheDocumentedFormula) {
  for (bool with_opk : {true, false}) {
    DeterministicRng predict = rng;
    const X25519KeyPair ek = X25519KeyPair::generate(predict);
    X3dhInitiation init = initiate(with_opk);

    auto dh = [](const X25519KeyPair& a, ByteView b, Bytes& ikm) {
      std::array<std::uint8_t, 32> out{};
      ASSERT_EQ(crypto_scalarmult(out.data(), a.secret().data(), b.data()), 0);
      append(ikm, out);
    };
    Bytes ikm(32, 0xff);
    std::array<std::uint8_t, 32> dh1{};
    ASSERT_EQ(crypto_scalarmult(dh1.data(), alice.x25519_secret().data(),
                                spk.key.public_key().bytes().data()),
              0);
    append(ikm, dh1);
    std::array<std::uint8_t, 32> bob_x{};
    ASSERT_EQ(crypto_sign_ed25519_pk_to_curve25519(bob_x.data(), bob.public_key().bytes().data()),
              0);
    dh(ek, bob_x, ikm);
    dh(ek, spk.key.public_key().view(), ikm);
    if (with_opk) dh(ek, opks[1].key.public_key().view(), ikm);
    ASSERT_EQ(ikm.size(), with_opk ? 160u : 128u);

    std::array<std::uint8_t, 96> okm{};
    ASSERT_TRUE(hkdf_sha256(okm, kZero32, ikm, as_bytes("Exile_X3DH_v1")).has_value());
    EXPECT_TRUE(std::equal(okm.begin(), okm.begin() + 32, init.seed.root_key.data()));
    EXPECT_TRUE(
        std::equal(okm.begin() + 32, okm.begin() + 64, init.seed.initiator_header_key.data()));
    EXPECT_TRUE(
        std::equal(okm.begin() + 64, okm.end(), init.seed.responder_next_header_key.data()));

    const Bytes& header = init.initial_header;
    ASSERT_EQ(header.size(), kHeaderBytes);
    EXPECT_EQ(header[0], 0x02);
    EXPECT_EQ(header[1], 0x01);
    EXPECT_TRUE(std::equal(ek.public_key().view().begin(), ek.public_key().view().end(),
                           header.begin() + kOffEphemeral));
    EXPECT_EQ(load_u32(header.data() + kOffSpkId), 7u);
    EXPECT_EQ(load_u16(header.data() + kOffSealedLen), kSealedBytes);

    std::array<std::uint8_t, 39> plain{};
    std::copy_n(alice.public_key().bytes().begin(), 32, plain.begin());
    plain[32] = with_opk ? 1 : 0;
    store_u32(plain.data() + 33, with_opk ? 101 : 0);
    EXPECT_EQ(unseal(header, spk.key), plain);
  }
}

TEST_F(X3dhTest, EachRunUsesAFreshEphemeralKey) {
  X3dhInitiation a = initiate(false);
  X3dhInitiation b = initiate(false);
  EXPECT_NE(a.initial_header, b.initial_header);
  EXPECT_FALSE(a.seed.root_key.equals(b.seed.root_key));
}

TEST_F(X3dhTest, FingerprintIsDomainSeparatedSha256) {
  Bytes input(as_bytes("Exile_IdentityFingerprint_v1").begin(),
              as_bytes("Exile_IdentityFingerprint_v1").end());
  append(input, bob.public_key().view());
  std::array<std::uint8_t, 32> expected{};
  crypto_hash_sha256(expected.data(), input.data(), input.size());
  const IdentityFingerprint fingerprint = bob_fingerprint();
  EXPECT_EQ(fingerprint.bytes, expected);
  EXPECT_TRUE(fingerprint.matches(bob.public_key()));
  EXPECT_FALSE(fingerprint.matches(alice.public_key()));

  auto parsed = IdentityFingerprint::from_bytes(expected);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->bytes, expected);
  EXPECT_EQ(IdentityFingerprint::from_bytes(ByteView(expected).first(31)).error().code,
            ErrorCode::MalformedMessage);
  Bytes longer(expected.begin(), expected.end());
  longer.push_back(0);
  EXPECT_EQ(IdentityFingerprint::from_bytes(longer).error().code, ErrorCode::MalformedMessage);
}

TEST_F(X3dhTest, IdentityNotMatchingTheInvitationIsRejectedFirst) {
  PreKeyBundle b = bundle(true);
  EXPECT_EQ(initiate_error(b, IdentityFingerprint::of(alice.public_key())),
            ErrorCode::IdentityMismatch);
  // Checked before the signature: a wrong identity with a broken signature reports the former.
  auto sig = b.signed_prekey_signature.bytes();
  sig[0] ^= 1;
  b.signed_prekey_signature = Ed25519Signature(sig);
  IdentityFingerprint off_by_one = bob_fingerprint();
  off_by_one.bytes[31] ^= 1;
  EXPECT_EQ(initiate_error(b, off_by_one), ErrorCode::IdentityMismatch);
  EXPECT_EQ(initiate_error(b, bob_fingerprint()), ErrorCode::BadSignature);
}

// Reject before use: a refused bundle consumes no randomness, so no EK_A was made.
TEST_F(X3dhTest, BadSignatureIsRejectedBeforeAnyKeyIsMade) {
  PreKeyBundle b = bundle(true);
  for (std::size_t byte = 0; byte < 64; byte += 7) {
    auto sig = bundle(true).signed_prekey_signature.bytes();
    sig[byte] ^= 0x10;
    b.signed_prekey_signature = Ed25519Signature(sig);
    DeterministicRng before = rng;
    EXPECT_EQ(initiate_error(b, bob_fingerprint()), ErrorCode::BadSignature);
    std::array<std::uint8_t, 8> expected{};
    std::array<std::uint8_t, 8> actual{};
    before.fill(expected);
    rng.fill(actual);
    EXPECT_EQ(actual, expected);
  }
  // The signed prekey swapped for another of Bob's keys, signature kept.
  b = bundle(true);
  b.signed_prekey = other_spk.key.public_key();
  EXPECT_EQ(initiate_error(b, bob_fingerprint()), ErrorCode::BadSignature);
  b = bundle(true);
  b.signed_prekey_id = 8;
  EXPECT_EQ(initiate_error(b, bob_fingerprint()), ErrorCode::BadSignature);
  b = bundle(true);
  b.kind = BundleKind::Reset;
  b.one_time_prekey.reset();
  EXPECT_EQ(initiate_error(b, bob_fingerprint()), ErrorCode::BadSignature);
}

TEST_F(X3dhTest, MalleatedSignatureIsRejected) {
  // S + L, little-endian, with L = 2^252 + 27742317777372353535851937790883648493.
  constexpr std::array<std::uint8_t, 32> kL = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                               0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                               0,    0,    0,    0,    0,    0,    0,    0,
                                               0,    0,    0,    0,    0,    0,    0,    0x10};
  PreKeyBundle b = bundle(true);
  auto sig = b.signed_prekey_signature.bytes();
  unsigned carry = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const unsigned sum = unsigned{sig[32 + i]} + unsigned{kL[i]} + carry;
    sig[32 + i] = static_cast<std::uint8_t>(sum);
    carry = sum >> 8;
  }
  b.signed_prekey_signature = Ed25519Signature(sig);
  EXPECT_EQ(initiate_error(b, bob_fingerprint()), ErrorCode::BadSignature);
}

TEST_F(X3dhTest, OwnIdentityBundleIsRejected) {
  SignedPreKey own_spk = generate_signed_prekey(alice, 1, from_millis(0), rng);
  const PreKeyBundle b = PreKeyBundle::make(alice, own_spk, nullptr);
  EXPECT_EQ(initiate_error(b, IdentityFingerprint::of(alice.public_key())), ErrorCode::InvalidKey);
}

TEST_F(X3dhTest, ResetBundleWithOneTimePreKeyIsRejected) {
  SignedPreKey reset = generate_signed_prekey(bob, 9, from_millis(0), rng, BundleKind::Reset);
  PreKeyBundle b = PreKeyBundle::make(bob, reset, nullptr, BundleKind::Reset);
  EXPECT_TRUE(x3dh_initiate(alice, b, bob_fingerprint(), rng).has_value());
  b.one_time_prekey = OneTimePreKeyPublic{100, opks[0].key.public_key()};
  EXPECT_EQ(initiate_error(b, bob_fingerprint()), ErrorCode::MalformedMessage);
}

TEST_F(X3dhTest, LowOrderSignedPreKeyIsWeak) {
  for (const Bytes& point : canonical_low_order()) {
    const X25519PublicKey key = x25519_key(point);
    PreKeyBundle b = bundle(false);
    b.signed_prekey = key;  // signed by Bob: the signature alone does not make it safe
    b.signed_prekey_signature = bob.sign(signed_prekey_message(BundleKind::Contact, 7, key));
    ASSERT_TRUE(b.verify_signature().has_value());
    EXPECT_EQ(initiate_error(b, bob_fingerprint()), ErrorCode::WeakKey) << to_hex(point);
  }
  for (const Bytes& point : non_canonical_low_order()) {
    EXPECT_EQ(X25519PublicKey::from_bytes(point).error().code, ErrorCode::InvalidKey);
    Bytes bytes = bundle(false).serialize();
    std::copy(point.begin(), point.end(), bytes.begin() + 38);
    EXPECT_EQ(PreKeyBundle::parse(bytes).error().code, ErrorCode::InvalidKey);
  }
}

TEST_F(X3dhTest, LowOrderOneTimePreKeyIsWeak) {
  for (const Bytes& point : canonical_low_order()) {
    PreKeyBundle b = bundle(true);
    b.one_time_prekey->key = x25519_key(point);
    EXPECT_EQ(initiate_error(b, bob_fingerprint()), ErrorCode::WeakKey) << to_hex(point);
  }
}

TEST_F(X3dhTest, LowOrderOrNonCanonicalEphemeralIsRejected) {
  const Bytes header = initiate(true).initial_header;
  for (const Bytes& point : canonical_low_order()) {
    Bytes h = header;
    std::copy(point.begin(), point.end(), h.begin() + kOffEphemeral);
    EXPECT_EQ(respond_error(h), ErrorCode::WeakKey) << to_hex(point);
  }
  for (const Bytes& point : non_canonical_low_order()) {
    Bytes h = header;
    std::copy(point.begin(), point.end(), h.begin() + kOffEphemeral);
    EXPECT_EQ(respond_error(h), ErrorCode::InvalidKey);
  }
  Bytes high_bit = header;
  high_bit[kOffEphemeral + 31] |= 0x80;
  EXPECT_EQ(respond_error(high_bit), ErrorCode::InvalidKey);
}

TEST_F(X3dhTest, TamperedSealedPartFailsToOpen) {
  const Bytes header = initiate(true).initial_header;
  for (std::size_t byte = kPrefixBytes; byte < kHeaderBytes; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes h = header;
      h[byte] = static_cast<std::uint8_t>(h[byte] ^ (1u << bit));
      EXPECT_EQ(respond_error(h), ErrorCode::DecryptionFailed) << byte << ":" << bit;
    }
  }
}

TEST_F(X3dhTest, EveryHeaderBitIsAuthenticated) {
  const Bytes header = initiate(true).initial_header;
  for (std::size_t byte = 0; byte < kPrefixBytes; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes h = header;
      h[byte] = static_cast<std::uint8_t>(h[byte] ^ (1u << bit));
      EXPECT_FALSE(respond(h).has_value()) << byte << ":" << bit;
    }
  }
}

TEST_F(X3dhTest, UnknownOrWrongSignedPreKeyIdIsRejected) {
  Bytes header = initiate(true).initial_header;
  store_u32(header.data() + kOffSpkId, 12345);
  EXPECT_EQ(respond_error(header), ErrorCode::UnknownPreKey);
  // Another of Bob's signed prekeys: a different DH3, so the seal does not open.
  store_u32(header.data() + kOffSpkId, 8);
  EXPECT_EQ(respond_error(header), ErrorCode::DecryptionFailed);
}

TEST_F(X3dhTest, RemovedOneTimePreKeyIsUnknownAndNothingIsRemoved) {
  const Bytes header = initiate(true).initial_header;
  ASSERT_TRUE(respond(header).has_value());
  ASSERT_TRUE(respond(header).has_value());  // x3dh_respond itself never removes a prekey
  EXPECT_EQ(*store.count_one_time_prekeys(), 3u);
  EXPECT_EQ(store.signed_prekey_ids()->size(), 2u);
  ASSERT_TRUE(store.remove_one_time_prekey(101).has_value());
  EXPECT_EQ(respond_error(header), ErrorCode::UnknownPreKey);
}

TEST_F(X3dhTest, StoreErrorsPropagate) {
  const Bytes header = initiate(true).initial_header;
  store.fail_loads = true;
  EXPECT_EQ(respond_error(header), ErrorCode::Internal);
}

TEST_F(X3dhTest, SealedContentsAreValidated) {
  const Bytes header = initiate(true).initial_header;
  const auto plain = unseal(header, spk.key);
  auto with = [&](auto edit) {
    Bytes h = header;
    auto p = plain;
    edit(p);
    reseal(h, spk.key, p);
    return h;
  };
  // The test's own seal reproduces the original: the edits below test only what they change.
  EXPECT_EQ(with([](auto&) {}), header);
  EXPECT_EQ(respond_error(with([&](auto& p) {
              const Bytes small =
                  hex("0100000000000000000000000000000000000000000000000000000000000000");
              std::copy(small.begin(), small.end(), p.begin());
            })),
            ErrorCode::InvalidKey);
  EXPECT_EQ(respond_error(with(
                [&](auto& p) { std::copy_n(bob.public_key().bytes().begin(), 32, p.begin()); })),
            ErrorCode::InvalidKey);
  EXPECT_EQ(respond_error(with([](auto& p) { p[32] = 2; })), ErrorCode::MalformedMessage);
  EXPECT_EQ(respond_error(with([](auto& p) { p[32] = 0; })), ErrorCode::MalformedMessage);
  // opk id 0x165: never stored.
  EXPECT_EQ(respond_error(with([](auto& p) { p[35] = 1; })), ErrorCode::UnknownPreKey);
  EXPECT_EQ(respond_error(with([](auto& p) { p[38] = 1; })), ErrorCode::UnsupportedVersion);
  // Another valid identity in the seal: X3DH runs, but DH1 differs, so the keys do.
  auto other = respond(with([&](auto& p) {
    std::copy_n(IdentityKeyPair::generate(rng).public_key().bytes().begin(), 32, p.begin());
  }));
  ASSERT_TRUE(other.has_value());
  auto genuine = respond(header);
  ASSERT_TRUE(genuine.has_value());
  EXPECT_FALSE(other->seed.root_key.equals(genuine->seed.root_key));
}

TEST_F(X3dhTest, HeaderFieldsAreChecked) {
  const Bytes header = initiate(false).initial_header;
  Bytes h = header;
  h[0] = 0x01;  // a Ratchet envelope is not an initial message
  EXPECT_EQ(respond_error(h), ErrorCode::MalformedMessage);
  for (std::uint8_t version : std::initializer_list<std::uint8_t>{0, 2, 0xff}) {
    h = header;
    h[1] = version;
    EXPECT_EQ(respond_error(h), ErrorCode::UnsupportedVersion);
  }
  for (std::uint16_t len : std::initializer_list<std::uint16_t>{0, 54, 56, 0xffff}) {
    h = header;
    h[kOffSealedLen] = static_cast<std::uint8_t>(len >> 8);
    h[kOffSealedLen + 1] = static_cast<std::uint8_t>(len);
    EXPECT_EQ(respond_error(h), ErrorCode::MalformedMessage) << len;
  }
}

TEST_F(X3dhTest, ParseSplitsTheEnvelope) {
  const Bytes header = initiate(true).initial_header;
  const Bytes env = envelope(header);
  auto message = parse_initial_message(env);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->header_bytes.data(), env.data());
  EXPECT_EQ(message->header_bytes.size(), kHeaderBytes);
  EXPECT_EQ(message->sealed.data(), env.data() + kPrefixBytes);
  EXPECT_EQ(message->sealed.size(), kSealedBytes);
  EXPECT_EQ(message->signed_prekey_id, 7u);
  EXPECT_EQ(Bytes(message->ratchet_envelope.begin(), message->ratchet_envelope.end()),
            ratchet_part);
}

TEST_F(X3dhTest, EveryTruncationIsMalformed) {
  const Bytes env = envelope(initiate(true).initial_header);
  for (std::size_t n = 0; n <= kHeaderBytes; ++n) {  // n == 95: header without a ratchet part
    auto message = parse_initial_message(ByteView(env).first(n));
    ASSERT_FALSE(message.has_value()) << n;
    EXPECT_EQ(message.error().code, ErrorCode::MalformedMessage) << n;
  }
  EXPECT_TRUE(parse_initial_message(ByteView(env).first(kHeaderBytes + 1)).has_value());
}

TEST_F(X3dhTest, InconsistentInitialMessageIsRejected) {
  const Bytes header = initiate(true).initial_header;
  const Bytes env = envelope(header);
  auto message = parse_initial_message(env);
  ASSERT_TRUE(message.has_value());
  InitialMessage forged = *message;
  forged.signed_prekey_id = 8;
  EXPECT_EQ(x3dh_respond(bob, store, forged).error().code, ErrorCode::MalformedMessage);
  forged = *message;
  forged.ephemeral = other_spk.key.public_key();
  EXPECT_EQ(x3dh_respond(bob, store, forged).error().code, ErrorCode::MalformedMessage);
  forged = *message;
  forged.header_bytes = ByteView(env).first(kHeaderBytes + 1);
  EXPECT_EQ(x3dh_respond(bob, store, forged).error().code, ErrorCode::MalformedMessage);
}

TEST_F(X3dhTest, ErrorMessagesHoldNoKeyBytes) {
  Bytes header = initiate(true).initial_header;
  header[kHeaderBytes - 1] ^= 1;
  auto failed = respond(header);
  ASSERT_FALSE(failed.has_value());
  for (ByteView key : {alice.public_key().view(), bob.public_key().view(),
                       spk.key.public_key().view(), ByteView(header).subspan(kOffEphemeral, 32)}) {
    EXPECT_EQ(failed.error().message.find(to_hex(key.first(4))), std::string::npos);
  }
}

// A fixed vector for second implementations (docs/protocol.md §"X3DH", test vector). Secrets
// are the byte sequences start, start + 1, ..., start + 31; the signature is deterministic.
class FixedRng final : public Rng {
 public:
  explicit FixedRng(Bytes bytes) : bytes_(std::move(bytes)) {}
  void fill(MutableByteView out) override {
    ASSERT_LE(out.size(), bytes_.size());
    std::copy_n(bytes_.begin(), out.size(), out.begin());
  }

 private:
  Bytes bytes_;
};

Bytes counting(std::uint8_t start) {
  Bytes bytes(32);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(start + i);
  return bytes;
}

TEST(X3dhVector, KnownAnswer) {
  const IdentityKeyPair alice = *IdentityKeyPair::from_seed(counting(0x00));
  const IdentityKeyPair bob = *IdentityKeyPair::from_seed(counting(0x20));
  X25519KeyPair spk_key = *X25519KeyPair::from_secret(counting(0x40));
  const Ed25519Signature signature =
      bob.sign(signed_prekey_message(BundleKind::Contact, 0x01020304, spk_key.public_key()));
  const SignedPreKey spk{0x01020304, std::move(spk_key), signature, from_millis(0)};
  const OneTimePreKey opk{0x0a0b0c0d, *X25519KeyPair::from_secret(counting(0x60))};
  const PreKeyBundle bundle = PreKeyBundle::make(bob, spk, &opk);
  FixedRng ephemeral(counting(0x80));
  auto init = x3dh_initiate(alice, bundle, IdentityFingerprint::of(bob.public_key()), ephemeral);
  ASSERT_TRUE(init.has_value()) << init.error();

  EXPECT_EQ(to_hex(alice.public_key().view()),
            "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  EXPECT_EQ(to_hex(bob.public_key().view()),
            "29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7");
  EXPECT_EQ(to_hex(IdentityFingerprint::of(bob.public_key()).bytes),
            "d0dffcb581d95cba542191b7692b53a6c902a764b1b1f8aadf690b19f6ff272e");
  EXPECT_EQ(to_hex(bundle.serialize()),
            "010129acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd701020304"
            "79a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51a"
            "690e1a3a735cd143dfbe84d936dbf93b1e41a68e624f0d56b610aa6a5ead3367"
            "841977395fc8e45291602c395f16063e6dd749252c7361a81cb3425f44159f05"
            "010a0b0c0d675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f0000");
  EXPECT_EQ(to_hex(init->seed.root_key.view()),
            "1de4e890ad25d5b3241e2a6ca1c1dafb7bb0c73c89100c4e7fee3c2b124d1564");
  EXPECT_EQ(to_hex(init->seed.initiator_header_key.view()),
            "980cbb9eb89d872cc7fa439473ee16a2ff6a1140bf0fe1197ddb92a2ac6fe92a");
  EXPECT_EQ(to_hex(init->seed.responder_next_header_key.view()),
            "fcf30c77edab3cab5f63ad7c334a2419e1549d014f51cd6ddf066d95fe6392cb");
  EXPECT_EQ(to_hex(init->seed.associated_data),
            "01002003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
            "002029acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7");
  EXPECT_EQ(to_hex(init->initial_header),
            "0201493e82fc74464a59268817623d2053c5eb8e2cc4a988b4fee179ec6b010d531d010203040037"
            "333f78c8f67fc2fbca82cabdd9246ffcd4fcd5d726f7cd64181301b9143e6a8f262b3400faa8aac5"
            "476661365dc4aecc9c30f5d6e3cb69");

  TestPreKeyStore store;
  ASSERT_TRUE(store.store_signed_prekey(spk).has_value());
  ASSERT_TRUE(store.store_one_time_prekey(opk).has_value());
  Bytes envelope = init->initial_header;
  envelope.push_back(0x01);
  auto message = parse_initial_message(envelope);
  ASSERT_TRUE(message.has_value());
  auto response = x3dh_respond(bob, store, *message);
  ASSERT_TRUE(response.has_value()) << response.error();
  EXPECT_EQ(to_hex(response->seed.root_key.view()), to_hex(init->seed.root_key.view()));
}

}  // namespace
}  // namespace exile::crypto
