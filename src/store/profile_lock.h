// ProfileLock: the exclusive lock that says one ProfileStore operation, or one open database,
// owns a profile directory (docs/storage.md §"One opener per profile").
//
// It is flock(LOCK_EX | LOCK_NB) on `exile.lock` in the profile directory. flock belongs to the
// open file description, so a second opener is refused whether it is another process or the
// same process through another ProfileStore; the kernel drops the lock when the holder exits,
// SIGKILL included, so a crash never leaves a profile locked. The lock file is never removed:
// removing it would let two openers lock two different files of the same name.
#pragma once

#include <filesystem>

#include "common/result.h"

namespace exile::store {

class ProfileLock {
 public:
  static constexpr const char* kFileName = "exile.lock";

  // Makes the directory 0700 (it holds the key file and the database; an existing directory
  // with wider permissions is narrowed), creates the lock file 0600 if needed and locks it.
  // ProfileInUse when another opener holds it; StorageIo when the directory or file cannot be
  // opened, changed or locked.
  [[nodiscard]] static Result<ProfileLock> acquire(const std::filesystem::path& dir);

  ProfileLock() = default;
  ProfileLock(ProfileLock&& other) noexcept;
  ProfileLock& operator=(ProfileLock&& other) noexcept;
  ~ProfileLock();
  ProfileLock(const ProfileLock&) = delete;
  ProfileLock& operator=(const ProfileLock&) = delete;

  [[nodiscard]] bool held() const { return fd_ >= 0; }

 private:
  explicit ProfileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace exile::store
