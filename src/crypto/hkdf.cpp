#include "crypto/hkdf.h"

#include <algorithm>

#include "common/secure_buffer.h"
#include "common/sodium.h"

namespace exile::crypto {

HmacSha256Key::HmacSha256Key(ByteView key) {
  ensure_sodium();
  crypto_auth_hmacsha256_init(&state_, key.data(), key.size());
}

HmacSha256Key::~HmacSha256Key() { sodium_memzero(&state_, sizeof state_); }

void HmacSha256Key::mac(std::span<std::uint8_t, kHmacSha256Bytes> out, ByteView part1,
                        ByteView part2, ByteView part3) const {
  crypto_auth_hmacsha256_state st = state_;
  crypto_auth_hmacsha256_update(&st, part1.data(), part1.size());
  if (!part2.empty()) crypto_auth_hmacsha256_update(&st, part2.data(), part2.size());
  if (!part3.empty()) crypto_auth_hmacsha256_update(&st, part3.data(), part3.size());
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
}

void hmac_sha256(std::span<std::uint8_t, kHmacSha256Bytes> out, ByteView key, ByteView message) {
  HmacSha256Key(key).mac(out, message);
}

void hkdf_extract(std::span<std::uint8_t, kHmacSha256Bytes> prk, ByteView salt, ByteView ikm) {
  static constexpr std::uint8_t kZeroSalt[kHmacSha256Bytes] = {};
  hmac_sha256(prk, salt.empty() ? ByteView(kZeroSalt) : salt, ikm);
}

Result<void> hkdf_expand(MutableByteView out, ByteView prk, ByteView info) {
  if (out.size() > kHkdfMaxOutput) return fail(ErrorCode::InvalidArgument, "hkdf: output too long");
  const HmacSha256Key key(prk);
  TempSecret<kHmacSha256Bytes> block;
  std::size_t produced = 0;
  for (std::uint8_t counter = 1; produced < out.size(); ++counter) {
    const std::uint8_t c[1] = {counter};
    if (counter == 1) {
      key.mac(block.span(), info, c);
    } else {
      key.mac(block.span(), block.view(), info, c);
    }
    const std::size_t take = std::min(out.size() - produced, kHmacSha256Bytes);
    std::copy_n(block.data(), take, out.data() + produced);
    produced += take;
  }
  return {};
}

Result<void> hkdf_sha256(MutableByteView out, ByteView salt, ByteView ikm, ByteView info) {
  TempSecret<kHmacSha256Bytes> prk;
  hkdf_extract(prk.span(), salt, ikm);
  return hkdf_expand(out, prk.view(), info);
}

}  // namespace exile::crypto
