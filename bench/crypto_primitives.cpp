// Primitives/<name>: the libsodium operations the Exile cases are made of, each on the input
// sizes the crypto core uses, so that a case's time can be read against its floor (the sum
// of its recipe, crypto_recipe.cpp). Overhead/<name>: the guarded-memory calls that are not
// cryptography, for the breakdown (never part of the floor).
//
// HMAC and HKDF go through exile::crypto::hmac_sha256 / hkdf_sha256, which are
// libsodium's crypto_auth_hmacsha256_{init,update,final} and nothing else.
#include <sodium.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "common/bytes.h"
#include "common/rng.h"
#include "crypto/hkdf.h"
#include "crypto/keys.h"
#include "crypto/prekeys.h"
#include "crypto_bench.h"

namespace exile::bench {
namespace {

// The Double Ratchet's sizes (docs/protocol.md §"Envelope"): a header is the ratchet public
// key, PN and N; a text message body is padded to the first bucket.
constexpr std::size_t kHeaderBytes = 32 + 4 + 4;
constexpr std::size_t kBodyBytes = 1024;
// Associated data: the header AEAD's is the session AD (version, two length-prefixed identity
// keys); the body AEAD's is the session AD and the envelope's first 81 bytes (type, header
// nonce, sealed header).
constexpr std::size_t kSessionAdBytes = 1 + 2 + 32 + 2 + 32;
constexpr std::size_t kHeaderAdBytes = kSessionAdBytes;
constexpr std::size_t kBodyAdBytes = kSessionAdBytes + 1 +
                                     crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + kHeaderBytes +
                                     crypto_aead_xchacha20poly1305_ietf_ABYTES;

template <std::size_t N>
std::array<std::uint8_t, N> random_array() {
  std::array<std::uint8_t, N> out{};
  randombytes_buf(out.data(), out.size());
  return out;
}

// A primitive whose inputs are made once (State's constructor, untimed) and whose body runs
// in the timed loop.
template <class State, class Body>
Probe primitive(std::string name, Body body) {
  return {std::move(name), 1, [body]() -> std::optional<Work> {
            auto state = std::make_shared<State>();
            return Work{{}, [state, body] { return body(*state); }};
          }};
}

struct DhInputs {
  std::array<std::uint8_t, 32> secret = random_array<32>();
  std::array<std::uint8_t, 32> peer{};
  std::array<std::uint8_t, 32> out{};
  DhInputs() {
    const auto peer_secret = random_array<32>();
    crypto_scalarmult_base(peer.data(), peer_secret.data());
  }
};

// An Ed25519 key and its signature over a signed-prekey message, built by the crypto core's
// own signed_prekey_message() so the size is the real one.
struct SignatureInputs {
  std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> public_key{};
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> secret_key{};
  std::array<std::uint8_t, crypto_sign_BYTES> signature{};
  std::array<std::uint8_t, 32> curve25519{};
  Bytes message;
  SignatureInputs() {
    SystemRng rng;
    crypto_sign_keypair(public_key.data(), secret_key.data());
    message = crypto::signed_prekey_message(crypto::BundleKind::Contact, 1,
                                            crypto::X25519KeyPair::generate(rng).public_key());
    crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                         secret_key.data());
  }
};

struct MacInputs {
  std::array<std::uint8_t, 32> key = random_array<32>();
  std::array<std::uint8_t, 1> message = {0x01};
  std::array<std::uint8_t, 32> out{};
};

// A MAC under a key whose schedule is done (HmacSha256Key keeps it): the second MAC of a chain
// step, the later blocks of HKDF-Expand, and the message-key extract under the cached zero salt.
struct KeyedMacInputs {
  crypto::HmacSha256Key key{random_array<32>()};
  std::array<std::uint8_t, 1> message = {0x02};
  std::array<std::uint8_t, 32> out{};
};

// The ratchet's HKDF: salt = a 32-byte key, IKM = a 32-byte DH output or message key.
template <std::size_t N>
struct HkdfInputs {
  std::array<std::uint8_t, 32> salt = random_array<32>();
  std::array<std::uint8_t, 32> ikm = random_array<32>();
  std::array<std::uint8_t, N> out{};
  static constexpr std::string_view kInfo = "Exile_Bench_HKDF_v1";
};

template <std::size_t Plain, std::size_t Ad>
struct AeadInputs {
  std::array<std::uint8_t, crypto_aead_xchacha20poly1305_ietf_KEYBYTES> key = random_array<32>();
  std::array<std::uint8_t, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES> nonce =
      random_array<crypto_aead_xchacha20poly1305_ietf_NPUBBYTES>();
  std::array<std::uint8_t, Ad> ad = random_array<Ad>();
  std::array<std::uint8_t, Plain> plain = random_array<Plain>();
  std::array<std::uint8_t, Plain + crypto_aead_xchacha20poly1305_ietf_ABYTES> sealed{};
  std::array<std::uint8_t, Plain> opened{};
  AeadInputs() { encrypt(); }
  bool encrypt() {
    unsigned long long n = 0;
    return crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data(), &n, plain.data(), plain.size(),
                                                      ad.data(), ad.size(), nullptr, nonce.data(),
                                                      key.data()) == 0 &&
           n == sealed.size();
  }
  bool decrypt() {
    unsigned long long n = 0;
    return crypto_aead_xchacha20poly1305_ietf_decrypt(opened.data(), &n, nullptr, sealed.data(),
                                                      sealed.size(), ad.data(), ad.size(),
                                                      nonce.data(), key.data()) == 0 &&
           n == opened.size();
  }
};
using BodyAead = AeadInputs<kBodyBytes, kBodyAdBytes>;
using HeaderAead = AeadInputs<kHeaderBytes, kHeaderAdBytes>;

