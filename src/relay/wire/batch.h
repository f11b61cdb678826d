// Batches (proto/relay.proto; docs/relay-protocol.md §1): every binary WebSocket message of the
// relay protocol, in either direction, is a batch of frames, a ClientBatch of ClientFrames or a
// ServerBatch of ServerFrames. A batch's wire form is, for each frame, the tag of field 1 (0x0A),
// the frame's length as a varint, then the frame's bytes. Concatenating these records is exactly
// what the generated code serializes, so a sender builds a batch from frames it has already
// serialized, and a receiver walks the records without parsing the batch as a message (no copy
// of the frames).
//
// Header-only: used by the relay, the client (RelayConnection), the load generator, tests and
// fuzzers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "relay/wire/wire.h"

namespace exile::relay::wire {

// The tag of ClientBatch.frames and ServerBatch.frames: field 1, wire type 2 (length-delimited).
inline constexpr std::uint8_t kBatchRecordTag = 0x0A;

// Bytes the tag and length prefix of a frame of `frame_bytes` bytes take.
[[nodiscard]] constexpr std::size_t batch_prefix_bytes(std::size_t frame_bytes) {
  std::size_t varint = 1;
  for (std::uint64_t rest = frame_bytes >> 7; rest != 0; rest >>= 7) ++varint;
  return 1 + varint;
}

// Bytes `frame` adds to a batch.
[[nodiscard]] constexpr std::size_t batch_record_bytes(std::size_t frame_bytes) {
  return batch_prefix_bytes(frame_bytes) + frame_bytes;
}

// Whether a client batch of `batch_bytes` bytes and `frames` frames takes one more frame of
// `frame_bytes` bytes within the protocol's limits (kMaxClientBatchFrames,
// kMaxClientMessageBytes); a sender starts a new batch when it does not. An empty batch always
// has room: a single frame always fits.
[[nodiscard]] constexpr bool client_batch_has_room(std::size_t batch_bytes, std::size_t frames,
                                                   std::size_t frame_bytes) {
  return frames < kMaxClientBatchFrames &&
         batch_bytes + batch_record_bytes(frame_bytes) <= kMaxClientMessageBytes;
}

// Appends one serialized frame to the batch being built in `batch`.
inline void append_batch_record(std::string& batch, std::string_view frame) {
  char prefix[11];
  std::size_t n = 0;
  prefix[n++] = static_cast<char>(kBatchRecordTag);
  std::uint64_t length = frame.size();
  while (length >= 0x80) {
    prefix[n++] = static_cast<char>((length & 0x7F) | 0x80);
    length >>= 7;
  }
  prefix[n++] = static_cast<char>(length);
  batch.append(prefix, n);
  batch.append(frame);
}

// Walks the records of a received batch, front to back. next() gives each frame's bytes (a view
// into the batch) and nullopt at the end; a record that is not a field-1 record, a length varint
// longer than 5 bytes or cut short, or a length past the end of the batch makes next() return
// nullopt with malformed() true. A batch is nothing but its records: a receiver that finds
// anything else treats the whole message as malformed.
class BatchReader {
 public:
  explicit BatchReader(ByteView batch) : rest_(batch) {}

  [[nodiscard]] std::optional<ByteView> next() {
    if (rest_.empty() || malformed_) return std::nullopt;
    if (rest_[0] != kBatchRecordTag) return fail();
    std::uint64_t length = 0;
    std::size_t at = 1;
    for (int shift = 0;; shift += 7) {
      if (at >= rest_.size() || shift > 28) return fail();
      const std::uint8_t byte = rest_[at++];
      length |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) break;
    }
    if (length > rest_.size() - at) return fail();
    const ByteView frame = rest_.subspan(at, static_cast<std::size_t>(length));
    rest_ = rest_.subspan(at + static_cast<std::size_t>(length));
    return frame;
  }

  [[nodiscard]] bool malformed() const { return malformed_; }

 private:
  std::optional<ByteView> fail() {
    malformed_ = true;
    return std::nullopt;
  }

  ByteView rest_;
  bool malformed_ = false;
};

}  // namespace exile::relay::wire
