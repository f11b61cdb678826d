// Key types and checked operations (crypto/keys.h) against public vectors:
//   tests/vectors/rfc7748-x25519.txt      RFC 7748 §5.2 X25519 (python3-cryptography-vectors)
//   tests/vectors/x25519-low-order.txt    X25519 low-order points (Go x/crypto curve25519)
//   tests/vectors/ed25519-sign.input      128 Ed25519 vectors, RFC 8032 §7.1 first
//                                         (python3-cryptography-vectors sign.input)
//   tests/vectors/xchacha20poly1305.txt   draft-irtf-cfrg-xchacha A.3.1 and Go x/crypto vectors
// plus Exile's own rejections: non-canonical keys, small-order identity keys and the S+L
// malleated signature (PROTOCOL.md §8: libolm accepts it, Exile must not).
#include "crypto/keys.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/encoding.h"

namespace exile::crypto {
namespace {

std::string vector_path(const std::string& name) {
  return std::string(EXILE_VECTORS_DIR) + "/" + name;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// Lines of a vector file without comments and blank lines.
std::vector<std::string> data_lines(const std::string& name) {
  std::ifstream in(vector_path(name));
  EXPECT_TRUE(in.is_open()) << vector_path(name);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return lines;
}

// "name = value" records; a record ends where one of its names appears again.
using Record = std::map<std::string, std::string>;
std::vector<Record> read_records(const std::string& name) {
  std::vector<Record> records;
  Record current;
  for (const auto& line : data_lines(name)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = trim(line.substr(0, eq));
    if (current.contains(key)) {
      records.push_back(std::move(current));
      current.clear();
    }
    current[key] = trim(line.substr(eq + 1));
  }
  if (!current.empty()) records.push_back(std::move(current));
  return records;
}

Bytes hex(const std::string& text) {
  auto decoded = from_hex(text);
  EXPECT_TRUE(decoded.has_value()) << text;
  return decoded.value_or(Bytes{});
}

X25519PublicKey x25519_key(const Bytes& bytes) {
  auto key = X25519PublicKey::from_bytes(bytes);
  EXPECT_TRUE(key.has_value()) << to_hex(bytes);
  return key.value();
}

// ---- X25519 ---------------------------------------------------------------------------------

TEST(X25519, Rfc7748Vectors) {
  const auto vectors = read_records("rfc7748-x25519.txt");
  ASSERT_EQ(vectors.size(), 3u);
  for (auto v : vectors) {
    const auto pair = X25519KeyPair::from_secret(hex(v["INPUT_SCALAR"]));
    ASSERT_TRUE(pair.has_value());
    Bytes u = hex(v["INPUT_U"]);
    if ((u[31] & 0x80) != 0) {
      // RFC 7748 §5 has receivers mask the top bit; Exile refuses such encodings outright
      // (PROTOCOL.md §1, non-canonical keys). The masked value gives the RFC's answer.
      const auto rejected = X25519PublicKey::from_bytes(u);
      ASSERT_FALSE(rejected.has_value());
      EXPECT_EQ(rejected.error().code, ErrorCode::InvalidKey);
      u[31] &= 0x7f;
    }
    std::array<std::uint8_t, kX25519Bytes> out{};
    ASSERT_TRUE(x25519(out, pair->secret().span(), x25519_key(u)).has_value());
    EXPECT_EQ(to_hex(out), v["OUTPUT_U"]) << "COUNT " << v["COUNT"];
  }
}

TEST(X25519, SharedSecretAgrees) {
  DeterministicRng rng(1);
  const auto alice = X25519KeyPair::generate(rng);
  const auto bob = X25519KeyPair::generate(rng);
  std::array<std::uint8_t, kX25519Bytes> ab{};
  std::array<std::uint8_t, kX25519Bytes> ba{};
  ASSERT_TRUE(x25519(ab, alice.secret().span(), bob.public_key()).has_value());
  ASSERT_TRUE(x25519(ba, bob.secret().span(), alice.public_key()).has_value());
  EXPECT_EQ(ab, ba);
  const auto again = X25519KeyPair::from_secret(alice.secret().view());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->public_key(), alice.public_key());
}

TEST(X25519, LowOrderPointsAreRejected) {
  const auto points = data_lines("x25519-low-order.txt");
  ASSERT_EQ(points.size(), 7u);
  DeterministicRng rng(2);
  const auto own = X25519KeyPair::generate(rng);
  int weak = 0;
  int non_canonical = 0;
  for (const auto& text : points) {
    Bytes point = hex(text);
    ASSERT_EQ(point.size(), kX25519Bytes);
    for (int high_bit = 0; high_bit < 2; ++high_bit) {
      if (high_bit != 0) point[31] |= 0x80;  // the same u with the top bit set
      const auto key = X25519PublicKey::from_bytes(point);
      if (!key) {
        // p, p + 1 and every high-bit form: refused as non-canonical before any DH.
        EXPECT_EQ(key.error().code, ErrorCode::InvalidKey) << to_hex(point);
        ++non_canonical;
        continue;
      }
      std::array<std::uint8_t, kX25519Bytes> out{};
      out.fill(0xaa);
      const auto dh = x25519(out, own.secret().span(), *key);
      ASSERT_FALSE(dh.has_value()) << to_hex(point);
      EXPECT_EQ(dh.error().code, ErrorCode::WeakKey);
      EXPECT_EQ(out, (std::array<std::uint8_t, kX25519Bytes>{})) << "output must be zeroed";
      ++weak;
    }
  }
  EXPECT_EQ(weak, 5);           // 0, 1, two points of order 8, p - 1
  EXPECT_EQ(non_canonical, 9);  // p, p + 1, and the seven high-bit forms
}

TEST(X25519, NonCanonicalKeysAreRejected) {
  const char* const kBad[] = {
      // u = p = 2^255 - 19, p + 1, 2^255 - 1: field elements encoded >= p
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      // top bit set on an otherwise fine key (RFC 7748 vector 1's u)
      "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1ccc",
      "0900000000000000000000000000000000000000000000000000000000000080",
  };
  for (const char* text : kBad) {
    const auto key = X25519PublicKey::from_bytes(hex(text));
    ASSERT_FALSE(key.has_value()) << text;
    EXPECT_EQ(key.error().code, ErrorCode::InvalidKey);
  }
  // p - 1 and p - 20 are canonical.
  EXPECT_TRUE(X25519PublicKey::from_bytes(
                  hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"))
                  .has_value());
  EXPECT_TRUE(X25519PublicKey::from_bytes(
                  hex("d9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"))
                  .has_value());
  for (const std::size_t n : {0u, 31u, 33u, 64u}) {
    const auto key = X25519PublicKey::from_bytes(Bytes(n, 9));
    ASSERT_FALSE(key.has_value()) << n;
    EXPECT_EQ(key.error().code, ErrorCode::InvalidKey);
  }
  EXPECT_FALSE(X25519KeyPair::from_secret(Bytes(31, 1)).has_value());
}

// ---- Ed25519 --------------------------------------------------------------------------------

struct Ed25519Vector {
  Bytes seed;
  Bytes public_key;
  Bytes message;
  Bytes signature;
};

std::vector<Ed25519Vector> ed25519_vectors() {
  std::vector<Ed25519Vector> out;
  for (const auto& line : data_lines("ed25519-sign.input")) {
    std::vector<std::string> fields;
    std::stringstream stream(line);
    std::string field;
    while (std::getline(stream, field, ':')) fields.push_back(field);
    EXPECT_GE(fields.size(), 4u) << line;
    if (fields.size() < 4) continue;
    const Bytes secret = hex(fields[0]);          // seed ‖ public key
    const Bytes signed_message = hex(fields[3]);  // signature ‖ message
    EXPECT_EQ(secret.size(), 64u);
    EXPECT_GE(signed_message.size(), kSignatureBytes);
    out.push_back({Bytes(secret.begin(), secret.begin() + 32), hex(fields[1]), hex(fields[2]),
                   Bytes(signed_message.begin(), signed_message.begin() + kSignatureBytes)});
  }
  return out;
}

TEST(Ed25519, Rfc8032FirstVector) {
  // RFC 8032 §7.1 TEST 1, spelled out: the first line of the file.
  const auto vectors = ed25519_vectors();
  ASSERT_FALSE(vectors.empty());
  EXPECT_EQ(to_hex(vectors[0].seed),
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  EXPECT_EQ(to_hex(vectors[0].public_key),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_TRUE(vectors[0].message.empty());
}

TEST(Ed25519, VectorsFromSeedSignAndVerify) {
  const auto vectors = ed25519_vectors();
  ASSERT_GE(vectors.size(), 64u);
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    const auto& v = vectors[i];
    const auto pair = IdentityKeyPair::from_seed(v.seed);
    ASSERT_TRUE(pair.has_value()) << i;
    EXPECT_EQ(Bytes(pair->public_key().view().begin(), pair->public_key().view().end()),
              v.public_key)
        << i;
    const Ed25519Signature signature = pair->sign(v.message);
    EXPECT_EQ(to_hex(signature.view()), to_hex(v.signature)) << i;

    const auto pub = IdentityPublicKey::from_bytes(v.public_key);
    ASSERT_TRUE(pub.has_value()) << i;
    EXPECT_EQ(*pub, pair->public_key());
    EXPECT_EQ(pub->x25519(), pair->public_key().x25519());
    const auto expected = Ed25519Signature::from_bytes(v.signature);
    ASSERT_TRUE(expected.has_value());
    EXPECT_TRUE(pub->verify(v.message, *expected).has_value()) << i;

    Bytes tampered_message = v.message;
    tampered_message.push_back(0x00);
    EXPECT_FALSE(pub->verify(tampered_message, *expected).has_value()) << i;
    Bytes tampered_signature = v.signature;
    tampered_signature[i % kSignatureBytes] ^= 0x01;
    const auto verdict =
        pub->verify(v.message, Ed25519Signature::from_bytes(tampered_signature).value());
    ASSERT_FALSE(verdict.has_value()) << i;
    EXPECT_EQ(verdict.error().code, ErrorCode::BadSignature);
  }
}

TEST(Ed25519, IdentityX25519FormMatchesLibsodium) {
  for (const auto& v : ed25519_vectors()) {
    const auto pair = IdentityKeyPair::from_seed(v.seed);
    ASSERT_TRUE(pair.has_value());
    std::array<std::uint8_t, kX25519Bytes> x_public{};
    ASSERT_EQ(crypto_sign_ed25519_pk_to_curve25519(x_public.data(), v.public_key.data()), 0);
    EXPECT_EQ(pair->public_key().x25519().bytes(), x_public);
    std::array<std::uint8_t, kX25519Bytes> derived{};
    ASSERT_EQ(crypto_scalarmult_base(derived.data(), pair->x25519_secret().data()), 0);
    EXPECT_EQ(derived, x_public);
    EXPECT_EQ(pair->seed().copy_to_insecure(), v.seed);
  }
}

// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
constexpr std::array<std::uint8_t, 32> kGroupOrder = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

TEST(Ed25519, GroupOrderConstantIsL) {
  // L reduces to 0 modulo L, L - 1 does not.
  std::array<std::uint8_t, 64> wide{};
  std::copy(kGroupOrder.begin(), kGroupOrder.end(), wide.begin());
  std::array<std::uint8_t, 32> reduced{};
  crypto_core_ed25519_scalar_reduce(reduced.data(), wide.data());
  EXPECT_EQ(reduced, (std::array<std::uint8_t, 32>{}));
  wide[0] = static_cast<std::uint8_t>(wide[0] - 1);
  crypto_core_ed25519_scalar_reduce(reduced.data(), wide.data());
  EXPECT_NE(reduced, (std::array<std::uint8_t, 32>{}));
}

TEST(Ed25519, MalleatedSignatureSPlusLIsRejected) {
  for (const auto& v : ed25519_vectors()) {
    Bytes malleated = v.signature;
    unsigned carry = 0;
    for (std::size_t i = 0; i < 32; ++i) {  // S is the little-endian upper half
      const unsigned sum = unsigned{malleated[32 + i]} + kGroupOrder[i] + carry;
      malleated[32 + i] = static_cast<std::uint8_t>(sum);
      carry = sum >> 8;
    }
    ASSERT_EQ(carry, 0u);  // S < L < 2^253, so S + L < 2^256
    const auto pub = IdentityPublicKey::from_bytes(v.public_key);
    ASSERT_TRUE(pub.has_value());
    const auto verdict = pub->verify(v.message, Ed25519Signature::from_bytes(malleated).value());
    ASSERT_FALSE(verdict.has_value()) << to_hex(v.public_key);
    EXPECT_EQ(verdict.error().code, ErrorCode::BadSignature);
  }
}

// The eight points of order dividing 8, canonically encoded (the set libsodium's
// ed25519_ref10.c blacklists as small order). The test below proves 8·P = identity for each.
constexpr const char* kSmallOrderPoints[] = {
    "0100000000000000000000000000000000000000000000000000000000000000",  // identity
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // order 2
    "0000000000000000000000000000000000000000000000000000000000000000",  // order 4
    "0000000000000000000000000000000000000000000000000000000000000080",  // order 4
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  // order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  // order 8
};

TEST(IdentityPublicKey, SmallOrderKeysAreRejected) {
  const Bytes identity = hex(kSmallOrderPoints[0]);
  for (const char* text : kSmallOrderPoints) {
    const Bytes point = hex(text);
    Bytes multiple = point;
    for (int doubling = 0; doubling < 3; ++doubling) {
      Bytes twice(32);
      ASSERT_EQ(crypto_core_ed25519_add(twice.data(), multiple.data(), multiple.data()), 0) << text;
      multiple = twice;
    }
    EXPECT_EQ(multiple, identity) << text << " is not of small order";

    const auto key = IdentityPublicKey::from_bytes(point);
    ASSERT_FALSE(key.has_value()) << text;
    EXPECT_EQ(key.error().code, ErrorCode::InvalidKey);
  }
}

TEST(IdentityPublicKey, MixedOrderKeysAreRejected) {
  // A valid key plus a torsion component is on the curve but outside the prime-order subgroup.
  const auto vectors = ed25519_vectors();
  for (std::size_t i = 0; i < 8; ++i) {
    for (std::size_t t = 1; t < std::size(kSmallOrderPoints); ++t) {
      const Bytes torsion = hex(kSmallOrderPoints[t]);
      Bytes mixed(32);
      ASSERT_EQ(crypto_core_ed25519_add(mixed.data(), vectors[i].public_key.data(), torsion.data()),
                0);
      const auto key = IdentityPublicKey::from_bytes(mixed);
      ASSERT_FALSE(key.has_value()) << i << "," << t;
      EXPECT_EQ(key.error().code, ErrorCode::InvalidKey);
    }
  }
}

TEST(IdentityPublicKey, NonCanonicalEncodingsAreRejected) {
  const char* const kBad[] = {
      // y = p (≡ 0), y = p + 1 (≡ 1, the identity's non-canonical twin), y = 2^255 - 1;
      // with and without the x sign bit
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      // y = 1 with the sign bit set: x = 0 cannot be negative
      "0100000000000000000000000000000000000000000000000000000000000080",
  };
  for (const char* text : kBad) {
    const auto key = IdentityPublicKey::from_bytes(hex(text));
    ASSERT_FALSE(key.has_value()) << text;
    EXPECT_EQ(key.error().code, ErrorCode::InvalidKey);
  }
  for (const std::size_t n : {0u, 31u, 33u}) {
    EXPECT_FALSE(IdentityPublicKey::from_bytes(Bytes(n, 1)).has_value()) << n;
  }
}

TEST(IdentityPublicKey, AgreesWithLibsodiumValidityForSmallY) {
  // y = 2..63: some are not on the curve at all, the rest are mostly valid; from_bytes must
  // accept exactly what crypto_core_ed25519_is_valid_point accepts.
  int accepted = 0;
  int refused = 0;
  for (int y = 2; y < 64; ++y) {
    for (const std::uint8_t sign : {std::uint8_t{0x00}, std::uint8_t{0x80}}) {
      Bytes point(32, 0);
      point[0] = static_cast<std::uint8_t>(y);
      point[31] = sign;
      const bool valid = crypto_core_ed25519_is_valid_point(point.data()) == 1;
      EXPECT_EQ(IdentityPublicKey::from_bytes(point).has_value(), valid) << to_hex(point);
      (valid ? accepted : refused) += 1;
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(refused, 0);
}

TEST(Ed25519Signature, WrongLengthIsRejected) {
  for (const std::size_t n : {0u, 63u, 65u}) {
    const auto sig = Ed25519Signature::from_bytes(Bytes(n, 0));
    ASSERT_FALSE(sig.has_value());
    EXPECT_EQ(sig.error().code, ErrorCode::BadSignature);
  }
}

TEST(IdentityKeyPair, SeedLengthIsChecked) {
  EXPECT_FALSE(IdentityKeyPair::from_seed(Bytes(31, 0)).has_value());
  EXPECT_FALSE(IdentityKeyPair::from_seed(Bytes(64, 0)).has_value());
}

TEST(IdentityKeyPair, CloneAndGenerate) {
  DeterministicRng rng(3);
  const auto pair = IdentityKeyPair::generate(rng);
  const auto copy = pair.clone();
  EXPECT_EQ(copy.public_key(), pair.public_key());
  EXPECT_TRUE(copy.seed().equals(pair.seed()));
  EXPECT_NE(copy.seed().data(), pair.seed().data());
  const Bytes message = {'h', 'i'};
  EXPECT_TRUE(pair.public_key().verify(message, copy.sign(message)).has_value());
  DeterministicRng same(3);
  EXPECT_EQ(IdentityKeyPair::generate(same).public_key(), pair.public_key());
}

// ---- XChaCha20-Poly1305 (pins the AEAD the ratchet uses) ------------------------------------

TEST(XChaCha20Poly1305, PublishedVectors) {
  const auto vectors = read_records("xchacha20poly1305.txt");
  ASSERT_EQ(vectors.size(), 9u);
  for (auto v : vectors) {
    const Bytes plaintext = hex(v["plaintext"]);
    const Bytes aad = hex(v["aad"]);
    const Bytes key = hex(v["key"]);
    const Bytes nonce = hex(v["nonce"]);
    ASSERT_EQ(key.size(), crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
    ASSERT_EQ(nonce.size(), crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);

    Bytes sealed(plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long sealed_size = 0;
    ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_encrypt(
                  sealed.data(), &sealed_size, plaintext.data(), plaintext.size(), aad.data(),
                  aad.size(), nullptr, nonce.data(), key.data()),
              0);
    ASSERT_EQ(sealed_size, sealed.size());
    EXPECT_EQ(to_hex(sealed), v["out"]);

    Bytes opened(plaintext.size());
    unsigned long long opened_size = 0;
    ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(opened.data(), &opened_size, nullptr,
                                                         sealed.data(), sealed.size(), aad.data(),
                                                         aad.size(), nonce.data(), key.data()),
              0);
    EXPECT_EQ(opened, plaintext);

    sealed.back() ^= 0x01;  // the tag
    EXPECT_NE(crypto_aead_xchacha20poly1305_ietf_decrypt(opened.data(), &opened_size, nullptr,
                                                         sealed.data(), sealed.size(), aad.data(),
                                                         aad.size(), nonce.data(), key.data()),
              0);
  }
}

}  // namespace
}  // namespace exile::crypto
