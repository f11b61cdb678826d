// Key file format and key wrapping (docs/storage.md §"Key file").
#include "store/key_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>

#include "common/sodium.h"

namespace exile::store {
namespace {

Bytes serialize_header(const KeyFile& file) {
  // Built from the magic rather than appended after reserve(): GCC 12 at -O3 reports a false
  // -Wstringop-overflow for that append into freshly reserved storage.
  Bytes out(std::begin(kKeyFileMagic), std::end(kKeyFileMagic));
  out.reserve(key_file_size(file.slots.size()));
  out.push_back(kKeyFileVersion);
  out.push_back(kKdfArgon2id13);
  append_u64(out, file.params.opslimit);
  append_u64(out, file.params.memlimit);
  append(out, file.salt);
  out.push_back(static_cast<std::uint8_t>(file.slots.size()));
  return out;
}

std::uint64_t load_u64(const std::uint8_t* p) {
  return (std::uint64_t{load_u32(p)} << 32) | load_u32(p + 4);
}

// The associated data of slot `index`: every byte of the file before that slot's nonce, so
// that parameters, salt, slot count and earlier slots cannot be changed or swapped.
Bytes slot_ad(const KeyFile& file, std::size_t index) {
  Bytes ad = serialize_header(file);
  for (std::size_t i = 0; i < index; ++i) {
    append(ad, file.slots[i].nonce);
    append(ad, file.slots[i].wrapped);
  }
  return ad;
}

bool params_in_caps(const KdfParams& params) {
  return params.opslimit >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
         params.opslimit <= kMaxKdfOpslimit &&
         params.memlimit >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
         params.memlimit <= kMaxKdfMemlimit;
}

bool params_writable(const KdfParams& params) {
  return params_in_caps(params) && params.opslimit >= crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE &&
         params.memlimit >= crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
}

}  // namespace

KdfParams KdfParams::moderate() {
  return {crypto_pwhash_argon2id_OPSLIMIT_MODERATE, crypto_pwhash_argon2id_MEMLIMIT_MODERATE};
}

KdfParams KdfParams::interactive() {
  return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

Result<KeyFile> parse_key_file(ByteView bytes) {
  ensure_sodium();
  if (bytes.size() != key_file_size(1) && bytes.size() != key_file_size(2)) {
    return fail(ErrorCode::KeyFileCorrupt, "key file has the wrong length");
  }
  const std::size_t body = bytes.size() - kKeyFileChecksumBytes;
  std::uint8_t checksum[kKeyFileChecksumBytes];
  crypto_generichash(checksum, sizeof checksum, bytes.data(), body, nullptr, 0);
  if (sodium_memcmp(checksum, bytes.data() + body, sizeof checksum) != 0) {
    return fail(ErrorCode::KeyFileCorrupt, "key file checksum mismatch");
  }
  if (sodium_memcmp(bytes.data(), kKeyFileMagic, sizeof kKeyFileMagic) != 0) {
    return fail(ErrorCode::KeyFileCorrupt, "not an Exile key file");
  }
  ByteReader reader(bytes.first(body).subspan(sizeof kKeyFileMagic));
  std::uint8_t version = 0;
  std::uint8_t kdf = 0;
  if (!reader.read_u8(version) || !reader.read_u8(kdf)) {
    return fail(ErrorCode::KeyFileCorrupt, "key file header truncated");
  }
  if (version != kKeyFileVersion) {
    return fail(ErrorCode::UnsupportedVersion, "key file format version not supported");
  }
  if (kdf != kKdfArgon2id13) return fail(ErrorCode::KeyFileCorrupt, "unknown key file KDF");
  KeyFile file;
  ByteView ops;
  ByteView mem;
  if (!reader.read_view(8, ops) || !reader.read_view(8, mem) || !reader.read(file.salt)) {
    return fail(ErrorCode::KeyFileCorrupt, "key file header truncated");
  }
  file.params = {load_u64(ops.data()), load_u64(mem.data())};
  if (!params_in_caps(file.params)) {
    return fail(ErrorCode::KeyFileCorrupt, "key file KDF parameters out of range");
  }
  std::uint8_t count = 0;
  if (!reader.read_u8(count) || count < 1 || count > kMaxKeySlots ||
      bytes.size() != key_file_size(count)) {
    return fail(ErrorCode::KeyFileCorrupt, "key file slot count does not match its length");
  }
  file.slots.resize(count);
  for (auto& slot : file.slots) {
    if (!reader.read(slot.nonce) || !reader.read(slot.wrapped)) {
      return fail(ErrorCode::KeyFileCorrupt, "key file slot truncated");
    }
  }
  if (!reader.empty()) return fail(ErrorCode::KeyFileCorrupt, "key file has trailing bytes");
  return file;
}

Bytes serialize_key_file(const KeyFile& file) {
  ensure_sodium();
  Bytes out = serialize_header(file);
  for (const auto& slot : file.slots) {
    append(out, slot.nonce);
    append(out, slot.wrapped);
  }
  std::uint8_t checksum[kKeyFileChecksumBytes];
  crypto_generichash(checksum, sizeof checksum, out.data(), out.size(), nullptr, 0);
  append(out, checksum);
  return out;
}

Result<KeyEncryptionKey> derive_key_encryption_key(
    const SecureBytes& passphrase, const KdfParams& params,
    const std::array<std::uint8_t, kKeyFileSaltBytes>& salt) {
  ensure_sodium();
  if (passphrase.empty()) return fail(ErrorCode::InvalidArgument, "empty passphrase");
  if (!params_in_caps(params)) {
    return fail(ErrorCode::InvalidArgument, "KDF parameters out of range");
  }
  KeyEncryptionKey kek;
  if (crypto_pwhash(kek.data(), kek.size(), reinterpret_cast<const char*>(passphrase.data()),
                    passphrase.size(), salt.data(), params.opslimit,
                    static_cast<std::size_t>(params.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(ErrorCode::OutOfMemory, "Argon2id could not allocate its memory");
  }
  return kek;
}

Result<void> check_writable_params(const KdfParams& params) {
  if (!params_writable(params)) {
    return fail(ErrorCode::InvalidArgument, "KDF parameters below INTERACTIVE or above caps");
  }
  return {};
}

Result<KeyFile> wrap_keys(const KdfParams& params,
                          const std::array<std::uint8_t, kKeyFileSaltBytes>& salt,
                          const KeyEncryptionKey& kek, std::span<const DatabaseKey* const> keys,
                          Rng& rng) {
  ensure_sodium();
  EXILE_TRY(check_writable_params(params));
  if (keys.empty() || keys.size() > kMaxKeySlots) {
    return fail(ErrorCode::InvalidArgument, "a key file holds one or two keys");
  }
  KeyFile file{params, salt, std::vector<KeySlot>(keys.size())};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    KeySlot& slot = file.slots[i];
    rng.fill(slot.nonce);
    const Bytes ad = slot_ad(file, i);
    unsigned long long written = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(slot.wrapped.data(), &written, keys[i]->data(),
                                               keys[i]->size(), ad.data(), ad.size(), nullptr,
                                               slot.nonce.data(), kek.data());
  }
  return file;
}

Result<DatabaseKey> unwrap_slot(const KeyFile& file, std::size_t index,
                                const KeyEncryptionKey& kek) {
  ensure_sodium();
  if (index >= file.slots.size()) return fail(ErrorCode::Internal, "no such key slot");
  const KeySlot& slot = file.slots[index];
  const Bytes ad = slot_ad(file, index);
  DatabaseKey key;
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(key.data(), &written, nullptr, slot.wrapped.data(),
                                                 slot.wrapped.size(), ad.data(), ad.size(),
                                                 slot.nonce.data(), kek.data()) != 0) {
    return fail(ErrorCode::WrongPassphrase, "the passphrase does not open the key file");
  }
  return key;
}

Result<Bytes> read_key_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return fail(ErrorCode::NotFound, "no key file in the profile");
    return fail(ErrorCode::StorageIo, "cannot open the key file");
  }
  Bytes bytes(kMaxKeyFileBytes + 1);
  std::size_t have = 0;
  while (have < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + have, bytes.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return fail(ErrorCode::StorageIo, "cannot read the key file");
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (have > kMaxKeyFileBytes) return fail(ErrorCode::KeyFileCorrupt, "key file too large");
  bytes.resize(have);
  return bytes;
}

}  // namespace exile::store
