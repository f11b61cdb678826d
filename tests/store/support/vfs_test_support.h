// Helpers for the exile VFS tests (vfs_test, tamper_test, crash_test, fuzz_db_pages): a
// temporary directory, random keys, and whole-file byte access.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/bytes.h"
#include "store/database.h"

namespace exile::store::test {

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class VfsTempDir {
 public:
  VfsTempDir();
  ~VfsTempDir();
  VfsTempDir(const VfsTempDir&) = delete;
  VfsTempDir& operator=(const VfsTempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path file(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

[[nodiscard]] DatabaseKey vfs_random_key();
[[nodiscard]] Bytes vfs_read_file(const std::filesystem::path& path);
void vfs_write_file(const std::filesystem::path& path, ByteView bytes);
[[nodiscard]] bool vfs_contains(ByteView haystack, std::string_view needle);

}  // namespace exile::store::test
