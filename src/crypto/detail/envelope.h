// The Ratchet envelope (docs/protocol.md §"Envelope"), parsed here and nowhere else
// (fuzz target: tests/fuzz/fuzz_envelope.cpp):
//
//   offset  size          field
//   0       1             type = 0x01
//   1       24            header nonce (random)
//   25      56            sealed header = XChaCha20-Poly1305(HK, header nonce, AD,
//                                             ratchet key(32) ‖ u32 BE PN ‖ u32 BE N)
//   81      bucket + 16   body = XChaCha20-Poly1305(message key, derived nonce,
//                                             AD ‖ envelope[0, 81), padded plaintext)
//
// bucket is one of kPaddingBuckets; any other length is malformed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/detail/chain.h"
#include "crypto/keys.h"

namespace exile::crypto::detail {

inline constexpr std::uint8_t kRatchetType = 0x01;
inline constexpr std::size_t kHeaderNonceOffset = 1;
inline constexpr std::size_t kSealedHeaderOffset = kHeaderNonceOffset + kAeadNonceBytes;  // 25
inline constexpr std::size_t kHeaderPlainBytes = kX25519Bytes + 4 + 4;                    // 40
inline constexpr std::size_t kSealedHeaderBytes = kHeaderPlainBytes + kAeadTagBytes;      // 56
inline constexpr std::size_t kBodyOffset = kSealedHeaderOffset + kSealedHeaderBytes;      // 81

// The size of a Ratchet envelope whose padded plaintext is `bucket` bytes.
[[nodiscard]] constexpr std::size_t ratchet_envelope_size(std::size_t bucket) {
  return kBodyOffset + bucket + kAeadTagBytes;
}

struct Header {
  std::array<std::uint8_t, kX25519Bytes> ratchet_key{};
  std::uint32_t previous_count = 0;  // PN
  std::uint32_t count = 0;           // N
};

struct RatchetEnvelopeView {
  ByteView covered;        // bytes [0, 81): type, header nonce, sealed header (body AD suffix)
  ByteView header_nonce;   // 24 bytes
  ByteView sealed_header;  // 56 bytes
  ByteView body;           // bucket + 16 bytes
};

// Checks the type and the exact length; no cryptography.
[[nodiscard]] Result<RatchetEnvelopeView> parse_ratchet_envelope(ByteView envelope);

// out (56 bytes) = sealed header.
void seal_header(std::span<std::uint8_t, kSealedHeaderBytes> out, const Header& header,
                 ConstKey32 header_key, ByteView nonce, ByteView associated_data);
// How many header keys open_header has tried on this thread: the work a receiver does per
// envelope before it gives up (docs/protocol.md §5.10). Tests bound it; one increment per
// trial costs nothing next to the AEAD.
[[nodiscard]] std::uint64_t& header_trials();

// Opens a sealed header under one header key; false if it does not open.
[[nodiscard]] bool open_header(Header& out, const RatchetEnvelopeView& envelope,
                               ConstKey32 header_key, ByteView associated_data);

// Encrypts body[0, body.size() - 16) in place, appending the tag.
void seal_body_in_place(MutableByteView body, const MessageKeys& keys, ByteView body_ad);
// Decrypts the body into out (body.size() - 16 bytes); false if it does not verify.
[[nodiscard]] bool open_body(MutableByteView out, ByteView body, const MessageKeys& keys,
                             ByteView body_ad);

}  // namespace exile::crypto::detail
