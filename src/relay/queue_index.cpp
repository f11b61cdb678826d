#include "relay/queue_index.h"

#include <sodium.h>

#include <cstring>

#include "common/sodium.h"

namespace exile::relay {

// ---- FingerprintSet -------------------------------------------------------------------------

std::size_t FingerprintSet::home(std::uint32_t fingerprint) const {
  // Fibonacci hashing spreads the fingerprint's bits over the table (its size is a power of two).
  return static_cast<std::size_t>((fingerprint * 0x9E3779B97F4A7C15ull) >> 32) &
         (slots_.size() - 1);
}

void FingerprintSet::rebuild(std::size_t capacity) {
  std::vector<std::uint32_t> old;
  old.swap(slots_);
  slots_.assign(capacity, kEmpty);
  size_ = 0;
  erased_ = 0;
  for (std::uint32_t f : old) {
    if (f != kEmpty && f != kErased) insert(f);
  }
}

void FingerprintSet::insert(std::uint32_t fingerprint) {
  if (fingerprint <= kErased) fingerprint += 2;
  if (slots_.empty()) slots_.assign(1024, kEmpty);
  if ((size_ + erased_ + 1) * 4 > slots_.size() * 3) {
    // 3/4 of the slots are taken (live or erased): rebuild at the smallest size that is at most
    // half full with the live ones (grown, the same, or shrunk after many erasures).
    std::size_t capacity = 1024;
    while (capacity < (size_ + 1) * 2) capacity *= 2;
    rebuild(capacity);
  }
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(fingerprint);; i = (i + 1) & mask) {
    if (slots_[i] == kEmpty || slots_[i] == kErased) {
      if (slots_[i] == kErased) --erased_;
      slots_[i] = fingerprint;
      ++size_;
      return;
    }
  }
}

void FingerprintSet::erase(std::uint32_t fingerprint) {
  if (fingerprint <= kErased) fingerprint += 2;
  if (slots_.empty()) return;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(fingerprint); slots_[i] != kEmpty; i = (i + 1) & mask) {
    if (slots_[i] == fingerprint) {
      slots_[i] = kErased;
      --size_;
      ++erased_;
      // Less than 1/8 live: shrink to the smallest size at most half full.
      if (slots_.size() > 1024 && size_ * 8 < slots_.size()) {
        std::size_t capacity = 1024;
        while (capacity < size_ * 2) capacity *= 2;
        rebuild(capacity);
      }
      return;
    }
  }
}

bool FingerprintSet::contains(std::uint32_t fingerprint) const {
  if (fingerprint <= kErased) fingerprint += 2;
  if (slots_.empty()) return false;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(fingerprint); slots_[i] != kEmpty; i = (i + 1) & mask) {
    if (slots_[i] == fingerprint) return true;
  }
  return false;
}

// ---- QueueIndex -----------------------------------------------------------------------------

namespace {
constexpr std::uint8_t kRecv = 1;
constexpr std::uint8_t kSend = 2;
constexpr std::uint8_t kAddress = 3;
}  // namespace

QueueIndex::QueueIndex() {
  ensure_sodium();
  static_assert(sizeof(key_) == crypto_shorthash_KEYBYTES);
  randombytes_buf(key_.data(), key_.size());
}

std::uint32_t QueueIndex::fingerprint(std::uint8_t kind, const QueueId& id) const {
  std::array<std::uint8_t, 1 + sizeof(QueueId)> input{};
  input[0] = kind;
  std::memcpy(input.data() + 1, id.data(), id.size());
  std::array<std::uint8_t, crypto_shorthash_BYTES> hash{};
  crypto_shorthash(hash.data(), input.data(), input.size(), key_.data());
  std::uint32_t out = 0;
  std::memcpy(&out, hash.data(), sizeof out);
  return out;
}

Result<void> QueueIndex::load(QueueStore& store) {
  FingerprintSet recv;
  FingerprintSet send;
  FingerprintSet addresses;
  EXILE_TRY(store.each_queue_id(
      [&](const QueueId& recv_id, const QueueId& send_id, bool contact_address) {
        recv.insert(fingerprint(kRecv, recv_id));
        send.insert(fingerprint(kSend, send_id));
        if (contact_address) addresses.insert(fingerprint(kAddress, send_id));
      }));
  std::lock_guard lock(mutex_);
  recv_ = std::move(recv);
  send_ = std::move(send);
  addresses_ = std::move(addresses);
  loaded_ = true;
  return {};
}

bool QueueIndex::loaded() const {
  std::lock_guard lock(mutex_);
  return loaded_;
}

void QueueIndex::add(const QueueId& recv_id, const QueueId& send_id, bool contact_address) {
  const std::uint32_t r = fingerprint(kRecv, recv_id);
  const std::uint32_t s = fingerprint(kSend, send_id);
  const std::uint32_t a = fingerprint(kAddress, send_id);
  std::lock_guard lock(mutex_);
  recv_.insert(r);
  send_.insert(s);
  if (contact_address) addresses_.insert(a);
}

void QueueIndex::remove(const QueueId& recv_id, const QueueId& send_id, bool contact_address) {
  const std::uint32_t r = fingerprint(kRecv, recv_id);
  const std::uint32_t s = fingerprint(kSend, send_id);
  const std::uint32_t a = fingerprint(kAddress, send_id);
  std::lock_guard lock(mutex_);
  recv_.erase(r);
  send_.erase(s);
  if (contact_address) addresses_.erase(a);
}

bool QueueIndex::may_exist_recv(const QueueId& recv_id) const {
  const std::uint32_t f = fingerprint(kRecv, recv_id);
  std::lock_guard lock(mutex_);
  return !loaded_ || recv_.contains(f);
}

bool QueueIndex::may_exist_send(const QueueId& send_id) const {
  const std::uint32_t f = fingerprint(kSend, send_id);
  std::lock_guard lock(mutex_);
  return !loaded_ || send_.contains(f);
}

bool QueueIndex::may_be_address(const QueueId& send_id) const {
  const std::uint32_t f = fingerprint(kAddress, send_id);
  std::lock_guard lock(mutex_);
  return !loaded_ || addresses_.contains(f);
}

std::size_t QueueIndex::queues() const {
  std::lock_guard lock(mutex_);
  return recv_.size();
}

std::size_t QueueIndex::memory_bytes() const {
  std::lock_guard lock(mutex_);
  return recv_.memory_bytes() + send_.memory_bytes() + addresses_.memory_bytes();
}

}  // namespace exile::relay
