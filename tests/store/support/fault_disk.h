// A simulated disk for power-loss tests (tests/store/power_loss_test.cpp; fault model in
// docs/storage.md §"Power loss").
//
// The fault VFS ("exile-fault") wraps SQLite's unix VFS and is registered as the default VFS
// before the exile VFS registers, so the exile VFS (which takes the default VFS as its base)
// sits on top of it: everything SQLite writes reaches it sealed, as it would reach the disk.
// The same model implements ProfileFileSystem (src/store/profile_fs.h), so the key file and
// rotation steps of ProfileStore meet it too.
//
// While armed on one directory, every file in it is modelled as
//  - its durable contents (as of its last sync) and the writes and truncations made since,
//  - and the directory as its durable entries (as of its last directory sync) and the
//    creations, removals and renames made since.
// The real files always hold the process's view (every write goes through), so reads need no
// model. A file sync makes its pending writes durable; a directory sync (SQLite's xDelete with
// sync_dir, the unix VFS's directory fsync at the first sync of a journal it created, or
// ProfileFileSystem::sync_directory) makes the pending entry changes durable.
//
// Each mutating operation (write, truncate, sync, directory sync, create, remove, rename) counts
// down; when the count reaches zero the power fails: that operation and every later call on a
// file of the directory fail with an I/O error. power_loss() then rebuilds the directory as
// the disk would hold it after a power loss of the given kind, and the test reopens it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

namespace exile::store::test {

enum class LossKind : int {
  DropUnsynced,       // every unsynced write and entry change is lost
  RandomSectors,      // each 512-byte sector of each unsynced write, each unsynced truncation
                      // and each unsynced entry change survives or not, independently
  TornWrite,          // per file, the unsynced writes reach the disk in order up to one that is
                      // torn (a random subset of its sectors); entry changes: a prefix survives
  ResurrectUnlinked,  // every write survives, but files removed since the last directory sync
                      // come back (and renames and creations survive)
  DropCreated,        // every write survives, but files created since the last directory sync
                      // are gone (removals and renames survive)
};
inline constexpr int kLossKinds = 5;
[[nodiscard]] const char* loss_kind_name(LossKind kind);

// What one power_loss() did.
struct LossReport {
  std::uint64_t unsynced_writes = 0;   // writes and truncations pending at the loss
  std::uint64_t unsynced_entries = 0;  // directory changes pending at the loss
  bool changed = false;                // the rebuilt directory differs from the process's view
};

class FaultDisk {
 public:
  // Registers the fault VFS as SQLite's default (once) and installs the disk as the profile
  // file system. Returns false (with a message) if the exile VFS was registered before, over
  // another base: the test binary must install the disk before its first Database::open.
  static bool install(std::string* why);
  static FaultDisk& instance();

  // Starts modelling `dir` (a canonical path): every file now in it is durable. The power fails
  // at the `countdown`-th mutating operation from now (0: never). No file of `dir` may be open.
  void arm(const std::filesystem::path& dir, std::uint64_t countdown);
  // True once the power has failed.
  [[nodiscard]] bool failed() const;
  // Mutating operations counted since arm().
  [[nodiscard]] std::uint64_t operations() const;
  // Rewrites the directory as a power loss of `kind` leaves it (random choices from `rng`) and
  // stops modelling. Every file of the directory must be closed.
  LossReport power_loss(LossKind kind, std::mt19937_64& rng);
  // Stops modelling, as if everything had been synced (no loss).
  void disarm();

  struct Impl;

 private:
  FaultDisk();
  std::unique_ptr<Impl> impl_;
};

}  // namespace exile::store::test
