// The key file: the database key wrapped by a key derived from the passphrase with Argon2id.
// Format, byte by byte: docs/storage.md §"Key file".
//
// A key file holds one wrapped key (the key of exile.db) or, only while the database key is
// being rotated, two: slot 0 is the old key, slot 1 the new one (profile_store.h says which
// database file each one opens). Every slot is wrapped under the same key-encryption key, so
// opening a two-slot file costs one Argon2id run.
//
// Invariants:
// - parse_key_file checks the length and the checksum before anything else, so any damaged
//   or truncated file is KeyFileCorrupt; a file that parses but does not open under the
//   passphrase is WrongPassphrase. The two never mix.
// - KDF parameters are capped at parse time, before any memory is allocated for them.
// - Exile never writes parameters below libsodium's INTERACTIVE level.
#pragma once

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "common/rng.h"
#include "common/secure_buffer.h"
#include "store/database.h"

namespace exile::store {

inline constexpr std::uint8_t kKeyFileMagic[5] = {'E', 'X', 'K', 'E', 'Y'};
inline constexpr std::uint8_t kKeyFileVersion = 1;
inline constexpr std::uint8_t kKdfArgon2id13 = 1;
inline constexpr std::size_t kKeyFileSaltBytes = crypto_pwhash_SALTBYTES;
inline constexpr std::size_t kWrapNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
inline constexpr std::size_t kWrappedKeyBytes =
    kDatabaseKeyBytes + crypto_aead_xchacha20poly1305_ietf_ABYTES;
inline constexpr std::size_t kKeyFileChecksumBytes = 32;  // BLAKE2b-256, unkeyed
// magic, version, kdf id, opslimit, memlimit, salt, slot count
inline constexpr std::size_t kKeyFileHeaderBytes = 5 + 1 + 1 + 8 + 8 + kKeyFileSaltBytes + 1;
inline constexpr std::size_t kKeySlotBytes = kWrapNonceBytes + kWrappedKeyBytes;
inline constexpr std::size_t kMaxKeySlots = 2;
inline constexpr std::size_t key_file_size(std::size_t slots) {
  return kKeyFileHeaderBytes + slots * kKeySlotBytes + kKeyFileChecksumBytes;
}
// Larger than any valid key file: the reader never reads more than this.
inline constexpr std::size_t kMaxKeyFileBytes = 4096;

// Caps applied to a file's parameters before Argon2id runs, so a hostile file cannot make us
// allocate or spin without bound. 1 GiB is libsodium's SENSITIVE memory level; 16 passes is
// four times its SENSITIVE opslimit.
inline constexpr std::uint64_t kMaxKdfMemlimit = std::uint64_t{1} << 30;
inline constexpr std::uint64_t kMaxKdfOpslimit = 16;

using KeyEncryptionKey = SecureBuffer<32>;

struct KdfParams {
  std::uint64_t opslimit = 0;
  std::uint64_t memlimit = 0;

  // libsodium's MODERATE level: the default for user profiles.
  static KdfParams moderate();
  // libsodium's INTERACTIVE level: the weakest Exile writes; tests use it to run fast.
  static KdfParams interactive();
  friend bool operator==(const KdfParams&, const KdfParams&) = default;
};

struct KeySlot {
  std::array<std::uint8_t, kWrapNonceBytes> nonce{};
  std::array<std::uint8_t, kWrappedKeyBytes> wrapped{};
};

// A parsed key file: nothing secret, nothing unwrapped yet.
struct KeyFile {
  KdfParams params;
  std::array<std::uint8_t, kKeyFileSaltBytes> salt{};
  std::vector<KeySlot> slots;  // 1 or 2
};

// Parses untrusted bytes (the only parser of key files; fuzzed by tests/fuzz/fuzz_key_file).
// KeyFileCorrupt: wrong length, checksum mismatch, bad magic, unknown KDF, parameters out of
// range, bad slot count. UnsupportedVersion: an intact file of another format version.
[[nodiscard]] Result<KeyFile> parse_key_file(ByteView bytes);

// The exact bytes of a key file (checksum included).
[[nodiscard]] Bytes serialize_key_file(const KeyFile& file);

// Argon2id13 over the passphrase. InvalidArgument for an empty passphrase or parameters
// outside [INTERACTIVE, caps]; OutOfMemory when Argon2id cannot get its memory.
[[nodiscard]] Result<KeyEncryptionKey> derive_key_encryption_key(
    const SecureBytes& passphrase, const KdfParams& params,
    const std::array<std::uint8_t, kKeyFileSaltBytes>& salt);

// InvalidArgument unless INTERACTIVE <= params <= caps: what Exile is willing to write.
[[nodiscard]] Result<void> check_writable_params(const KdfParams& params);

// A key file wrapping each of keys (1 or 2) under kek, with fresh random nonces.
[[nodiscard]] Result<KeyFile> wrap_keys(const KdfParams& params,
                                        const std::array<std::uint8_t, kKeyFileSaltBytes>& salt,
                                        const KeyEncryptionKey& kek,
                                        std::span<const DatabaseKey* const> keys, Rng& rng);

// Opens slot `index`. WrongPassphrase when the tag does not verify.
[[nodiscard]] Result<DatabaseKey> unwrap_slot(const KeyFile& file, std::size_t index,
                                              const KeyEncryptionKey& kek);

// Reads at most kMaxKeyFileBytes. NotFound when there is no file; a longer file is
// KeyFileCorrupt.
[[nodiscard]] Result<Bytes> read_key_file(const std::filesystem::path& path);

}  // namespace exile::store
