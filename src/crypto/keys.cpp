#include "crypto/keys.h"

#include <algorithm>
#include <ostream>

#include "common/sodium.h"

namespace exile::crypto {
namespace {

// True when the 255-bit little-endian value (top bit ignored) is >= p = 2^255 - 19, i.e.
// when it is the non-canonical encoding of a field element.
bool at_least_p(const std::uint8_t* bytes) {
  if ((bytes[31] & 0x7f) != 0x7f) return false;
  for (int i = 30; i >= 1; --i) {
    if (bytes[i] != 0xff) return false;
  }
  return bytes[0] >= 0xed;
}

}  // namespace

Result<X25519PublicKey> X25519PublicKey::from_bytes(ByteView bytes) {
  if (bytes.size() != kX25519Bytes) return fail(ErrorCode::InvalidKey, "X25519 key: wrong length");
  if ((bytes[31] & 0x80) != 0 || at_least_p(bytes.data())) {
    return fail(ErrorCode::InvalidKey, "X25519 key: non-canonical encoding");
  }
  X25519PublicKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  return key;
}

X25519KeyPair X25519KeyPair::generate(Rng& rng) {
  ensure_sodium();
  SecureBuffer<kX25519Bytes> secret;
  rng.fill(secret.span());
  X25519PublicKey pub;
  crypto_scalarmult_base(pub.bytes_.data(), secret.data());
  return {pub, std::move(secret)};
}

Result<X25519KeyPair> X25519KeyPair::from_secret(ByteView secret_bytes) {
  ensure_sodium();
  if (secret_bytes.size() != kX25519Bytes) {
    return fail(ErrorCode::InvalidKey, "X25519 secret: wrong length");
  }
  SecureBuffer<kX25519Bytes> secret(secret_bytes);
  X25519PublicKey pub;
  crypto_scalarmult_base(pub.bytes_.data(), secret.data());
  return X25519KeyPair(pub, std::move(secret));
}

X25519KeyPair X25519KeyPair::clone() const { return {public_, secret_.clone()}; }

Result<void> x25519(std::span<std::uint8_t, kX25519Bytes> out,
                    std::span<const std::uint8_t, kX25519Bytes> secret,
                    const X25519PublicKey& public_key) {
  if (crypto_scalarmult(out.data(), secret.data(), public_key.bytes().data()) != 0) {
    sodium_memzero(out.data(), out.size());
    return fail(ErrorCode::WeakKey);
  }
  return {};
}

Result<Ed25519Signature> Ed25519Signature::from_bytes(ByteView bytes) {
  if (bytes.size() != kSignatureBytes) {
    return fail(ErrorCode::BadSignature, "signature: wrong length");
  }
  std::array<std::uint8_t, kSignatureBytes> raw{};
  std::copy(bytes.begin(), bytes.end(), raw.begin());
  return Ed25519Signature(raw);
}

Result<IdentityPublicKey> IdentityPublicKey::from_bytes(ByteView bytes) {
  ensure_sodium();
  if (bytes.size() != kEd25519PublicBytes) {
    return fail(ErrorCode::InvalidKey, "identity key: wrong length");
  }
  if (at_least_p(bytes.data())) return fail(ErrorCode::InvalidKey, "identity key: non-canonical");
  std::array<std::uint8_t, kEd25519PublicBytes> ed{};
  std::copy(bytes.begin(), bytes.end(), ed.begin());
  // Rejects small-order points, points off the curve and points outside the prime-order
  // subgroup; this is the one place an identity key is checked, so it is done once.
  std::array<std::uint8_t, kX25519Bytes> x{};
  if (crypto_sign_ed25519_pk_to_curve25519(x.data(), ed.data()) != 0) {
    return fail(ErrorCode::InvalidKey, "identity key: not a valid Ed25519 point");
  }
  auto xk = X25519PublicKey::from_bytes(x);
  if (!xk) return fail(ErrorCode::InvalidKey, "identity key: invalid X25519 form");
  return IdentityPublicKey(ed, *xk);
}

Result<void> IdentityPublicKey::verify(ByteView message, const Ed25519Signature& signature) const {
  if (crypto_sign_verify_detached(signature.bytes().data(), message.data(), message.size(),
                                  ed25519_.data()) != 0) {
    return fail(ErrorCode::BadSignature);
  }
  return {};
}

IdentityKeyPair IdentityKeyPair::generate(Rng& rng) {
  TempSecret<kEd25519SeedBytes> seed;
  rng.fill(seed.span());
  auto pair = from_seed(seed.view());
  if (!pair) std::abort();  // a fresh seed always yields a valid key
  return std::move(*pair);
}

Result<IdentityKeyPair> IdentityKeyPair::from_seed(ByteView seed_bytes) {
  ensure_sodium();
  if (seed_bytes.size() != kEd25519SeedBytes) {
    return fail(ErrorCode::InvalidKey, "identity seed: wrong length");
  }
  SecureBuffer<kEd25519SeedBytes> seed(seed_bytes);
  SecureBuffer<kEd25519SecretBytes> ed_secret;
  std::array<std::uint8_t, kEd25519PublicBytes> ed_public{};
  crypto_sign_seed_keypair(ed_public.data(), ed_secret.data(), seed.data());
  SecureBuffer<kX25519Bytes> x_secret;
  crypto_sign_ed25519_sk_to_curve25519(x_secret.data(), ed_secret.data());
  std::array<std::uint8_t, kX25519Bytes> x_public{};
  crypto_scalarmult_base(x_public.data(), x_secret.data());
  auto xk = X25519PublicKey::from_bytes(x_public);
  if (!xk) return fail(ErrorCode::Internal, "identity: X25519 form");
  return IdentityKeyPair(IdentityPublicKey(ed_public, *xk), std::move(ed_secret),
                         std::move(x_secret), std::move(seed));
}

Ed25519Signature IdentityKeyPair::sign(ByteView message) const {
  std::array<std::uint8_t, kSignatureBytes> sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), ed25519_secret_.data());
  return Ed25519Signature(sig);
}

IdentityKeyPair IdentityKeyPair::clone() const {
  return {public_, ed25519_secret_.clone(), x25519_secret_.clone(), seed_.clone()};
}

std::ostream& operator<<(std::ostream& os, const X25519PublicKey&) {
  return os << "X25519PublicKey{redacted}";
}
std::ostream& operator<<(std::ostream& os, const X25519KeyPair&) {
  return os << "X25519KeyPair{redacted}";
}
std::ostream& operator<<(std::ostream& os, const Ed25519Signature&) {
  return os << "Ed25519Signature{redacted}";
}
std::ostream& operator<<(std::ostream& os, const IdentityPublicKey&) {
  return os << "IdentityPublicKey{redacted}";
}
std::ostream& operator<<(std::ostream& os, const IdentityKeyPair&) {
  return os << "IdentityKeyPair{redacted}";
}

}  // namespace exile::crypto
