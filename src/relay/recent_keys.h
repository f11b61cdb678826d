// RecentKeys: the newest N keys of the dedup log in memory, oldest first, each with the hour it
// was written in and a small value (SqliteQueueStore's "released" keys, relay-protocol.md §10).
//
// WHY NOT A HASH MAP AND A DEQUE. The store asks it on every SEND (is this key recent?) and adds
// a key on every ACK, evicting the oldest: at 262,144 keys a node-based map spread its keys over
// as many heap nodes, and a lookup walked a bucket chain of them, one or two cache misses each,
// about 6 % of the relay's CPU under the benchmark's load. Here the keys sit in a ring in
// insertion order (adding and evicting touch its two ends), and an open-addressed index of
// 8-byte slots (linear probing, at most half full) points into the ring: a slot holds the ring
// position and 32 bits of the key's hash, so a lookup of an absent key (the common case: a new
// message) reads one or two adjacent slots of the index and never the ring, and a present one
// reads one ring entry. Eviction removes the slot by backward shifting (no tombstones, so the
// index never needs a rebuild while its size holds).
//
// MEMORY. The ring grows by doubling up to N entries; the index is the smallest power of two at
// least twice the ring. At N = 262,144 with a 16-byte value: 10 MiB of ring and 4 MiB of index.
//
// HASHING. ArrayHash (array_hash.h), keyed per process; the keys themselves are the first 16
// bytes of a keyed BLAKE2b (dedup_seal), which no client can aim. Not thread-safe.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "relay/array_hash.h"

namespace exile::relay {

template <class Value>
class RecentKeys {
 public:
  using Key = std::array<std::uint8_t, 16>;

  // `capacity`: how many keys are kept (1 to 2^31); past it, adding a key evicts the oldest.
  explicit RecentKeys(std::size_t capacity)
      : capacity_(std::clamp<std::size_t>(capacity, 1, std::size_t{1} << 31)) {}

  [[nodiscard]] std::size_t size() const { return count_; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

  // The value kept for `key`, or nullptr.
  [[nodiscard]] const Value* find(const Key& key) const {
    if (count_ == 0) return nullptr;
    const std::uint64_t h = hash(key);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t slot = index_[i];
      if (slot == 0) return nullptr;
      if (tag_of(slot) == tag(h)) {
        const Entry& e = ring_[pos_of(slot)];
        if (e.key == key) return &e.value;
      }
    }
  }

  // Adds `key` as the newest, written in `hour`, with `value`; a key already kept keeps its
  // place and hour and takes the new value. Evicts the oldest past the capacity.
  void put(const Key& key, std::uint64_t hour, const Value& value) {
    if (count_ == ring_.size() && ring_.size() < capacity_) grow();
    const std::uint64_t h = hash(key);
    std::size_t i = h & mask_;
    for (;; i = (i + 1) & mask_) {
      const std::uint64_t slot = index_[i];
      if (slot == 0) break;
      if (tag_of(slot) == tag(h)) {
        Entry& e = ring_[pos_of(slot)];
        if (e.key == key) {
          e.value = value;
          return;
        }
      }
    }
    if (count_ == ring_.size()) {
      pop_oldest();  // full at capacity: the oldest makes room
      // The slot found above may have moved in the backward shift: look again.
      for (i = h & mask_; index_[i] != 0; i = (i + 1) & mask_) {
      }
    }
    const std::size_t pos = (head_ + count_) % ring_.size();
    ring_[pos] = Entry{key, hour, value};
    index_[i] = make_slot(h, pos);
    ++count_;
  }

  // Drops the oldest keys while they were written before `hour`.
  void drop_older_than(std::uint64_t hour) {
    while (count_ > 0 && ring_[head_].hour < hour) pop_oldest();
  }

  // Sets every kept key's value to `value`.
  void assign_all(const Value& value) {
    for (std::size_t n = 0; n < count_; ++n) ring_[(head_ + n) % ring_.size()].value = value;
  }

  // The oldest key's hour; the ring must not be empty.
  [[nodiscard]] std::uint64_t oldest_hour() const { return ring_[head_].hour; }

  // Bytes held by the ring and the index, for tests.
  [[nodiscard]] std::size_t memory_bytes() const {
    return ring_.capacity() * sizeof(Entry) + index_.capacity() * sizeof(std::uint64_t);
  }

 private:
  struct Entry {
    Key key{};
    std::uint64_t hour = 0;
    Value value{};
  };

  static constexpr std::size_t kFirstRing = 1024;

  [[nodiscard]] static std::uint64_t hash(const Key& key) { return ArrayHash{}(key); }
  [[nodiscard]] static std::uint32_t tag(std::uint64_t h) { return static_cast<std::uint32_t>(h); }
  // A slot: the hash's low 32 bits (the home slot is their low bits) above the ring position
  // plus one (0 is an empty slot).
  [[nodiscard]] static std::uint64_t make_slot(std::uint64_t h, std::size_t pos) {
    return (std::uint64_t{tag(h)} << 32) | (static_cast<std::uint64_t>(pos) + 1);
  }
  [[nodiscard]] static std::uint32_t tag_of(std::uint64_t slot) {
    return static_cast<std::uint32_t>(slot >> 32);
  }
  [[nodiscard]] static std::size_t pos_of(std::uint64_t slot) {
    return static_cast<std::size_t>((slot & 0xffffffffu) - 1);
  }

  void pop_oldest() {
    const std::uint64_t h = hash(ring_[head_].key);
    const std::uint64_t wanted = make_slot(h, head_);
    std::size_t i = h & mask_;
    while (index_[i] != wanted) i = (i + 1) & mask_;
    erase_slot(i);
    head_ = (head_ + 1) % ring_.size();
    --count_;
  }

  // Backward-shift deletion: each later slot of the run that may live closer to its home moves
  // into the hole, so that no lookup's probe stops early at it.
  void erase_slot(std::size_t hole) {
    for (std::size_t j = (hole + 1) & mask_; index_[j] != 0; j = (j + 1) & mask_) {
      const std::size_t home = tag_of(index_[j]) & mask_;
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {
        index_[hole] = index_[j];
        hole = j;
      }
    }
    index_[hole] = 0;
  }

  // Doubles the ring (up to the capacity), oldest first from position 0, and rebuilds the index.
  void grow() {
    const std::size_t size = std::min(capacity_, std::max(kFirstRing, ring_.size() * 2));
    std::vector<Entry> ring(size);
    for (std::size_t n = 0; n < count_; ++n) ring[n] = ring_[(head_ + n) % ring_.size()];
    ring_.swap(ring);
    head_ = 0;
    index_.assign(std::bit_ceil(size * 2), 0);
    mask_ = index_.size() - 1;
    for (std::size_t pos = 0; pos < count_; ++pos) {
      const std::uint64_t h = hash(ring_[pos].key);
      std::size_t i = h & mask_;
      while (index_[i] != 0) i = (i + 1) & mask_;
      index_[i] = make_slot(h, pos);
    }
  }

  std::size_t capacity_;
  std::vector<Entry> ring_;  // oldest at head_, count_ of them, wrapping around
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::vector<std::uint64_t> index_;  // 0: empty; else make_slot()
  std::size_t mask_ = 0;
};

}  // namespace exile::relay
