#include "crypto/detail/envelope.h"

#include <sodium.h>

#include <algorithm>

#include "common/secure_buffer.h"
#include "crypto/detail/padding.h"

namespace exile::crypto::detail {

Result<RatchetEnvelopeView> parse_ratchet_envelope(ByteView envelope) {
  if (envelope.size() < kBodyOffset + kAeadTagBytes) {
    return fail(ErrorCode::MalformedMessage, "envelope: too short");
  }
  if (envelope[0] != kRatchetType)
    return fail(ErrorCode::MalformedMessage, "envelope: not ratchet");
  const std::size_t body = envelope.size() - kBodyOffset;
  if (!is_bucket_size(body - kAeadTagBytes)) {
    return fail(ErrorCode::MalformedMessage, "envelope: not a padding bucket size");
  }
  return RatchetEnvelopeView{
      .covered = envelope.first(kBodyOffset),
      .header_nonce = envelope.subspan(kHeaderNonceOffset, kAeadNonceBytes),
      .sealed_header = envelope.subspan(kSealedHeaderOffset, kSealedHeaderBytes),
      .body = envelope.subspan(kBodyOffset),
  };
}

void seal_header(std::span<std::uint8_t, kSealedHeaderBytes> out, const Header& header,
                 ConstKey32 header_key, ByteView nonce, ByteView associated_data) {
  std::uint8_t plain[kHeaderPlainBytes];
  std::copy(header.ratchet_key.begin(), header.ratchet_key.end(), plain);
  store_u32(plain + kX25519Bytes, header.previous_count);
  store_u32(plain + kX25519Bytes + 4, header.count);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), nullptr, plain, sizeof plain,
                                             associated_data.data(), associated_data.size(),
                                             nullptr, nonce.data(), header_key.data());
}

std::uint64_t& header_trials() {
  thread_local std::uint64_t trials = 0;
  return trials;
}

bool open_header(Header& out, const RatchetEnvelopeView& envelope, ConstKey32 header_key,
                 ByteView associated_data) {
  ++header_trials();
  std::uint8_t plain[kHeaderPlainBytes];
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain, nullptr, nullptr, envelope.sealed_header.data(), envelope.sealed_header.size(),
          associated_data.data(), associated_data.size(), envelope.header_nonce.data(),
          header_key.data()) != 0) {
    return false;
  }
  std::copy_n(plain, kX25519Bytes, out.ratchet_key.begin());
  out.previous_count = load_u32(plain + kX25519Bytes);
  out.count = load_u32(plain + kX25519Bytes + 4);
  return true;
}

void seal_body_in_place(MutableByteView body, const MessageKeys& keys, ByteView body_ad) {
  const std::size_t plain_size = body.size() - kAeadTagBytes;
  crypto_aead_xchacha20poly1305_ietf_encrypt(body.data(), nullptr, body.data(), plain_size,
                                             body_ad.data(), body_ad.size(), nullptr, keys.nonce(),
                                             keys.key());
}

bool open_body(MutableByteView out, ByteView body, const MessageKeys& keys, ByteView body_ad) {
  return crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), nullptr, nullptr, body.data(),
                                                    body.size(), body_ad.data(), body_ad.size(),
                                                    keys.nonce(), keys.key()) == 0;
}

}  // namespace exile::crypto::detail
