// Byte containers for non-secret data. Secrets use SecureBuffer / SecureBytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace exile {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using MutableByteView = std::span<std::uint8_t>;

inline ByteView as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline void append(Bytes& out, ByteView data) { out.insert(out.end(), data.begin(), data.end()); }

// Big-endian fixed-width integers, as every Exile wire format uses.
inline void append_u16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void append_u32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
inline void append_u64(Bytes& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
inline std::uint16_t load_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
inline void store_u32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// Reads a byte string front to back; every read is bounds-checked. Used by the parsers of
// untrusted input so that each length check lives in one place.
class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}
  [[nodiscard]] std::size_t remaining() const { return data_.size() - pos_; }
  [[nodiscard]] bool empty() const { return remaining() == 0; }
  [[nodiscard]] bool read(MutableByteView out) {
    if (remaining() < out.size()) return false;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = data_[pos_ + i];
    pos_ += out.size();
    return true;
  }
  [[nodiscard]] bool read_view(std::size_t n, ByteView& out) {
    if (remaining() < n) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  [[nodiscard]] bool read_u8(std::uint8_t& v) {
    if (remaining() < 1) return false;
    v = data_[pos_++];
    return true;
  }
  [[nodiscard]] bool read_u16(std::uint16_t& v) {
    if (remaining() < 2) return false;
    v = load_u16(data_.data() + pos_);
    pos_ += 2;
    return true;
  }
  [[nodiscard]] bool read_u32(std::uint32_t& v) {
    if (remaining() < 4) return false;
    v = load_u32(data_.data() + pos_);
    pos_ += 4;
    return true;
  }
  [[nodiscard]] ByteView rest() {
    ByteView r = data_.subspan(pos_);
    pos_ = data_.size();
    return r;
  }
  [[nodiscard]] std::size_t position() const { return pos_; }

 private:
  ByteView data_;
  std::size_t pos_ = 0;
};

}  // namespace exile
