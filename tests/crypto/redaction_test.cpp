// No secret or key ever reaches a log line (STYLE.md, common/log.h). Every secret and key type
// is streamed with operator<< and logged through exile::log::write into a capturing sink, and
// the output is searched for the bytes it must not show: raw, hex (both cases) and base64
// (both variants, every alignment). Errors raised while rejecting a key are checked the same
// way: an error message must not echo the key it refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <concepts>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/log.h"
#include "common/secure_buffer.h"
#include "crypto/fingerprint.h"
#include "crypto/hkdf.h"
#include "crypto/keys.h"
#include "crypto/memory_store.h"
#include "crypto/session.h"
#include "crypto/session_builder.h"

namespace exile::crypto {
namespace {

constexpr std::size_t kRawWindow = 8;  // bytes: a shorter run could occur by chance

// Describes how `secret` shows up in `text`, or returns nothing.
std::optional<std::string> find_leak(const std::string& text, ByteView secret) {
  if (secret.size() < kRawWindow) return "secret too short to check";
  const auto contains = [&text](const std::string& needle) {
    return text.find(needle) != std::string::npos;
  };
  for (std::size_t i = 0; i + kRawWindow <= secret.size(); ++i) {
    const ByteView window = secret.subspan(i, kRawWindow);
    if (contains(std::string(window.begin(), window.end())))
      return "raw bytes at " + std::to_string(i);
    const std::string lower = to_hex(window);
    std::string upper = lower;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](char c) { return static_cast<char>(std::toupper(c)); });
    if (contains(lower)) return "hex at " + std::to_string(i);
    if (contains(upper)) return "HEX at " + std::to_string(i);
  }
  // base64 of anything that embeds the secret contains, for one alignment a in {0, 1, 2},
  // the complete 4-character quanta of base64(secret[a:]). Look for runs of 3 quanta.
  for (const auto variant : {Base64Variant::Standard, Base64Variant::UrlNoPadding}) {
    for (std::size_t align = 0; align < 3; ++align) {
      const ByteView tail = secret.subspan(align);
      const std::size_t quanta = tail.size() / 3;
      const std::string encoded = to_base64(tail.first(quanta * 3), variant);
      for (std::size_t q = 0; q + 3 <= quanta; ++q) {
        if (contains(encoded.substr(q * 4, 12))) {
          return std::string(variant == Base64Variant::Standard ? "base64" : "base64url") +
                 " at alignment " + std::to_string(align);
        }
      }
    }
  }
  return std::nullopt;
}

class RedactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_level(log::Level::Debug);
    log::set_sink([this](log::Level, std::string_view, std::string_view line) {
      logged_.append(line);
      logged_.push_back('\n');
    });
  }
  void TearDown() override {
    log::set_sink(nullptr);
    log::set_level(log::Level::Info);
  }

  // operator<< on its own and through the logger, side by side.
  template <class T>
  std::string render(const T& value) {
    std::ostringstream direct;
    direct << value;
    logged_.clear();
    log::write(log::Level::Debug, "redaction", "value=", value, " done");
    log::write(log::Level::Error, "redaction", value);
    EXPECT_FALSE(direct.str().empty());
    EXPECT_NE(logged_.find(direct.str()), std::string::npos);
    return direct.str() + "\n" + logged_;
  }

  static void expect_hidden(const std::string& output, ByteView secret, const char* what) {
    const auto leak = find_leak(output, secret);
    EXPECT_FALSE(leak.has_value())
        << what << " leaked (" << leak.value_or("") << ") in: " << output;
  }

  std::string logged_;
};

Bytes pattern(std::size_t n, std::uint8_t start) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(start + 37 * i);
  return out;
}

