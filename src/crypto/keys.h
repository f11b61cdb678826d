// Key types: X25519 key pairs for Diffie-Hellman, the Ed25519 identity key (with its X25519
// form), signatures, and the checked DH and verify operations. Every untrusted public key
// passes through one of the validating constructors here before use.
//
// No key type prints its bytes (operator<< is redacting): even public keys are identifiers
// that must not reach a log line.
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <iosfwd>
#include <span>

#include "common/bytes.h"
#include "common/result.h"
#include "common/rng.h"
#include "common/secure_buffer.h"

namespace exile::crypto {

inline constexpr std::size_t kX25519Bytes = 32;
inline constexpr std::size_t kEd25519PublicBytes = 32;
inline constexpr std::size_t kEd25519SecretBytes = 64;
inline constexpr std::size_t kEd25519SeedBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;

// A canonical X25519 public key (u < 2^255 - 19). Low-order points are caught when used
// (x25519() fails on an all-zero result), as libsodium reports them.
class X25519PublicKey {
 public:
  // Rejects non-canonical encodings (high bit set, or u >= p) with InvalidKey.
  [[nodiscard]] static Result<X25519PublicKey> from_bytes(ByteView bytes);
  [[nodiscard]] const std::array<std::uint8_t, kX25519Bytes>& bytes() const { return bytes_; }
  [[nodiscard]] ByteView view() const { return bytes_; }
  friend bool operator==(const X25519PublicKey&, const X25519PublicKey&) = default;

 private:
  X25519PublicKey() = default;
  friend class X25519KeyPair;
  std::array<std::uint8_t, kX25519Bytes> bytes_{};
};

class X25519KeyPair {
 public:
  [[nodiscard]] static X25519KeyPair generate(Rng& rng);
  [[nodiscard]] static Result<X25519KeyPair> from_secret(ByteView secret);
  [[nodiscard]] const X25519PublicKey& public_key() const { return public_; }
  [[nodiscard]] const SecureBuffer<kX25519Bytes>& secret() const { return secret_; }
  [[nodiscard]] X25519KeyPair clone() const;

 private:
  X25519KeyPair(X25519PublicKey pub, SecureBuffer<kX25519Bytes> secret)
      : public_(pub), secret_(std::move(secret)) {}
  X25519PublicKey public_;
  SecureBuffer<kX25519Bytes> secret_;
};

// out = X25519(secret, public). Fails with WeakKey when the result is all zero (the peer
// sent a low-order point); out is zeroed then.
[[nodiscard]] Result<void> x25519(std::span<std::uint8_t, kX25519Bytes> out,
                                  std::span<const std::uint8_t, kX25519Bytes> secret,
                                  const X25519PublicKey& public_key);

class Ed25519Signature {
 public:
  [[nodiscard]] static Result<Ed25519Signature> from_bytes(ByteView bytes);
  explicit Ed25519Signature(const std::array<std::uint8_t, kSignatureBytes>& bytes)
      : bytes_(bytes) {}
  [[nodiscard]] const std::array<std::uint8_t, kSignatureBytes>& bytes() const { return bytes_; }
  [[nodiscard]] ByteView view() const { return bytes_; }

 private:
  std::array<std::uint8_t, kSignatureBytes> bytes_{};
};

// An Ed25519 public key that is canonical (y < p, sign bit ignored: checked by hand in
// from_bytes), on the curve, not of small order and in the prime-order subgroup (checked by
// crypto_sign_ed25519_pk_to_curve25519, which refuses all three and yields the X25519 form),
// with its X25519 form computed once. docs/protocol.md §2.3.
class IdentityPublicKey {
 public:
  [[nodiscard]] static Result<IdentityPublicKey> from_bytes(ByteView bytes);
  [[nodiscard]] const std::array<std::uint8_t, kEd25519PublicBytes>& bytes() const {
    return ed25519_;
  }
  [[nodiscard]] ByteView view() const { return ed25519_; }
  [[nodiscard]] const X25519PublicKey& x25519() const { return x25519_; }
  // Verifies an Ed25519 signature (libsodium: strict, rejects S >= L and non-canonical R).
  [[nodiscard]] Result<void> verify(ByteView message, const Ed25519Signature& signature) const;
  friend bool operator==(const IdentityPublicKey& a, const IdentityPublicKey& b) {
    return a.ed25519_ == b.ed25519_;
  }

 private:
  IdentityPublicKey(const std::array<std::uint8_t, kEd25519PublicBytes>& ed, X25519PublicKey x)
      : ed25519_(ed), x25519_(x) {}
  friend class IdentityKeyPair;
  std::array<std::uint8_t, kEd25519PublicBytes> ed25519_{};
  X25519PublicKey x25519_;
};

// The profile's long-term identity: Ed25519 for signatures, its X25519 form for X3DH.
class IdentityKeyPair {
 public:
  [[nodiscard]] static IdentityKeyPair generate(Rng& rng);
  // From the 32-byte seed (what backups and the store keep).
  [[nodiscard]] static Result<IdentityKeyPair> from_seed(ByteView seed);
  [[nodiscard]] const IdentityPublicKey& public_key() const { return public_; }
  [[nodiscard]] Ed25519Signature sign(ByteView message) const;
  [[nodiscard]] const SecureBuffer<kX25519Bytes>& x25519_secret() const { return x25519_secret_; }
  [[nodiscard]] const SecureBuffer<kEd25519SeedBytes>& seed() const { return seed_; }
  [[nodiscard]] IdentityKeyPair clone() const;

 private:
  IdentityKeyPair(IdentityPublicKey pub, SecureBuffer<kEd25519SecretBytes> ed_secret,
                  SecureBuffer<kX25519Bytes> x_secret, SecureBuffer<kEd25519SeedBytes> seed)
      : public_(pub),
        ed25519_secret_(std::move(ed_secret)),
        x25519_secret_(std::move(x_secret)),
        seed_(std::move(seed)) {}
  IdentityPublicKey public_;
  SecureBuffer<kEd25519SecretBytes> ed25519_secret_;
  SecureBuffer<kX25519Bytes> x25519_secret_;
  SecureBuffer<kEd25519SeedBytes> seed_;
};

std::ostream& operator<<(std::ostream& os, const X25519PublicKey&);
std::ostream& operator<<(std::ostream& os, const X25519KeyPair&);
std::ostream& operator<<(std::ostream& os, const Ed25519Signature&);
std::ostream& operator<<(std::ostream& os, const IdentityPublicKey&);
std::ostream& operator<<(std::ostream& os, const IdentityKeyPair&);

}  // namespace exile::crypto
