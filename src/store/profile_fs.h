// ProfileFileSystem: the file-system calls a profile directory makes outside SQLite
// (profile_store.cpp): writing and syncing a new key file, syncing the copy made by a rotation,
// syncing the directory, renaming and removing files.
//
// Production uses POSIX (posix_profile_file_system). The power-loss test
// (tests/store/power_loss_test.cpp) installs a simulated disk that forgets what was not synced,
// so that the key file and rotation steps meet the same fault model as SQLite's own writes
// (docs/storage.md §"Power loss"). SQLite's I/O does not go through here: it goes through the
// VFS.
#pragma once

#include <filesystem>

#include "common/bytes.h"

namespace exile::store {

class ProfileFileSystem {
 public:
  virtual ~ProfileFileSystem() = default;

  // Each returns 0 or an errno value.
  // Creates or truncates `path` (mode 0600), writes `bytes` and fsyncs the file (not its
  // directory entry).
  virtual int write_synced_file(const std::filesystem::path& path, ByteView bytes) = 0;
  // fsync of an existing file's contents.
  virtual int sync_file(const std::filesystem::path& path) = 0;
  // fsync of a directory: its entries (creations, renames, removals) become durable.
  virtual int sync_directory(const std::filesystem::path& dir) = 0;
  // rename(2): atomic replacement of `to`; durable only after sync_directory.
  virtual int rename_file(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  // unlink(2); a file that does not exist is success.
  virtual int remove_file(const std::filesystem::path& path) = 0;
};

// The POSIX implementation.
[[nodiscard]] ProfileFileSystem& posix_profile_file_system();

// The implementation ProfileStore uses: POSIX unless a test has installed another.
[[nodiscard]] ProfileFileSystem& profile_file_system();

// Tests only: every ProfileStore in the process uses `fs` from now on (nullptr: POSIX again).
// Not synchronised with profile operations running on other threads.
void set_profile_file_system_for_testing(ProfileFileSystem* fs);

}  // namespace exile::store
