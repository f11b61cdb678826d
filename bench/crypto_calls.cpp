// Counting wrappers for the libsodium entry points of the recipe check (crypto_bench.h).
// The linker redirects every call to X from this binary's objects and from the static Exile
// libraries to __wrap_X (-Wl,--wrap=X, bench/CMakeLists.txt); __real_X is libsodium's X.
// Calls inside libsodium itself are not redirected. A counter increment costs about a
// nanosecond against primitives of hundreds, and primitives and cases pay it alike.
#include <sodium.h>

#include "crypto_bench.h"

namespace exile::bench {
namespace {

CallCounts g_counts{};

void count(SodiumCall call) { ++g_counts[static_cast<std::size_t>(call)]; }

// Large AEAD inputs are message bodies (padded to >= 1 KiB), small ones headers and the
// sealed part of an initial message.
constexpr unsigned long long kLargeAead = 256;

}  // namespace

CallCounts& call_counts() { return g_counts; }

std::string_view call_name(SodiumCall call) {
  switch (call) {
    case SodiumCall::Scalarmult: return "crypto_scalarmult";
    case SodiumCall::ScalarmultBase: return "crypto_scalarmult_base";
    case SodiumCall::SignVerifyDetached: return "crypto_sign_verify_detached";
    case SodiumCall::PkToCurve25519: return "crypto_sign_ed25519_pk_to_curve25519";
    case SodiumCall::HmacSha256: return "crypto_auth_hmacsha256";
    case SodiumCall::HmacSha256Init: return "crypto_auth_hmacsha256_init";
    case SodiumCall::HmacSha256Final: return "crypto_auth_hmacsha256_final";
    case SodiumCall::AeadEncryptLarge: return "xchacha20poly1305_encrypt(>=256B)";
    case SodiumCall::AeadEncryptSmall: return "xchacha20poly1305_encrypt(<256B)";
    case SodiumCall::AeadDecryptLarge: return "xchacha20poly1305_decrypt(>=256B)";
    case SodiumCall::AeadDecryptSmall: return "xchacha20poly1305_decrypt(<256B)";
    case SodiumCall::RandomBytes: return "randombytes_buf";
    case SodiumCall::Sha256: return "crypto_hash_sha256";
    case SodiumCall::Sha256Final: return "crypto_hash_sha256_final";
    case SodiumCall::Sha512Final: return "crypto_hash_sha512[_final]";
    case SodiumCall::GenericHash: return "crypto_generichash";
    case SodiumCall::SignDetached: return "crypto_sign_detached";
    case SodiumCall::EdValidPoint: return "crypto_core_ed25519_is_valid_point";
    case SodiumCall::SodiumMalloc: return "sodium_malloc";
    case SodiumCall::SodiumFree: return "sodium_free";
    case SodiumCall::SodiumMlock: return "sodium_mlock";
    case SodiumCall::SodiumMunlock: return "sodium_munlock";
    case SodiumCall::kCount: break;
  }
  return "?";
}

bool is_overhead(SodiumCall call) {
  return call == SodiumCall::SodiumMalloc || call == SodiumCall::SodiumFree ||
         call == SodiumCall::SodiumMlock || call == SodiumCall::SodiumMunlock;
}

}  // namespace exile::bench

using exile::bench::SodiumCall;