template <std::size_t N>
struct RandomOutput {
  std::array<std::uint8_t, N> out{};
};

struct HashInputs {
  std::array<std::uint8_t, 32> in = random_array<32>();
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> out{};
};

struct EmptyInputs {};

// SecureBytes' allocator: malloc, then mlock; wipe and munlock before free.
struct LockInputs {
  static constexpr std::size_t kBytes = 1024;
  std::unique_ptr<std::uint8_t, decltype(&std::free)> block{
      static_cast<std::uint8_t*>(std::malloc(kBytes)), &std::free};
};

template <std::size_t N>
bool hkdf(HkdfInputs<N>& s) {
  return crypto::hkdf_sha256(s.out, s.salt, s.ikm, as_bytes(HkdfInputs<N>::kInfo)).has_value();
}

}  // namespace

std::vector<Probe> primitive_probes() {
  return {
      primitive<DhInputs>("Primitives/X25519",
                          [](DhInputs& s) {
                            return crypto_scalarmult(s.out.data(), s.secret.data(),
                                                     s.peer.data()) == 0;
                          }),
      primitive<DhInputs>(
          "Primitives/X25519Base",
          [](DhInputs& s) { return crypto_scalarmult_base(s.out.data(), s.secret.data()) == 0; }),
      primitive<SignatureInputs>("Primitives/Ed25519Verify",
                                 [](SignatureInputs& s) {
                                   return crypto_sign_verify_detached(
                                              s.signature.data(), s.message.data(),
                                              s.message.size(), s.public_key.data()) == 0;
                                 }),
      primitive<SignatureInputs>("Primitives/Ed25519PkToCurve25519",
                                 [](SignatureInputs& s) {
                                   return crypto_sign_ed25519_pk_to_curve25519(
                                              s.curve25519.data(), s.public_key.data()) == 0;
                                 }),
      primitive<MacInputs>("Primitives/HmacSha256",
                           [](MacInputs& s) {
                             crypto::hmac_sha256(s.out, s.key, s.message);
                             return true;
                           }),
      primitive<KeyedMacInputs>("Primitives/HmacSha256KeyedMac",
                                [](KeyedMacInputs& s) {
                                  s.key.mac(s.out, s.message);
                                  return true;
                                }),
      primitive<HkdfInputs<96>>("Primitives/HkdfSha256_96", hkdf<96>),
      primitive<HkdfInputs<56>>("Primitives/HkdfSha256_56", hkdf<56>),
      primitive<HkdfInputs<32>>("Primitives/HkdfSha256_32", hkdf<32>),
      primitive<BodyAead>("Primitives/XChaCha20Poly1305Encrypt_1KiB",
                          [](BodyAead& s) { return s.encrypt(); }),
      primitive<BodyAead>("Primitives/XChaCha20Poly1305Decrypt_1KiB",
                          [](BodyAead& s) { return s.decrypt(); }),
      primitive<HeaderAead>("Primitives/XChaCha20Poly1305Encrypt_40B",
                            [](HeaderAead& s) { return s.encrypt(); }),
      primitive<HeaderAead>("Primitives/XChaCha20Poly1305Decrypt_40B",
                            [](HeaderAead& s) { return s.decrypt(); }),
      primitive<RandomOutput<24>>("Primitives/RandomBytes24",
                                  [](RandomOutput<24>& s) {
                                    randombytes_buf(s.out.data(), s.out.size());
                                    return true;
                                  }),
      primitive<RandomOutput<32>>("Primitives/RandomBytes32",
                                  [](RandomOutput<32>& s) {
                                    randombytes_buf(s.out.data(), s.out.size());
                                    return true;
                                  }),
      // init/update/final, as IdentityFingerprint::of hashes.
      primitive<HashInputs>("Primitives/Sha256_32B",
                            [](HashInputs& s) {
                              crypto_hash_sha256_state st;
                              crypto_hash_sha256_init(&st);
                              crypto_hash_sha256_update(&st, s.in.data(), s.in.size());
                              crypto_hash_sha256_final(&st, s.out.data());
                              return true;
                            }),
      primitive<EmptyInputs>("Overhead/SodiumMallocFree",
                             [](EmptyInputs&) {
                               void* p = sodium_malloc(32);
                               if (p == nullptr) return false;
                               sodium_free(p);
                               return true;
                             }),
      primitive<LockInputs>("Overhead/MlockMunlock1KiB",
                            [](LockInputs& s) {
                              (void)sodium_mlock(s.block.get(), LockInputs::kBytes);
                              sodium_munlock(s.block.get(), LockInputs::kBytes);
                              return true;
                            }),
  };
}

}  // namespace exile::bench
