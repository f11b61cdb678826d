// Key file format and wrapping (src/store/key_file.h, docs/storage.md §"Key file").
#include "store/key_file.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/encoding.h"

namespace exile::store {
namespace {

SecureBytes secret(std::string_view text) { return SecureBytes(text.begin(), text.end()); }

DatabaseKey key_filled(std::uint8_t fill) {
  DatabaseKey key;
  for (auto& b : key.span()) b = fill;
  return key;
}

// One Argon2id run for the whole suite: the passphrase, salt and KEK most tests share.
struct Shared {
  std::array<std::uint8_t, kKeyFileSaltBytes> salt{};
  KeyEncryptionKey kek;
};

const Shared& shared() {
  static const Shared s = [] {
    Shared out;
    for (std::size_t i = 0; i < out.salt.size(); ++i) out.salt[i] = static_cast<std::uint8_t>(i);
    auto kek =
        derive_key_encryption_key(secret("correct horse"), KdfParams::interactive(), out.salt);
    if (!kek) std::abort();
    out.kek = std::move(*kek);
    return out;
  }();
  return s;
}

Bytes one_slot_file(const DatabaseKey& key) {
  DeterministicRng rng(1);
  const DatabaseKey* keys[] = {&key};
  auto file = wrap_keys(KdfParams::interactive(), shared().salt, shared().kek, keys, rng);
  EXPECT_TRUE(file.has_value());
  return serialize_key_file(*file);
}

// Rewrites the trailing checksum so that a deliberately edited file is "intact".
void fix_checksum(Bytes& bytes) {
  const std::size_t body = bytes.size() - kKeyFileChecksumBytes;
  crypto_generichash(bytes.data() + body, kKeyFileChecksumBytes, bytes.data(), body, nullptr, 0);
}

void store_u64_at(Bytes& bytes, std::size_t offset, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    bytes[offset + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}

constexpr std::size_t kOpsOffset = 7;
constexpr std::size_t kMemOffset = 15;

TEST(KeyFileTest, DefaultsAreLibsodiumLevels) {
  EXPECT_EQ(KdfParams::moderate().opslimit, crypto_pwhash_OPSLIMIT_MODERATE);
  EXPECT_EQ(KdfParams::moderate().memlimit, crypto_pwhash_MEMLIMIT_MODERATE);
  EXPECT_EQ(KdfParams::interactive().opslimit, crypto_pwhash_OPSLIMIT_INTERACTIVE);
  EXPECT_EQ(KdfParams::interactive().memlimit, crypto_pwhash_MEMLIMIT_INTERACTIVE);
  EXPECT_EQ(key_file_size(1), 144u);
  EXPECT_EQ(key_file_size(2), 216u);
}

TEST(KeyFileTest, RoundTripOneSlot) {
  const DatabaseKey key = key_filled(0x5a);
  const Bytes bytes = one_slot_file(key);
  ASSERT_EQ(bytes.size(), key_file_size(1));
  EXPECT_EQ(0, std::memcmp(bytes.data(), "EXKEY\x01\x01", 7));
  auto file = parse_key_file(bytes);
  ASSERT_TRUE(file.has_value()) << file.error();
  EXPECT_EQ(file->params, KdfParams::interactive());
  EXPECT_EQ(file->salt, shared().salt);
  ASSERT_EQ(file->slots.size(), 1u);
  EXPECT_EQ(serialize_key_file(*file), bytes);
  // A fresh derivation from the stored parameters, as unlock does.
  auto kek = derive_key_encryption_key(secret("correct horse"), file->params, file->salt);
  ASSERT_TRUE(kek.has_value());
  auto unwrapped = unwrap_slot(*file, 0, *kek);
  ASSERT_TRUE(unwrapped.has_value()) << unwrapped.error();
  EXPECT_TRUE(unwrapped->equals(key));
}

TEST(KeyFileTest, RoundTripTwoSlots) {
  const DatabaseKey old_key = key_filled(1);
  const DatabaseKey new_key = key_filled(2);
  const DatabaseKey* keys[] = {&old_key, &new_key};
  DeterministicRng rng(2);
  auto file = wrap_keys(KdfParams::interactive(), shared().salt, shared().kek, keys, rng);
  ASSERT_TRUE(file.has_value());
  const Bytes bytes = serialize_key_file(*file);
  ASSERT_EQ(bytes.size(), key_file_size(2));
  auto parsed = parse_key_file(bytes);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->slots.size(), 2u);
  EXPECT_NE(parsed->slots[0].nonce, parsed->slots[1].nonce);
  EXPECT_TRUE(unwrap_slot(*parsed, 0, shared().kek)->equals(old_key));
  EXPECT_TRUE(unwrap_slot(*parsed, 1, shared().kek)->equals(new_key));
}

TEST(KeyFileTest, WrongPassphraseIsItsOwnError) {
  const Bytes bytes = one_slot_file(key_filled(3));
  auto file = parse_key_file(bytes);
  ASSERT_TRUE(file.has_value());
  auto kek = derive_key_encryption_key(secret("correct horsf"), file->params, file->salt);
  ASSERT_TRUE(kek.has_value());
  auto unwrapped = unwrap_slot(*file, 0, *kek);
  ASSERT_FALSE(unwrapped.has_value());
  EXPECT_EQ(unwrapped.error().code, ErrorCode::WrongPassphrase);
}

TEST(KeyFileTest, EveryFlippedBitAndTruncationIsCorrupt) {
  const Bytes good = one_slot_file(key_filled(4));
  for (std::size_t pos = 0; pos < good.size(); ++pos) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = good;
      bad[pos] ^= static_cast<std::uint8_t>(1u << bit);
      auto file = parse_key_file(bad);
      ASSERT_FALSE(file.has_value()) << "byte " << pos << " bit " << bit;
      EXPECT_EQ(file.error().code, ErrorCode::KeyFileCorrupt) << "byte " << pos;
    }
  }
  for (std::size_t len = 0; len < good.size(); ++len) {
    auto file = parse_key_file(ByteView(good).first(len));
    ASSERT_FALSE(file.has_value());
    EXPECT_EQ(file.error().code, ErrorCode::KeyFileCorrupt) << "length " << len;
  }
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_EQ(parse_key_file(longer).error().code, ErrorCode::KeyFileCorrupt);
}