// The checker itself must find every form it claims to find.
TEST_F(RedactionTest, CheckerFindsEveryEncoding) {
  const Bytes secret = pattern(32, 11);
  EXPECT_FALSE(find_leak("nothing to see", secret).has_value());
  EXPECT_TRUE(find_leak("k=" + std::string(secret.begin(), secret.end()), secret).has_value());
  EXPECT_TRUE(find_leak("k=" + to_hex(secret) + ";", secret).has_value());
  std::string upper = to_hex(secret);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](char c) { return static_cast<char>(std::toupper(c)); });
  EXPECT_TRUE(find_leak("k=" + upper, secret).has_value());
  for (std::size_t prefix = 0; prefix < 3; ++prefix) {  // every base64 alignment
    Bytes embedded(prefix, 0x55);
    append(embedded, secret);
    embedded.push_back(0x01);
    for (const auto variant : {Base64Variant::Standard, Base64Variant::UrlNoPadding}) {
      EXPECT_TRUE(find_leak("k=" + to_base64(embedded, variant), secret).has_value()) << prefix;
    }
  }
  // Part of a key is a leak too.
  EXPECT_TRUE(find_leak(to_hex(ByteView(secret).subspan(10, 12)), secret).has_value());
}

TEST_F(RedactionTest, SecureBuffer) {
  const Bytes bytes = pattern(32, 1);
  const SecureBuffer<32> buffer(bytes);
  expect_hidden(render(buffer), bytes, "SecureBuffer");
}

TEST_F(RedactionTest, SecureBytes) {
  const Bytes bytes = pattern(48, 2);
  const SecureBytes secret(bytes.begin(), bytes.end());
  expect_hidden(render(secret), bytes, "SecureBytes");
}

TEST_F(RedactionTest, TempSecret) {
  const Bytes bytes = pattern(32, 3);
  TempSecret<32> temp;
  std::copy(bytes.begin(), bytes.end(), temp.data());
  expect_hidden(render(temp), bytes, "TempSecret");
}

TEST_F(RedactionTest, X25519Keys) {
  DeterministicRng rng(4);
  const auto pair = X25519KeyPair::generate(rng);
  const std::string pub = render(pair.public_key());
  expect_hidden(pub, pair.public_key().view(), "X25519PublicKey");
  const std::string both = render(pair);
  expect_hidden(both, pair.public_key().view(), "X25519KeyPair public half");
  expect_hidden(both, pair.secret().view(), "X25519KeyPair secret half");
}

TEST_F(RedactionTest, Ed25519Signature) {
  DeterministicRng rng(5);
  const auto identity = IdentityKeyPair::generate(rng);
  const Ed25519Signature signature = identity.sign(as_bytes("message"));
  expect_hidden(render(signature), signature.view(), "Ed25519Signature");
}

TEST_F(RedactionTest, IdentityKeys) {
  DeterministicRng rng(6);
  const auto identity = IdentityKeyPair::generate(rng);
  const std::string pub = render(identity.public_key());
  expect_hidden(pub, identity.public_key().view(), "IdentityPublicKey");
  expect_hidden(pub, identity.public_key().x25519().view(), "IdentityPublicKey X25519 form");
  const std::string pair = render(identity);
  expect_hidden(pair, identity.seed().view(), "IdentityKeyPair seed");
  expect_hidden(pair, identity.x25519_secret().view(), "IdentityKeyPair X25519 secret");
  expect_hidden(pair, identity.public_key().view(), "IdentityKeyPair public key");
  expect_hidden(pair, identity.public_key().x25519().view(), "IdentityKeyPair X25519 public");
}

