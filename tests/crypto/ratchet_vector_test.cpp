// Double Ratchet known answer (docs/protocol.md §11.3): continues the X3DH vector of §11.2
// (pinned in x3dh_test.cpp) through Alice's first envelope, Bob's acceptance, his reply and
// Alice's decryption of it. Every random byte the sessions draw is scripted, in the order the
// document gives, so the envelopes are fully determined.
#include <gtest/gtest.h>
#include <sodium.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "common/encoding.h"
#include "crypto/hkdf.h"
#include "crypto/memory_store.h"
#include "crypto/prekeys.h"
#include "crypto/session.h"
#include "crypto/session_builder.h"
#include "crypto/x3dh.h"
#include "state.pb.h"

namespace exile::crypto {
namespace {

constexpr std::size_t kInitialHeaderBytes = 95;
constexpr std::size_t kRatchetPrefixBytes = 81;  // type, header nonce, sealed header
constexpr std::size_t kTagBytes = 16;

// Yields exactly the scripted bytes, front to back, and fails the test if a session asks for
// more than the script holds. exhausted() tells that every scripted byte was drawn.
class ScriptedRng final : public Rng {
 public:
  explicit ScriptedRng(Bytes bytes) : bytes_(std::move(bytes)) {}
  void fill(MutableByteView out) override {
    ASSERT_LE(out.size(), bytes_.size() - used_) << "draw beyond the script";
    std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(used_), out.size(), out.begin());
    used_ += out.size();
  }
  [[nodiscard]] bool exhausted() const { return used_ == bytes_.size(); }

 private:
  Bytes bytes_;
  std::size_t used_ = 0;
};

// The byte run start, start + 1, ..., start + length - 1.
Bytes counting(std::uint8_t start, std::size_t length = 32) {
  Bytes bytes(length);
  for (std::size_t i = 0; i < length; ++i) bytes[i] = static_cast<std::uint8_t>(start + i);
  return bytes;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) append(out, part);
  return out;
}

std::string hex_of(ByteView bytes) { return to_hex(bytes); }
std::string hex_of(const std::string& bytes) { return to_hex(as_bytes(bytes)); }

std::string sha256_hex(ByteView bytes) {
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), bytes.data(), bytes.size());
  return to_hex(digest);
}

pb::SessionState state(const Session& session) {
  pb::SessionState m;
  const SecureBytes bytes = session.serialize();
  EXPECT_TRUE(m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  return m;
}

std::string text(const SecureBytes& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes ? *bytes : Bytes{};
}

// The per-message values §11.3 prints, recomputed from the chain key with libsodium's HMAC
// and the §5.3 formulas: MK = HMAC(CK, 0x01), CK' = HMAC(CK, 0x02), body_key ‖ body_nonce =
// HKDF(32 zero bytes, MK, "Exile_MessageKeys_v1" ‖ header nonce, 56). Returns
// body_key ‖ body_nonce.
Bytes expect_message_keys(std::string_view ck, std::string_view mk, std::string_view next_ck,
                          ByteView header_nonce, std::string_view body_key,
                          std::string_view body_nonce) {
  const Bytes chain = hex(ck);
  std::array<std::uint8_t, 32> out{};
  const std::uint8_t one = 0x01, two = 0x02;
  crypto_auth_hmacsha256(out.data(), &one, 1, chain.data());
  EXPECT_EQ(to_hex(out), mk);
  crypto_auth_hmacsha256(out.data(), &two, 1, chain.data());
  EXPECT_EQ(to_hex(out), next_ck);
  const Bytes message_key = hex(mk);
  Bytes keys(56);
  constexpr std::uint8_t kZero32[32] = {};
  Bytes info = concat(
      {Bytes(as_bytes("Exile_MessageKeys_v1").begin(), as_bytes("Exile_MessageKeys_v1").end()),
       Bytes(header_nonce.begin(), header_nonce.end())});
  EXPECT_TRUE(hkdf_sha256(keys, kZero32, message_key, info));
  EXPECT_EQ(to_hex(ByteView(keys).first(32)), body_key);
  EXPECT_EQ(to_hex(ByteView(keys).subspan(32)), body_nonce);
  return keys;
}

// Opens a Ratchet envelope's body with body_key ‖ body_nonce, ad = AD ‖ envelope[0..81), and
// returns the padded plaintext (empty if the tag fails).
Bytes open_body(ByteView ratchet_envelope, ByteView ad, const Bytes& keys) {
  Bytes body_ad(ad.begin(), ad.end());
  append(body_ad, ratchet_envelope.first(kRatchetPrefixBytes));
  const ByteView body = ratchet_envelope.subspan(kRatchetPrefixBytes);
  Bytes plain(body.size() - kTagBytes);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &len, nullptr, body.data(),
                                                 body.size(), body_ad.data(), body_ad.size(),
                                                 keys.data() + 32, keys.data()) != 0) {
    return {};
  }
  return plain;
}

