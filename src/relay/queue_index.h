// QueueIndex: which queue ids exist, in memory, so that a command naming an id that does not
// exist is answered without a store read (docs/relay-protocol.md §6, "Unknown ids").
//
// WHAT IT HOLDS. Three sets: every queue's recv_id, every queue's send_id, and the send_ids of
// address queues (the only ones GET_BUNDLE can find). Each set holds 32-bit fingerprints, not
// ids: the first 4 bytes of a keyed SipHash-2-4 (libsodium's crypto_shorthash) of the id, under
// a key drawn at random when the relay starts and never written anywhere. A fingerprint table
// is open-addressed with linear probing, 4 bytes a slot. Once 3/4 of the slots are taken (live or
// erased), or less than 1/8 is live, it is rebuilt at the smallest power-of-two size at most half
// full, so 1/8 to 3/4 of it is live: an id costs 5.3 to 32 bytes, and 5.3 to 16 while queues are
// only added. A queue is two ids (about 20 MB for a million queues at half full), an address
// queue one more.
//
// WHAT IT ANSWERS. may_exist() is false only if no queue has the id: a false answer is always
// right, and the command is refused at once. A true answer may be wrong (another id with the
// same fingerprint: for a random id, about n / 2^32 with n ids stored, 0.02 % at a million
// queues); the store then says no, as it did for every unknown id before. Ids are drawn by the
// relay and the key is secret, so a client can neither make its probes collide with stored
// fingerprints more often than chance, nor make the stored ids crowd one part of the table.
//
// WHAT IT REVEALS. Nothing the database does not: it is the database's ids, shortened and
// hashed under a key that lives only in this process's memory. Answering unknown ids sooner than
// known ones would tell a prober which ids exist; Session answers both refusals at the same
// time (the refusal floor, command_handler.h).
//
// CONSISTENCY. Server fills it from the store before it accepts a connection (load()); NEW adds
// the new queue's ids once the store has committed it, before the Ids answer goes out, and DEL
// removes them once the store has deleted the queue. A read of an id that races its DEL may
// still pass the index and read the store, which then finds nothing. Until load() (the unit
// tests and the fuzz target, which drive a Session without a Server), may_exist() is always
// true: every lookup reads the store, as before. Thread-safe (one mutex).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "common/result.h"
#include "relay/queue_store.h"

namespace exile::relay {

// A multiset of 32-bit keyed fingerprints (QueueIndex's three sets). Not thread-safe.
class FingerprintSet {
 public:
  void insert(std::uint32_t fingerprint);
  void erase(std::uint32_t fingerprint);  // one copy; nothing if absent
  [[nodiscard]] bool contains(std::uint32_t fingerprint) const;
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t memory_bytes() const { return slots_.size() * sizeof(std::uint32_t); }

 private:
  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kErased = 1;
  void rebuild(std::size_t capacity);
  [[nodiscard]] std::size_t home(std::uint32_t fingerprint) const;
  std::vector<std::uint32_t> slots_;
  std::size_t size_ = 0;    // live fingerprints
  std::size_t erased_ = 0;  // kErased slots
};

class QueueIndex {
 public:
  QueueIndex();  // draws the fingerprint key

  // Replaces the contents with the store's queues and starts answering. Blocking.
  [[nodiscard]] Result<void> load(QueueStore& store);
  [[nodiscard]] bool loaded() const;

  void add(const QueueId& recv_id, const QueueId& send_id, bool contact_address);
  void remove(const QueueId& recv_id, const QueueId& send_id, bool contact_address);

  // False: no queue has this id (certain). True: one may (ask the store). Always true before
  // load().
  [[nodiscard]] bool may_exist_recv(const QueueId& recv_id) const;
  [[nodiscard]] bool may_exist_send(const QueueId& send_id) const;
  [[nodiscard]] bool may_be_address(const QueueId& send_id) const;

  [[nodiscard]] std::size_t queues() const;
  [[nodiscard]] std::size_t memory_bytes() const;

 private:
  [[nodiscard]] std::uint32_t fingerprint(std::uint8_t kind, const QueueId& id) const;
  void add_locked(const QueueId& recv_id, const QueueId& send_id, bool contact_address);

  std::array<std::uint8_t, 16> key_{};
  mutable std::mutex mutex_;
  bool loaded_ = false;
  FingerprintSet recv_;
  FingerprintSet send_;
  FingerprintSet addresses_;
};

}  // namespace exile::relay