TEST_F(RedactionTest, ErrorsDoNotEchoRejectedKeys) {
  DeterministicRng rng(7);
  const auto own = X25519KeyPair::generate(rng);

  Bytes non_canonical = pattern(32, 8);
  non_canonical[31] |= 0x80;
  const auto bad_x = X25519PublicKey::from_bytes(non_canonical);
  ASSERT_FALSE(bad_x.has_value());
  expect_hidden(render(bad_x.error()), non_canonical, "InvalidKey error");

  // p - 1: canonical, order 2. The DH fails; neither key may show up in the error.
  const auto low_order = X25519PublicKey::from_bytes(
      from_hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f").value());
  ASSERT_TRUE(low_order.has_value());
  std::array<std::uint8_t, kX25519Bytes> out{};
  const auto weak = x25519(out, own.secret().span(), *low_order);
  ASSERT_FALSE(weak.has_value());
  const std::string weak_text = render(weak.error());
  expect_hidden(weak_text, own.secret().view(), "WeakKey error (our secret)");
  expect_hidden(weak_text, own.public_key().view(), "WeakKey error (our public key)");

  // An Ed25519 key with a torsion component: on the curve, not in the subgroup.
  const auto identity = IdentityKeyPair::generate(rng);
  Bytes mixed(32);
  const Bytes torsion =
      from_hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05").value();
  ASSERT_EQ(
      crypto_core_ed25519_add(mixed.data(), identity.public_key().view().data(), torsion.data()),
      0);
  const auto bad_identity = IdentityPublicKey::from_bytes(mixed);
  ASSERT_FALSE(bad_identity.has_value());
  expect_hidden(render(bad_identity.error()), mixed, "identity InvalidKey error");

  const Ed25519Signature signature = identity.sign(as_bytes("a"));
  const auto bad_signature = identity.public_key().verify(as_bytes("b"), signature);
  ASSERT_FALSE(bad_signature.has_value());
  const std::string signature_text = render(bad_signature.error());
  expect_hidden(signature_text, signature.view(), "BadSignature error (signature)");
  expect_hidden(signature_text, identity.public_key().view(), "BadSignature error (key)");

  const Bytes long_signature = pattern(65, 9);
  const auto bad_length = Ed25519Signature::from_bytes(long_signature);
  ASSERT_FALSE(bad_length.has_value());
  expect_hidden(render(bad_length.error()), long_signature, "signature length error");

  const Bytes prk = pattern(32, 10);
  Bytes too_long(kHkdfMaxOutput + 1);
  const auto hkdf = hkdf_expand(too_long, prk, {});
  ASSERT_FALSE(hkdf.has_value());
  expect_hidden(render(hkdf.error()), prk, "hkdf error");
}

TEST_F(RedactionTest, Session) {
  DeterministicRng rng(8);
  ManualClock clock;
  const auto alice_id = IdentityKeyPair::generate(rng);
  const auto bob_id = IdentityKeyPair::generate(rng);
  InMemoryPreKeyStore bob_prekeys;
  const SignedPreKey spk = generate_signed_prekey(bob_id, 1, clock.now(), rng);
  const auto opks = generate_one_time_prekeys(1, 1, rng);
  ASSERT_TRUE(bob_prekeys.store_signed_prekey(spk).has_value());
  ASSERT_TRUE(bob_prekeys.store_one_time_prekey(opks[0]).has_value());
  auto alice = start_session(alice_id, PreKeyBundle::make(bob_id, spk, &opks[0]),
                             IdentityFingerprint::of(bob_id.public_key()), rng);
  ASSERT_TRUE(alice.has_value()) << alice.error();
  auto first = alice->encrypt(as_bytes("first"), rng);
  ASSERT_TRUE(first.has_value()) << first.error();
  auto bob = accept_session(bob_id, bob_prekeys, *first, clock.now());
  ASSERT_TRUE(bob.has_value()) << bob.error();

  for (const Session* session : {&*alice, &bob->session}) {
    const std::string shown = render(*session);
    expect_hidden(shown, alice_id.public_key().view(), "Session: initiator identity");
    expect_hidden(shown, bob_id.public_key().view(), "Session: responder identity");
    expect_hidden(shown, spk.key.public_key().view(), "Session: signed prekey");
    expect_hidden(shown, spk.key.secret().view(), "Session: signed prekey secret");
    // Every 8-byte run of the saved state: root, chain, header and ratchet keys among them.
    const SecureBytes state = session->serialize();
    expect_hidden(shown, view(state), "Session: serialized state");
  }
}

// Safety numbers and key images identify a pair of keys: they are shown to the user on
// purpose, never logged. They have no operator<<, so logging one does not compile; if one is
// ever added it must be redacting and tested here.
template <class T>
concept Streamable = requires(std::ostream& os, const T& value) {
  os << value;
};
static_assert(!Streamable<SafetyNumber>);
static_assert(!Streamable<KeyImage>);
static_assert(Streamable<IdentityPublicKey>);

}  // namespace
}  // namespace exile::crypto