// The wrappers have libsodium's exact signatures (sodium.h, 1.0.18).
extern "C" {

int __real_crypto_scalarmult(unsigned char* q, const unsigned char* n, const unsigned char* p);
int __wrap_crypto_scalarmult(unsigned char* q, const unsigned char* n, const unsigned char* p) {
  exile::bench::count(SodiumCall::Scalarmult);
  return __real_crypto_scalarmult(q, n, p);
}

int __real_crypto_scalarmult_base(unsigned char* q, const unsigned char* n);
int __wrap_crypto_scalarmult_base(unsigned char* q, const unsigned char* n) {
  exile::bench::count(SodiumCall::ScalarmultBase);
  return __real_crypto_scalarmult_base(q, n);
}

int __real_crypto_sign_verify_detached(const unsigned char* sig, const unsigned char* m,
                                       unsigned long long mlen, const unsigned char* pk);
int __wrap_crypto_sign_verify_detached(const unsigned char* sig, const unsigned char* m,
                                       unsigned long long mlen, const unsigned char* pk) {
  exile::bench::count(SodiumCall::SignVerifyDetached);
  return __real_crypto_sign_verify_detached(sig, m, mlen, pk);
}

int __real_crypto_sign_detached(unsigned char* sig, unsigned long long* siglen_p,
                                const unsigned char* m, unsigned long long mlen,
                                const unsigned char* sk);
int __wrap_crypto_sign_detached(unsigned char* sig, unsigned long long* siglen_p,
                                const unsigned char* m, unsigned long long mlen,
                                const unsigned char* sk) {
  exile::bench::count(SodiumCall::SignDetached);
  return __real_crypto_sign_detached(sig, siglen_p, m, mlen, sk);
}

int __real_crypto_sign_ed25519_pk_to_curve25519(unsigned char* curve25519_pk,
                                                const unsigned char* ed25519_pk);
int __wrap_crypto_sign_ed25519_pk_to_curve25519(unsigned char* curve25519_pk,
                                                const unsigned char* ed25519_pk) {
  exile::bench::count(SodiumCall::PkToCurve25519);
  return __real_crypto_sign_ed25519_pk_to_curve25519(curve25519_pk, ed25519_pk);
}

int __real_crypto_core_ed25519_is_valid_point(const unsigned char* p);
int __wrap_crypto_core_ed25519_is_valid_point(const unsigned char* p) {
  exile::bench::count(SodiumCall::EdValidPoint);
  return __real_crypto_core_ed25519_is_valid_point(p);
}

int __real_crypto_auth_hmacsha256(unsigned char* out, const unsigned char* in,
                                  unsigned long long inlen, const unsigned char* k);
int __wrap_crypto_auth_hmacsha256(unsigned char* out, const unsigned char* in,
                                  unsigned long long inlen, const unsigned char* k) {
  exile::bench::count(SodiumCall::HmacSha256);
  return __real_crypto_auth_hmacsha256(out, in, inlen, k);
}

int __real_crypto_auth_hmacsha256_init(crypto_auth_hmacsha256_state* state,
                                       const unsigned char* key, size_t keylen);
int __wrap_crypto_auth_hmacsha256_init(crypto_auth_hmacsha256_state* state,
                                       const unsigned char* key, size_t keylen) {
  exile::bench::count(SodiumCall::HmacSha256Init);
  return __real_crypto_auth_hmacsha256_init(state, key, keylen);
}

int __real_crypto_auth_hmacsha256_final(crypto_auth_hmacsha256_state* state, unsigned char* out);
int __wrap_crypto_auth_hmacsha256_final(crypto_auth_hmacsha256_state* state, unsigned char* out) {
  exile::bench::count(SodiumCall::HmacSha256Final);
  return __real_crypto_auth_hmacsha256_final(state, out);
}

int __real_crypto_aead_xchacha20poly1305_ietf_encrypt(
    unsigned char* c, unsigned long long* clen_p, const unsigned char* m, unsigned long long mlen,
    const unsigned char* ad, unsigned long long adlen, const unsigned char* nsec,
    const unsigned char* npub, const unsigned char* k);
int __wrap_crypto_aead_xchacha20poly1305_ietf_encrypt(
    unsigned char* c, unsigned long long* clen_p, const unsigned char* m, unsigned long long mlen,
    const unsigned char* ad, unsigned long long adlen, const unsigned char* nsec,
    const unsigned char* npub, const unsigned char* k) {
  exile::bench::count(mlen >= exile::bench::kLargeAead ? SodiumCall::AeadEncryptLarge
                                                       : SodiumCall::AeadEncryptSmall);
  return __real_crypto_aead_xchacha20poly1305_ietf_encrypt(c, clen_p, m, mlen, ad, adlen, nsec,
                                                           npub, k);
}

int __real_crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
    unsigned char* c, unsigned char* mac, unsigned long long* maclen_p, const unsigned char* m,
    unsigned long long mlen, const unsigned char* ad, unsigned long long adlen,
    const unsigned char* nsec, const unsigned char* npub, const unsigned char* k);
int __wrap_crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
    unsigned char* c, unsigned char* mac, unsigned long long* maclen_p, const unsigned char* m,
    unsigned long long mlen, const unsigned char* ad, unsigned long long adlen,
    const unsigned char* nsec, const unsigned char* npub, const unsigned char* k) {
  exile::bench::count(mlen >= exile::bench::kLargeAead ? SodiumCall::AeadEncryptLarge
                                                       : SodiumCall::AeadEncryptSmall);
  return __real_crypto_aead_xchacha20poly1305_ietf_encrypt_detached(c, mac, maclen_p, m, mlen, ad,
                                                                    adlen, nsec, npub, k);
}

int __real_crypto_aead_xchacha20poly1305_ietf_decrypt(
    unsigned char* m, unsigned long long* mlen_p, unsigned char* nsec, const unsigned char* c,
    unsigned long long clen, const unsigned char* ad, unsigned long long adlen,
    const unsigned char* npub, const unsigned char* k);