TEST(KeyFileTest, HeaderIsBoundToTheWrap) {
  // An intact file (checksum recomputed) whose parameters were changed does not open under the
  // key derived from the original ones: the header is the AEAD's associated data.
  Bytes bytes = one_slot_file(key_filled(5));
  store_u64_at(bytes, kOpsOffset, crypto_pwhash_OPSLIMIT_INTERACTIVE + 1);
  fix_checksum(bytes);
  auto file = parse_key_file(bytes);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(unwrap_slot(*file, 0, shared().kek).error().code, ErrorCode::WrongPassphrase);
}

TEST(KeyFileTest, SlotsCannotBeSwapped) {
  const DatabaseKey a = key_filled(6);
  const DatabaseKey b = key_filled(7);
  const DatabaseKey* keys[] = {&a, &b};
  DeterministicRng rng(3);
  auto file = wrap_keys(KdfParams::interactive(), shared().salt, shared().kek, keys, rng);
  ASSERT_TRUE(file.has_value());
  std::swap(file->slots[0], file->slots[1]);
  auto parsed = parse_key_file(serialize_key_file(*file));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(unwrap_slot(*parsed, 0, shared().kek).has_value());
  EXPECT_FALSE(unwrap_slot(*parsed, 1, shared().kek).has_value());
}

TEST(KeyFileTest, HostileParametersAreCappedBeforeUse) {
  const Bytes good = one_slot_file(key_filled(8));
  struct Case {
    std::uint64_t ops;
    std::uint64_t mem;
    bool accepted;
  };
  const Case cases[] = {
      {kMaxKdfOpslimit, kMaxKdfMemlimit, true},
      {kMaxKdfOpslimit + 1, crypto_pwhash_MEMLIMIT_INTERACTIVE, false},
      {crypto_pwhash_OPSLIMIT_INTERACTIVE, kMaxKdfMemlimit + 1, false},
      {~std::uint64_t{0}, ~std::uint64_t{0}, false},
      {0, crypto_pwhash_MEMLIMIT_INTERACTIVE, false},
      {crypto_pwhash_OPSLIMIT_INTERACTIVE, 0, false},
  };
  for (const auto& c : cases) {
    Bytes bytes = good;
    store_u64_at(bytes, kOpsOffset, c.ops);
    store_u64_at(bytes, kMemOffset, c.mem);
    fix_checksum(bytes);
    auto file = parse_key_file(bytes);
    EXPECT_EQ(file.has_value(), c.accepted) << c.ops << " " << c.mem;
    if (!c.accepted) {
      EXPECT_EQ(file.error().code, ErrorCode::KeyFileCorrupt);
    }
  }
  // derive refuses them too, whoever calls it.
  std::array<std::uint8_t, kKeyFileSaltBytes> salt{};
  EXPECT_EQ(derive_key_encryption_key(secret("x"), {1, kMaxKdfMemlimit + 1}, salt).error().code,
            ErrorCode::InvalidArgument);
}

