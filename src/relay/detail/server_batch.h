// Building a ServerBatch (proto/relay.proto; docs/relay-protocol.md §1) from ServerFrames that
// are already serialized. A batch's wire form is, for each frame, the tag of field 1 (0x0A), the
// frame's length as a varint, then the frame's bytes: concatenating these records is exactly
// what the generated code would serialize, so no frame is parsed or serialized twice.
//
// Header-only: used by the connection (server side), and by tests that check the equivalence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace exile::relay::detail {

// The tag of ServerBatch.frames: field 1, wire type 2 (length-delimited).
inline constexpr char kServerBatchFrameTag = 0x0A;

// Bytes the tag and length prefix of a frame of `frame_bytes` bytes take.
[[nodiscard]] constexpr std::size_t server_batch_prefix_bytes(std::size_t frame_bytes) {
  std::size_t varint = 1;
  for (std::uint64_t rest = frame_bytes >> 7; rest != 0; rest >>= 7) ++varint;
  return 1 + varint;
}

// Bytes `frame` adds to a batch.
[[nodiscard]] constexpr std::size_t server_batch_record_bytes(std::size_t frame_bytes) {
  return server_batch_prefix_bytes(frame_bytes) + frame_bytes;
}

// Appends one serialized ServerFrame to the batch being built in `batch`.
inline void append_server_batch_frame(std::string& batch, std::string_view frame) {
  char prefix[11];
  std::size_t n = 0;
  prefix[n++] = kServerBatchFrameTag;
  std::uint64_t length = frame.size();
  while (length >= 0x80) {
    prefix[n++] = static_cast<char>((length & 0x7F) | 0x80);
    length >>= 7;
  }
  prefix[n++] = static_cast<char>(length);
  batch.append(prefix, n);
  batch.append(frame);
}

}  // namespace exile::relay::detail
