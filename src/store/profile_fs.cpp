#include "store/profile_fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>

namespace exile::store {
namespace {

int fsync_fd(int fd) {
  int rc = 0;
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  return rc == 0 ? 0 : errno;
}

int sync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return errno;
  const int err = fsync_fd(fd);
  ::close(fd);
  return err;
}

class PosixProfileFileSystem final : public ProfileFileSystem {
 public:
  int write_synced_file(const std::filesystem::path& path, ByteView bytes) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    std::size_t done = 0;
    int err = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        err = errno;
        break;
      }
      done += static_cast<std::size_t>(n);
    }
    if (err == 0) err = fsync_fd(fd);
    ::close(fd);
    return err;
  }

  int sync_file(const std::filesystem::path& path) override { return sync_path(path, O_RDONLY); }

  int sync_directory(const std::filesystem::path& dir) override {
    return sync_path(dir, O_RDONLY | O_DIRECTORY);
  }

  int rename_file(const std::filesystem::path& from, const std::filesystem::path& to) override {
    return std::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
  }

  int remove_file(const std::filesystem::path& path) override {
    if (::unlink(path.c_str()) == 0 || errno == ENOENT) return 0;
    return errno;
  }
};

std::atomic<ProfileFileSystem*> g_installed{nullptr};

}  // namespace

ProfileFileSystem& posix_profile_file_system() {
  static PosixProfileFileSystem instance;
  return instance;
}

ProfileFileSystem& profile_file_system() {
  ProfileFileSystem* installed = g_installed.load(std::memory_order_acquire);
  return installed != nullptr ? *installed : posix_profile_file_system();
}

void set_profile_file_system_for_testing(ProfileFileSystem* fs) {
  g_installed.store(fs, std::memory_order_release);
}

}  // namespace exile::store