TEST(KeyFileTest, IntactFilesWithOtherFieldsAreRejected) {
  const Bytes good = one_slot_file(key_filled(9));
  Bytes magic = good;
  magic[0] = 'F';
  fix_checksum(magic);
  EXPECT_EQ(parse_key_file(magic).error().code, ErrorCode::KeyFileCorrupt);
  Bytes version = good;
  version[5] = 2;
  fix_checksum(version);
  EXPECT_EQ(parse_key_file(version).error().code, ErrorCode::UnsupportedVersion);
  Bytes kdf = good;
  kdf[6] = 2;
  fix_checksum(kdf);
  EXPECT_EQ(parse_key_file(kdf).error().code, ErrorCode::KeyFileCorrupt);
  for (const std::uint8_t count :
       {std::uint8_t{0}, std::uint8_t{2}, std::uint8_t{3}, std::uint8_t{255}}) {
    Bytes slots = good;
    slots[kKeyFileHeaderBytes - 1] = count;
    fix_checksum(slots);
    EXPECT_EQ(parse_key_file(slots).error().code, ErrorCode::KeyFileCorrupt) << int{count};
  }
}

TEST(KeyFileTest, WeakParametersAreNeverWritten) {
  const DatabaseKey key = key_filled(10);
  const DatabaseKey* keys[] = {&key};
  DeterministicRng rng(4);
  const KdfParams weak_ops{crypto_pwhash_OPSLIMIT_INTERACTIVE - 1,
                           crypto_pwhash_MEMLIMIT_INTERACTIVE};
  const KdfParams weak_mem{crypto_pwhash_OPSLIMIT_INTERACTIVE,
                           crypto_pwhash_MEMLIMIT_INTERACTIVE / 2};
  EXPECT_EQ(wrap_keys(weak_ops, shared().salt, shared().kek, keys, rng).error().code,
            ErrorCode::InvalidArgument);
  EXPECT_EQ(wrap_keys(weak_mem, shared().salt, shared().kek, keys, rng).error().code,
            ErrorCode::InvalidArgument);
  EXPECT_EQ(wrap_keys(KdfParams::interactive(), shared().salt, shared().kek, {}, rng).error().code,
            ErrorCode::InvalidArgument);
  std::array<std::uint8_t, kKeyFileSaltBytes> salt{};
  EXPECT_EQ(derive_key_encryption_key(SecureBytes(), KdfParams::interactive(), salt).error().code,
            ErrorCode::InvalidArgument);
}

TEST(KeyFileTest, ErrorsHoldNoSecrets) {
  const std::string passphrase = "correct horse";
  const DatabaseKey key = key_filled(0xa7);
  Bytes bytes = one_slot_file(key);
  std::vector<Error> errors;
  auto wrong =
      derive_key_encryption_key(secret("battery staple"), KdfParams::interactive(), shared().salt);
  ASSERT_TRUE(wrong.has_value());
  errors.push_back(unwrap_slot(*parse_key_file(bytes), 0, *wrong).error());
  Bytes flipped = bytes;
  flipped[100] ^= 1;
  errors.push_back(parse_key_file(flipped).error());
  errors.push_back(parse_key_file(ByteView(bytes).first(10)).error());
  const std::string key_hex = to_hex(key.view());
  const std::string kek_hex = to_hex(shared().kek.view());
  for (const auto& error : errors) {
    EXPECT_EQ(error.message.find(passphrase), std::string::npos) << error.message;
    EXPECT_EQ(error.message.find("battery"), std::string::npos) << error.message;
    EXPECT_EQ(error.message.find(key_hex.substr(0, 8)), std::string::npos) << error.message;
    EXPECT_EQ(error.message.find(kek_hex.substr(0, 8)), std::string::npos) << error.message;
    EXPECT_EQ(error.message.find("\xa7\xa7"), std::string::npos);
  }
}

TEST(KeyFileTest, ReadKeyFile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("exile_key_file_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  EXPECT_EQ(read_key_file(dir / "missing").error().code, ErrorCode::NotFound);
  const Bytes good = one_slot_file(key_filled(11));
  {
    std::ofstream out(dir / "good", std::ios::binary);
    out.write(reinterpret_cast<const char*>(good.data()),
              static_cast<std::streamsize>(good.size()));
    std::ofstream big(dir / "big", std::ios::binary);
    const std::string filler(kMaxKeyFileBytes + 1, 'x');
    big << filler;
  }
  auto read = read_key_file(dir / "good");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(*read, good);
  EXPECT_EQ(read_key_file(dir / "big").error().code, ErrorCode::KeyFileCorrupt);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace exile::store
