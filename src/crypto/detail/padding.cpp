#include "crypto/detail/padding.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "crypto/limits.h"

namespace exile::crypto::detail {

std::optional<std::size_t> padded_size(std::size_t length) {
  if (length > kMaxPlaintext) return std::nullopt;
  for (std::size_t bucket : kPaddingBuckets) {
    if (bucket >= length + 1) return bucket;
  }
  return std::nullopt;
}

bool is_bucket_size(std::size_t size) {
  return std::find(std::begin(kPaddingBuckets), std::end(kPaddingBuckets), size) !=
         std::end(kPaddingBuckets);
}

void pad_in_place(MutableByteView buffer, std::size_t length) {
  if (length >= buffer.size()) std::abort();  // the caller chose the bucket: unreachable
  buffer[length] = 0x80;
  std::memset(buffer.data() + length + 1, 0, buffer.size() - length - 1);
}

std::optional<std::size_t> unpadded_length(ByteView buffer) {
  std::size_t end = buffer.size();
  // Skip the zero tail a word at a time; the padding is most of a short message's bucket.
  while (end >= 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, buffer.data() + end - 8, 8);
    if (word != 0) break;
    end -= 8;
  }
  while (end > 0 && buffer[end - 1] == 0) --end;
  if (end == 0 || buffer[end - 1] != 0x80) return std::nullopt;
  return end - 1;
}

}  // namespace exile::crypto::detail
