#include "store/support/vfs_test_support.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "common/sodium.h"

namespace exile::store::test {

VfsTempDir::VfsTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "exile-vfs-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

VfsTempDir::~VfsTempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

DatabaseKey vfs_random_key() {
  ensure_sodium();
  DatabaseKey key;
  randombytes_buf(key.data(), key.size());
  return key;
}

Bytes vfs_read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void vfs_write_file(const std::filesystem::path& path, ByteView bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

bool vfs_contains(ByteView haystack, std::string_view needle) {
  const auto n = as_bytes(needle);
  return std::search(haystack.begin(), haystack.end(), n.begin(), n.end()) != haystack.end();
}

}  // namespace exile::store::test