int __wrap_crypto_aead_xchacha20poly1305_ietf_decrypt(
    unsigned char* m, unsigned long long* mlen_p, unsigned char* nsec, const unsigned char* c,
    unsigned long long clen, const unsigned char* ad, unsigned long long adlen,
    const unsigned char* npub, const unsigned char* k) {
  exile::bench::count(clen >= exile::bench::kLargeAead ? SodiumCall::AeadDecryptLarge
                                                       : SodiumCall::AeadDecryptSmall);
  return __real_crypto_aead_xchacha20poly1305_ietf_decrypt(m, mlen_p, nsec, c, clen, ad, adlen,
                                                           npub, k);
}

int __real_crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
    unsigned char* m, unsigned char* nsec, const unsigned char* c, unsigned long long clen,
    const unsigned char* mac, const unsigned char* ad, unsigned long long adlen,
    const unsigned char* npub, const unsigned char* k);
int __wrap_crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
    unsigned char* m, unsigned char* nsec, const unsigned char* c, unsigned long long clen,
    const unsigned char* mac, const unsigned char* ad, unsigned long long adlen,
    const unsigned char* npub, const unsigned char* k) {
  exile::bench::count(clen >= exile::bench::kLargeAead ? SodiumCall::AeadDecryptLarge
                                                       : SodiumCall::AeadDecryptSmall);
  return __real_crypto_aead_xchacha20poly1305_ietf_decrypt_detached(m, nsec, c, clen, mac, ad,
                                                                    adlen, npub, k);
}

void __real_randombytes_buf(void* buf, size_t size);
void __wrap_randombytes_buf(void* buf, size_t size) {
  exile::bench::count(SodiumCall::RandomBytes);
  __real_randombytes_buf(buf, size);
}

int __real_crypto_hash_sha256(unsigned char* out, const unsigned char* in,
                              unsigned long long inlen);
int __wrap_crypto_hash_sha256(unsigned char* out, const unsigned char* in,
                              unsigned long long inlen) {
  exile::bench::count(SodiumCall::Sha256);
  return __real_crypto_hash_sha256(out, in, inlen);
}

int __real_crypto_hash_sha256_final(crypto_hash_sha256_state* state, unsigned char* out);
int __wrap_crypto_hash_sha256_final(crypto_hash_sha256_state* state, unsigned char* out) {
  exile::bench::count(SodiumCall::Sha256Final);
  return __real_crypto_hash_sha256_final(state, out);
}

int __real_crypto_hash_sha512(unsigned char* out, const unsigned char* in,
                              unsigned long long inlen);
int __wrap_crypto_hash_sha512(unsigned char* out, const unsigned char* in,
                              unsigned long long inlen) {
  exile::bench::count(SodiumCall::Sha512Final);
  return __real_crypto_hash_sha512(out, in, inlen);
}

int __real_crypto_hash_sha512_final(crypto_hash_sha512_state* state, unsigned char* out);
int __wrap_crypto_hash_sha512_final(crypto_hash_sha512_state* state, unsigned char* out) {
  exile::bench::count(SodiumCall::Sha512Final);
  return __real_crypto_hash_sha512_final(state, out);
}

int __real_crypto_generichash(unsigned char* out, size_t outlen, const unsigned char* in,
                              unsigned long long inlen, const unsigned char* key, size_t keylen);
int __wrap_crypto_generichash(unsigned char* out, size_t outlen, const unsigned char* in,
                              unsigned long long inlen, const unsigned char* key, size_t keylen) {
  exile::bench::count(SodiumCall::GenericHash);
  return __real_crypto_generichash(out, outlen, in, inlen, key, keylen);
}

void* __real_sodium_malloc(size_t size);
void* __wrap_sodium_malloc(size_t size) {
  exile::bench::count(SodiumCall::SodiumMalloc);
  return __real_sodium_malloc(size);
}

void __real_sodium_free(void* ptr);
void __wrap_sodium_free(void* ptr) {
  exile::bench::count(SodiumCall::SodiumFree);
  __real_sodium_free(ptr);
}

int __real_sodium_mlock(void* addr, size_t len);
int __wrap_sodium_mlock(void* addr, size_t len) {
  exile::bench::count(SodiumCall::SodiumMlock);
  return __real_sodium_mlock(addr, len);
}

int __real_sodium_munlock(void* addr, size_t len);
int __wrap_sodium_munlock(void* addr, size_t len) {
  exile::bench::count(SodiumCall::SodiumMunlock);
  return __real_sodium_munlock(addr, len);
}

}  // extern "C"