// Opens a Ratchet envelope's sealed header under `header_key` (nonce = bytes 1..25, ad = AD)
// and returns its 40 plaintext bytes as hex (empty if the tag fails).
std::string open_header(ByteView ratchet_envelope, ByteView ad, std::string_view header_key) {
  const Bytes key = hex(header_key);
  std::array<std::uint8_t, 40> plain{};
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &len, nullptr, ratchet_envelope.data() + 25, 56, ad.data(), ad.size(),
          ratchet_envelope.data() + 1, key.data()) != 0) {
    return {};
  }
  return to_hex(plain);
}

// The plaintext padded to the 1024-byte bucket (§5.6).
Bytes padded(std::string_view text) {
  Bytes out(1024, 0);
  std::copy(text.begin(), text.end(), out.begin());
  out[text.size()] = 0x80;
  return out;
}

// §11.2 / §11.3 values, as the document prints them.
constexpr std::string_view kHKa =
    "980cbb9eb89d872cc7fa439473ee16a2ff6a1140bf0fe1197ddb92a2ac6fe92a";
constexpr std::string_view kNHKb =
    "fcf30c77edab3cab5f63ad7c334a2419e1549d014f51cd6ddf066d95fe6392cb";
constexpr std::string_view kSpkB =
    "79a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51a";
constexpr std::string_view kInitialHeader =
    "0201493e82fc74464a59268817623d2053c5eb8e2cc4a988b4fee179ec6b010d531d010203040037"
    "333f78c8f67fc2fbca82cabdd9246ffcd4fcd5d726f7cd64181301b9143e6a8f262b3400faa8aac5"
    "476661365dc4aecc9c30f5d6e3cb69";
constexpr std::string_view kAliceDhs =
    "605a725d2a4adfeeb1a29e17edd621c1b7593ee8cdbc44ac6c4ab6e2f805d23c";
constexpr std::string_view kRk1 =
    "5eee4a0ae6391370358dc7cfafcc0aaece80c1ecdfbf5ba264324029127fbc20";
constexpr std::string_view kAliceCks =
    "3c8090f11f655abd241b55ecc6b0e5684afb6b45534cf5da7fc80563e1d74e14";
constexpr std::string_view kAliceNhks =
    "c2dbbc8649ce2de4e50fe02c4c87c5dfab6a2a06a163ccf35ec044cd63c98da3";
constexpr std::string_view kAliceCks1 =
    "36a9ea23b21453b885ef0b339accaafd5ae5c5e07cc60e72bdeb3e3cd04299e5";
constexpr std::string_view kBobDhs =
    "dc2cca31e8e43bbd91dff7e475cca3347eb478107d5bd765aba4ae4a30c35d44";
constexpr std::string_view kRk2 =
    "a7b4f4df8fcca2a015947cf29b2a58cc9be6aae8bc50b31f7c2e43e9331c21ba";
constexpr std::string_view kBobCks =
    "fa52e3e250bc18990fd1eadeb85ed21ef97e32ecf4fbf6ce11524a73aedc73bf";
constexpr std::string_view kBobNhks =
    "c27bf5a8ca35a3b1da03f5d87a61130b72c633154e3cff7f72eebe3b41fbe20f";

