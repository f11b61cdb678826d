// Plaintext padding (docs/protocol.md §"Padding"): ISO/IEC 7816-4, byte for byte what
// libsodium's sodium_pad / sodium_unpad produce and accept with block size = the bucket:
// plaintext ‖ 0x80 ‖ 0x00…, up to the smallest bucket of kPaddingBuckets that holds
// plaintext + 1 byte, so envelopes come in exactly four sizes.
//
// Not sodium_pad / sodium_unpad themselves: libsodium 1.0.18 makes both walk the whole block
// through a volatile variable (2.7 µs for 1 KiB, 170 µs for 64 KiB, more than the AEAD over the
// same bytes). Their constant time buys nothing here: the sender knows its plaintext length,
// and the receiver unpads only after the AEAD has authenticated the body (no padding oracle),
// then hands the plaintext, length and all, to the application. tests/crypto/padding_test.cpp
// checks both functions against libsodium's.
#pragma once

#include <cstddef>
#include <optional>

#include "common/bytes.h"

namespace exile::crypto::detail {

// The padded size for a plaintext of `length` bytes; nothing above kMaxPlaintext.
[[nodiscard]] std::optional<std::size_t> padded_size(std::size_t length);
// True when `size` is one of the buckets (the only valid padded sizes).
[[nodiscard]] bool is_bucket_size(std::size_t size);

// Pads buffer[0, length) to buffer.size() in place; length < buffer.size().
void pad_in_place(MutableByteView buffer, std::size_t length);
// The unpadded length of a padded buffer, or nothing when the padding is malformed (when
// the last non-zero byte is not 0x80, or there is none).
[[nodiscard]] std::optional<std::size_t> unpadded_length(ByteView buffer);

}  // namespace exile::crypto::detail
