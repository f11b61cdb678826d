// Secret memory.
//
// SecureBuffer<N>: N secret bytes in guarded, locked memory (secure_pool.h: blocks carved from
// sodium_malloc'd chunks with guard pages, mlock'ed, excluded from core dumps), zero when made,
// wiped when freed. Non-copyable; moving transfers ownership and leaves the source empty. For
// long-lived secrets: identity keys, prekeys, a session's key block.
//
// SecureBytes: a growable vector of secret bytes on the ordinary heap, always wiped before its
// memory is returned (SecureAllocator). Not locked: locking and unlocking per allocation cost
// four system calls per message (docs/performance.md), and these are short-lived or numerous
// (decrypted plaintext, serialized session state, skipped message keys).
//
// TempSecret<N>: a stack array wiped when it goes out of scope, for intermediate values
// (DH outputs, derived keys before they are committed).
//
// None of them prints its bytes: operator<< writes a redacted placeholder (pinned by
// tests/common/redaction_test.cpp). Copying secret bytes out is explicit (copy_to_insecure).
#pragma once

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <ostream>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/secure_pool.h"
#include "common/sodium.h"

namespace exile {

template <std::size_t N>
class SecureBuffer {
 public:
  static constexpr std::size_t kSize = N;

  // Allocates N zero bytes; throws std::bad_alloc when no guarded memory can be had.
  SecureBuffer() : data_(static_cast<std::uint8_t*>(detail::secure_allocate(N))) {}
  explicit SecureBuffer(ByteView init) : SecureBuffer() {
    if (init.size() != N) std::abort();
    std::copy(init.begin(), init.end(), data_);
  }
  ~SecureBuffer() { detail::secure_deallocate(data_, N); }  // wipes
  SecureBuffer(const SecureBuffer&) = delete;
  SecureBuffer& operator=(const SecureBuffer&) = delete;
  SecureBuffer(SecureBuffer&& other) noexcept : data_(other.data_) { other.data_ = nullptr; }
  SecureBuffer& operator=(SecureBuffer&& other) noexcept {
    if (this != &other) {
      detail::secure_deallocate(data_, N);
      data_ = other.data_;
      other.data_ = nullptr;
    }
    return *this;
  }

  // A moved-from buffer holds nothing; using it is a bug.
  [[nodiscard]] bool valid() const { return data_ != nullptr; }
  [[nodiscard]] std::uint8_t* data() { return data_; }
  [[nodiscard]] const std::uint8_t* data() const { return data_; }
  [[nodiscard]] static constexpr std::size_t size() { return N; }
  [[nodiscard]] std::span<std::uint8_t, N> span() { return std::span<std::uint8_t, N>(data_, N); }
  [[nodiscard]] std::span<const std::uint8_t, N> span() const {
    return std::span<const std::uint8_t, N>(data_, N);
  }
  [[nodiscard]] ByteView view() const { return {data_, N}; }

  // A duplicate in guarded memory (keys are sometimes needed in two places).
  [[nodiscard]] SecureBuffer clone() const { return SecureBuffer(view()); }

  // Constant-time comparison.
  [[nodiscard]] bool equals(const SecureBuffer& other) const {
    return sodium_memcmp(data_, other.data_, N) == 0;
  }

  // The name says it: the bytes leave protected memory.
  [[nodiscard]] Bytes copy_to_insecure() const { return Bytes(data_, data_ + N); }

  void wipe() { sodium_memzero(data_, N); }

 private:
  std::uint8_t* data_ = nullptr;
};

template <std::size_t N>
std::ostream& operator<<(std::ostream& os, const SecureBuffer<N>&) {
  return os << "SecureBuffer<" << N << ">{redacted}";
}

// Allocator that always wipes before freeing.
template <class T>
struct SecureAllocator {
  using value_type = T;
  SecureAllocator() noexcept = default;
  template <class U>
  SecureAllocator(const SecureAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    void* p = std::malloc(n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    sodium_memzero(p, n * sizeof(T));
    std::free(p);
  }
  template <class U>
  bool operator==(const SecureAllocator<U>&) const noexcept {
    return true;
  }
};

using SecureBytes = std::vector<std::uint8_t, SecureAllocator<std::uint8_t>>;

inline std::ostream& operator<<(std::ostream& os, const SecureBytes& bytes) {
  return os << "SecureBytes[" << bytes.size() << "]{redacted}";
}

inline ByteView view(const SecureBytes& bytes) { return {bytes.data(), bytes.size()}; }

inline bool constant_time_equal(ByteView a, ByteView b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

template <std::size_t N>
class TempSecret {
 public:
  TempSecret() { bytes_.fill(0); }
  ~TempSecret() { sodium_memzero(bytes_.data(), N); }
  TempSecret(const TempSecret&) = delete;
  TempSecret& operator=(const TempSecret&) = delete;
  [[nodiscard]] std::uint8_t* data() { return bytes_.data(); }
  [[nodiscard]] const std::uint8_t* data() const { return bytes_.data(); }
  [[nodiscard]] static constexpr std::size_t size() { return N; }
  [[nodiscard]] std::span<std::uint8_t, N> span() { return bytes_; }
  [[nodiscard]] std::span<const std::uint8_t, N> span() const { return bytes_; }
  [[nodiscard]] ByteView view() const { return {bytes_.data(), N}; }

 private:
  std::array<std::uint8_t, N> bytes_;
};

template <std::size_t N>
std::ostream& operator<<(std::ostream& os, const TempSecret<N>&) {
  return os << "TempSecret<" << N << ">{redacted}";
}

}  // namespace exile