TEST(RatchetVector, KnownAnswer) {
  // §11.2: identities, prekeys and bundle.
  const IdentityKeyPair alice_id = *IdentityKeyPair::from_seed(counting(0x00));
  const IdentityKeyPair bob_id = *IdentityKeyPair::from_seed(counting(0x20));
  X25519KeyPair spk_key = *X25519KeyPair::from_secret(counting(0x40));
  const Ed25519Signature signature =
      bob_id.sign(signed_prekey_message(BundleKind::Contact, 0x01020304, spk_key.public_key()));
  const SignedPreKey spk{0x01020304, std::move(spk_key), signature, from_millis(0)};
  const OneTimePreKey opk{0x0a0b0c0d, *X25519KeyPair::from_secret(counting(0x60))};
  const PreKeyBundle bundle = PreKeyBundle::make(bob_id, spk, &opk);
  InMemoryPreKeyStore bob_prekeys;
  ASSERT_TRUE(bob_prekeys.store_signed_prekey(spk));
  ASSERT_TRUE(bob_prekeys.store_one_time_prekey(opk));
  const UnixMillis now = from_millis(0);

  // Alice: EK_A secret (0x80…), first DHs secret (0xa0…), header nonce b0 … c7.
  ScriptedRng alice_rng(concat({counting(0x80), counting(0xa0), counting(0xb0, 24)}));
  auto alice =
      start_session(alice_id, bundle, IdentityFingerprint::of(bob_id.public_key()), alice_rng);
  ASSERT_TRUE(alice) << alice.error();
  {
    const pb::SessionState s = state(*alice);
    EXPECT_EQ(hex_of(s.ratchet_public_key()), kAliceDhs);
    EXPECT_EQ(hex_of(s.root_key()), kRk1);
    EXPECT_EQ(hex_of(s.send_chain_key()), kAliceCks);
    EXPECT_EQ(hex_of(s.next_send_header_key()), kAliceNhks);
    EXPECT_EQ(hex_of(s.send_header_key()), kHKa);
    EXPECT_EQ(hex_of(s.next_recv_header_key()), kNHKb);
    EXPECT_EQ(hex_of(s.remote_ratchet_key()), kSpkB);
    EXPECT_EQ(hex_of(s.initial_header()), kInitialHeader);
  }

  auto e1 = alice->encrypt(as_bytes("Hello, Bob"), alice_rng);
  ASSERT_TRUE(e1) << e1.error();
  EXPECT_TRUE(alice_rng.exhausted());
  ASSERT_EQ(e1->size(), 1216u);
  EXPECT_EQ(hex_of(ByteView(*e1).first(kInitialHeaderBytes)), kInitialHeader);
  EXPECT_EQ(hex_of(ByteView(*e1).subspan(kInitialHeaderBytes, kRatchetPrefixBytes)),
            "01b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c709bcaeeb9d9da17354919c93fc"
            "1401d9993dc5ec60628a1a313a2ef1eef0564ab4f3c8e4e7a0466c7d76b0316d62318f7fc01e"
            "5f1b01a4e2");
  EXPECT_EQ(hex_of(ByteView(*e1).subspan(kInitialHeaderBytes + kRatchetPrefixBytes, 32)),
            "7fd66bc24f6744bb3eb6faf74d903efdadb1ad9cfcc17e36461b18f469125143");
  EXPECT_EQ(hex_of(ByteView(*e1).last(kTagBytes)), "fa0168ef57cb2843f12039a0b0931ebf");
  EXPECT_EQ(sha256_hex(*e1), "2c92362c3b21be9ef7009526d6eee097a3147e6a3553f3d24016078944ab1384");
  EXPECT_EQ(hex_of(state(*alice).send_chain_key()), kAliceCks1);
  const std::string ad = state(*alice).associated_data();
  const Bytes alice_keys = expect_message_keys(
      kAliceCks, "69f36ea0b4bcba2be64d728590b8f6958129f80f69bd5f7ed4817a88c52bee26", kAliceCks1,
      counting(0xb0, 24), "8f58073823abf1dc4cd178ee95b5894084144691348c34e88a000578a839ebab",
      "b441b74051de66ae8a9a37e5ece83a85210c4704a1a5b8cd");
  EXPECT_EQ(open_body(ByteView(*e1).subspan(kInitialHeaderBytes), as_bytes(ad), alice_keys),
            padded("Hello, Bob"));
  EXPECT_EQ(open_header(ByteView(*e1).subspan(kInitialHeaderBytes), as_bytes(ad), kHKa),
            std::string(kAliceDhs) + "00000000" + "00000000");

  // Bob accepts E1: receive half done, send half pending.
  auto accepted = accept_session(bob_id, bob_prekeys, *e1, now);
  ASSERT_TRUE(accepted) << accepted.error();
  EXPECT_EQ(text(accepted->plaintext), "Hello, Bob");
  EXPECT_EQ(accepted->signed_prekey_id, 0x01020304u);
  EXPECT_EQ(accepted->one_time_prekey_id, 0x0a0b0c0du);
  Session bob = std::move(accepted->session);
  {
    const pb::SessionState s = state(bob);
    EXPECT_EQ(hex_of(s.root_key()), kRk1);
    EXPECT_EQ(hex_of(s.recv_chain_key()), kAliceCks1);
    EXPECT_EQ(s.recv_count(), 1u);
    EXPECT_EQ(hex_of(s.recv_header_key()), kHKa);
    EXPECT_EQ(hex_of(s.send_header_key()), kNHKb);
    EXPECT_EQ(hex_of(s.next_send_header_key()), kNHKb);
    EXPECT_EQ(hex_of(s.next_recv_header_key()), kAliceNhks);
    EXPECT_EQ(hex_of(s.remote_ratchet_key()), kAliceDhs);
    EXPECT_TRUE(s.send_ratchet_pending());
  }

  // Bob's reply: new DHs secret (0xc0…), header nonce d0 … e7.
  ScriptedRng bob_rng(concat({counting(0xc0), counting(0xd0, 24)}));
  auto e2 = bob.encrypt(as_bytes("Hi Alice"), bob_rng);
  ASSERT_TRUE(e2) << e2.error();
  EXPECT_TRUE(bob_rng.exhausted());
  {
    const pb::SessionState s = state(bob);
    EXPECT_EQ(hex_of(s.ratchet_public_key()), kBobDhs);
    EXPECT_EQ(hex_of(s.root_key()), kRk2);
    EXPECT_EQ(hex_of(s.next_send_header_key()), kBobNhks);
    EXPECT_EQ(hex_of(s.send_header_key()), kNHKb);
    EXPECT_FALSE(s.send_ratchet_pending());
    EXPECT_EQ(s.send_count(), 1u);
    const Bytes bob_keys = expect_message_keys(
        kBobCks, "781f2df387a6a40f0b1acbf1b64a46f717e460fe81502e76ce74659c4f1b7739",
        hex_of(s.send_chain_key()), counting(0xd0, 24),
        "1a83e482e1f3a0fc9eae9f0000ea7549ef2a62f2cf1162095fe98464a8d43112",
        "a5782632f268d10386e8b46afb9100f3b71a7a178a68ece8");
    EXPECT_EQ(open_body(*e2, as_bytes(ad), bob_keys), padded("Hi Alice"));
    EXPECT_EQ(open_header(*e2, as_bytes(ad), kNHKb),
              std::string(kBobDhs) + "00000000" + "00000000");
  }
  ASSERT_EQ(e2->size(), 1121u);
  EXPECT_EQ(hex_of(ByteView(*e2).first(kRatchetPrefixBytes)),
            "01d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e70697b0f7374d10e41133af6892"
            "66440d25b6d3e0a3309bf9ca3f30eaf76ef7f163ad0f30e6acbc0764f3497d48fd0d34fe2ff5"
            "e26c611aa1");
  EXPECT_EQ(hex_of(ByteView(*e2).last(kTagBytes)), "5e3a65c6280fee8ff77e8a3dd4ef16e2");
  EXPECT_EQ(sha256_hex(*e2), "fbd2ca29b7f1fc734746b267beb09d5fdb317b33b5e173623c3aab7c6a24c696");

  // Alice reads the reply.
  auto reply = alice->decrypt(*e2, now);
  ASSERT_TRUE(reply) << reply.error();
  EXPECT_EQ(text(*reply), "Hi Alice");
  EXPECT_FALSE(alice->awaiting_first_reply());
  {
    const pb::SessionState s = state(*alice);
    EXPECT_EQ(hex_of(s.root_key()), kRk2);
    EXPECT_EQ(hex_of(s.recv_header_key()), kNHKb);
    EXPECT_EQ(hex_of(s.send_header_key()), kAliceNhks);
    EXPECT_EQ(hex_of(s.next_send_header_key()), kAliceNhks);
    EXPECT_EQ(hex_of(s.next_recv_header_key()), kBobNhks);
    EXPECT_EQ(hex_of(s.remote_ratchet_key()), kBobDhs);
    EXPECT_EQ(s.previous_send_count(), 1u);
    EXPECT_EQ(s.send_count(), 0u);
    EXPECT_EQ(s.recv_count(), 1u);
    EXPECT_TRUE(s.send_ratchet_pending());
    EXPECT_FALSE(s.awaiting_first_reply());
    EXPECT_TRUE(s.send_chain_key().empty());
  }
}

// §11.3 says an implementation written from the document alone reproduces these values:
// tests/crypto/vectors_from_doc.py is one (Python: hashlib, hmac, PyNaCl), run here against
// the document itself. scripts/ install python3-nacl (EXILE_BUILD_PACKAGES), so a missing
// PyNaCl is a failure, not a skip: a check that silently does not run proves nothing.
TEST(RatchetVector, IndependentImplementationFromTheDocument) {
  const std::string root = std::string(EXILE_VECTORS_DIR) + "/../..";
  ASSERT_EQ(std::system("/usr/bin/python3 -c 'import nacl.bindings' 2>/dev/null"), 0)
      << "/usr/bin/python3 with PyNaCl is needed: apt-get install python3-nacl";
  const std::string command = "/usr/bin/python3 " + root + "/tests/crypto/vectors_from_doc.py " +
                              root + "/docs/protocol.md";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

}  // namespace
}  // namespace exile::crypto
