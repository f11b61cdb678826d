#include "store/profile_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace exile::store {

Result<ProfileLock> ProfileLock::acquire(const std::filesystem::path& dir) {
  if (::chmod(dir.c_str(), S_IRWXU) != 0) {
    return fail(ErrorCode::StorageIo, "cannot restrict the profile directory");
  }
  const std::filesystem::path path = dir / kFileName;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail(ErrorCode::StorageIo, "cannot open the profile lock file");
  ProfileLock lock(fd);
  // The mode given to open() only applies to a new file and passes through the umask.
  if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0) {
    return fail(ErrorCode::StorageIo, "cannot restrict the profile lock file");
  }
  int rc = 0;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == EWOULDBLOCK) {
      return fail(ErrorCode::ProfileInUse, "the profile is open elsewhere");
    }
    return fail(ErrorCode::StorageIo, "cannot lock the profile");
  }
  return lock;
}

ProfileLock::ProfileLock(ProfileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

ProfileLock& ProfileLock::operator=(ProfileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

// Closing the only descriptor of the open file description releases the flock.
ProfileLock::~ProfileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace exile::store
