// Fuzz target for parse_key_file (store/key_file.h; format in docs/storage.md §"Key file"):
// the key file sits on disk where anything may have changed it.
//
// Checks, for any input and for the input with its checksum recomputed: no crash; a parsed file has
// parameters within the caps and one or two slots; it re-serializes to exactly the input (one
// encoding per file); its slots either open under the fixture key-encryption key or fail with
// WrongPassphrase, never anything else. Argon2id never runs here: the caps are checked by parse,
// and the KEK is fixed, so every input costs microseconds whatever parameters it claims.
//
// Seeds (tests/fuzz/seeds/key_file/): files wrapped under the fixture KEK (32 bytes of 0x42)
// with one and two slots, so runs reach the successful unwrap; and their damaged, truncated,
// other-version and hostile-parameter variants (checksums recomputed where the field is the
// point).
#include <sodium.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "store/key_file.h"

namespace {

const exile::store::KeyEncryptionKey& fixture_kek() {
  static const exile::store::KeyEncryptionKey kek = [] {
    exile::store::KeyEncryptionKey k;
    std::fill(k.data(), k.data() + k.size(), std::uint8_t{0x42});
    return k;
  }();
  return kek;
}

}  // namespace

namespace {

// Checks one input: every verdict is one of the documented ones, and an accepted file is
// canonical and only ever opens or fails as WrongPassphrase.
void check(exile::ByteView input) {
  using namespace exile::store;
  auto file = parse_key_file(input);
  if (!file) {
    const auto code = file.error().code;
    if (code != exile::ErrorCode::KeyFileCorrupt && code != exile::ErrorCode::UnsupportedVersion) {
      std::abort();
    }
    return;
  }
  if (file->slots.empty() || file->slots.size() > kMaxKeySlots) std::abort();
  if (file->params.memlimit > kMaxKdfMemlimit || file->params.opslimit > kMaxKdfOpslimit) {
    std::abort();
  }
  const exile::Bytes again = serialize_key_file(*file);
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) std::abort();
  for (std::size_t i = 0; i < file->slots.size(); ++i) {
    auto key = unwrap_slot(*file, i, fixture_kek());
    if (!key && key.error().code != exile::ErrorCode::WrongPassphrase) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(exile::ByteView(data, size));
  // The checksum stops almost every mutation at step 2 of the reader; recomputing it lets the
  // fuzzer reach the field checks behind it (version, KDF id, caps, slot count, slots).
  if (size >= exile::store::kKeyFileChecksumBytes) {
    exile::Bytes fixed(data, data + size);
    const std::size_t body = size - exile::store::kKeyFileChecksumBytes;
    crypto_generichash(fixed.data() + body, exile::store::kKeyFileChecksumBytes, fixed.data(), body,
                       nullptr, 0);
    check(fixed);
  }
  return 0;
}
