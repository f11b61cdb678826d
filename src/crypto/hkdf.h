// HMAC-SHA256 and HKDF-SHA256 (RFC 5869) on libsodium's crypto_auth_hmacsha256_*.
// libsodium 1.0.18 has no HKDF; this one is checked against every RFC 5869 SHA-256 vector
// (tests/crypto/hkdf_test.cpp).
//
// HmacSha256Key keeps the keyed inner/outer hash state, so a key used for several MACs
// (a chain key deriving both the message key and the next chain key) pays for the key
// schedule once. The state is secret: it is wiped on destruction.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/result.h"

namespace exile::crypto {

inline constexpr std::size_t kHmacSha256Bytes = 32;
inline constexpr std::size_t kHkdfMaxOutput = 255 * kHmacSha256Bytes;

class HmacSha256Key {
 public:
  explicit HmacSha256Key(ByteView key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  // out = HMAC(key, part1 ‖ part2 ‖ part3)
  void mac(std::span<std::uint8_t, kHmacSha256Bytes> out, ByteView part1, ByteView part2 = {},
           ByteView part3 = {}) const;

 private:
  crypto_auth_hmacsha256_state state_{};
};

void hmac_sha256(std::span<std::uint8_t, kHmacSha256Bytes> out, ByteView key, ByteView message);

// PRK = HMAC(salt, IKM); an empty salt means 32 zero bytes (RFC 5869 §2.2).
void hkdf_extract(std::span<std::uint8_t, kHmacSha256Bytes> prk, ByteView salt, ByteView ikm);

// OKM of out.size() bytes; fails with InvalidArgument above 255 * 32 bytes.
[[nodiscard]] Result<void> hkdf_expand(MutableByteView out, ByteView prk, ByteView info);

// Extract then expand.
[[nodiscard]] Result<void> hkdf_sha256(MutableByteView out, ByteView salt, ByteView ikm,
                                       ByteView info);

}  // namespace exile::crypto
