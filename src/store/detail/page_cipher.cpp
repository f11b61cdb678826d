#include "store/detail/page_cipher.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "common/bytes.h"

namespace exile::store::detail {
namespace {

static_assert(kNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kDatabaseKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

constexpr std::uint8_t kJournalHeaderLabel = 'H';
// Longest associated data: page 1's readable header and the page number.
constexpr std::size_t kMaxAdBytes = kHeaderPlainEnd + 4;

// Associated data (docs/storage.md §"Page format"):
//   page 1:  sealed[0..24) ‖ be32(1)            (28 bytes)
//   page n:  id ‖ be32(n)                         (20 bytes)
std::size_t make_ad(const DatabaseId& id, std::uint32_t pgno, const std::uint8_t* sealed_header,
                    std::uint8_t* ad) {
  std::size_t n = 0;
  if (pgno == 1) {
    std::memcpy(ad, sealed_header, kHeaderPlainEnd);
    n = kHeaderPlainEnd;
  } else {
    std::memcpy(ad, id.data(), id.size());
    n = id.size();
  }
  store_u32(ad + n, pgno);
  return n + 4;
}

// The encrypted range of a page: page 1 leaves its header readable.
std::size_t sealed_begin(std::uint32_t pgno) { return pgno == 1 ? kHeaderPlainEnd : 0; }

// Journal header associated data: id ‖ be64(offset) ‖ header bytes 12 … 27 ‖ 'H' (41 bytes,
// a length no page's associated data has).
constexpr std::size_t kHeaderAdBytes = kDatabaseIdBytes + 8 + 16 + 1;
static_assert(kJournalHeaderBytes - kJournalHeaderFixed == 16);

void make_header_ad(const DatabaseId& id, std::int64_t offset, const std::uint8_t* header,
                    std::uint8_t* ad) {
  std::memcpy(ad, id.data(), id.size());
  store_u32(ad + kDatabaseIdBytes,
            static_cast<std::uint32_t>(static_cast<std::uint64_t>(offset) >> 32));
  store_u32(ad + kDatabaseIdBytes + 4, static_cast<std::uint32_t>(offset));
  std::memcpy(ad + kDatabaseIdBytes + 8, header + kJournalHeaderFixed, 16);
  ad[kHeaderAdBytes - 1] = kJournalHeaderLabel;
}

}  // namespace

void seal_journal_header(const DatabaseKey& key, const DatabaseId& id, std::int64_t offset,
                         std::uint8_t* header) {
  std::uint8_t ad[kHeaderAdBytes];
  make_header_ad(id, offset, header, ad);
  std::uint8_t* nonce = header + kJournalHeaderBytes;
  std::uint8_t* tag = nonce + kNonceBytes;
  randombytes_buf(nonce, kNonceBytes);
  std::uint8_t none = 0;  // no message: the tag authenticates the associated data alone
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(&none, tag, nullptr, &none, 0, ad, sizeof ad,
                                                      nullptr, nonce, key.data());
}

bool journal_header_authentic(const DatabaseKey& key, const DatabaseId& id, std::int64_t offset,
                              const std::uint8_t* header) {
  std::uint8_t ad[kHeaderAdBytes];
  make_header_ad(id, offset, header, ad);
  const std::uint8_t* nonce = header + kJournalHeaderBytes;
  std::uint8_t none = 0;
  return crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
             &none, nullptr, &none, 0, nonce + kNonceBytes, ad, sizeof ad, nonce, key.data()) == 0;
}

void seal_page(const DatabaseKey& key, const DatabaseId& id, std::uint32_t pgno,
               const std::uint8_t* plain, std::uint8_t* sealed) {
  const std::size_t begin = sealed_begin(pgno);
  if (begin != 0) {
    std::copy(id.begin(), id.end(), sealed);
    std::memcpy(sealed + kDatabaseIdBytes, plain + kDatabaseIdBytes,
                kHeaderPlainEnd - kDatabaseIdBytes);
  }
  std::uint8_t* nonce = sealed + kSealedEnd;
  std::uint8_t* tag = nonce + kNonceBytes;
  randombytes_buf(nonce, kNonceBytes);
  std::uint8_t ad[kMaxAdBytes];
  const std::size_t ad_len = make_ad(id, pgno, sealed, ad);
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(sealed + begin, tag, nullptr, plain + begin,
                                                      kSealedEnd - begin, ad, ad_len, nullptr,
                                                      nonce, key.data());
}

bool open_page(const DatabaseKey& key, DatabaseId& id, std::uint32_t pgno,
               const std::uint8_t* sealed, std::uint8_t* plain) {
  const std::size_t begin = sealed_begin(pgno);
  // Copied before decryption because plain may alias sealed.
  std::uint8_t ad[kMaxAdBytes];
  std::uint8_t nonce[kNonceBytes];
  std::uint8_t tag[kTagBytes];
  std::memcpy(nonce, sealed + kSealedEnd, kNonceBytes);
  std::memcpy(tag, sealed + kSealedEnd + kNonceBytes, kTagBytes);
  DatabaseId stored_id = id;
  if (begin != 0) std::copy(sealed, sealed + kDatabaseIdBytes, stored_id.begin());
  const std::size_t ad_len = make_ad(stored_id, pgno, sealed, ad);
  const std::uint8_t header_tail[kHeaderPlainEnd - kDatabaseIdBytes] = {
      sealed[16], sealed[17], sealed[18], sealed[19],
      sealed[20], sealed[21], sealed[22], sealed[23]};
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
      plain + begin, nullptr, sealed + begin, kSealedEnd - begin, tag, ad, ad_len, nonce,
      key.data());
  if (rc != 0) {
    sodium_memzero(plain, kPageSize);
    return false;
  }
  if (begin != 0) {
    std::copy(kSqliteMagic.begin(), kSqliteMagic.end(), plain);
    std::memcpy(plain + kDatabaseIdBytes, header_tail, sizeof header_tail);
    id = stored_id;
  }
  // SQLite never reads the reserve; it sees zeros rather than our nonce and tag.
  std::memset(plain + kSealedEnd, 0, kReserveBytes);
  return true;
}

// 64 independent 32-bit lanes of (lane + word) * odd constant: each step is a bijection of its
// lane, so one changed word always changes its lane. The lanes are eight vectors of eight (GCC
// and Clang vector extensions; the AVX2 clone is chosen at load time where the CPU has it),
// summed into one vector with odd weights (a change in one lane still changes the sum), whose
// eight lanes are folded into 64 bits.
__attribute__((target_clones("avx2", "default"))) std::uint64_t page_digest(
    const std::uint8_t* plain) {
  using Lanes = std::uint32_t __attribute__((vector_size(32)));
  constexpr std::uint32_t kMul = 0x9e3779b1u;
  constexpr std::size_t kVectors = 8;
  Lanes lane[kVectors];
  for (std::size_t v = 0; v < kVectors; ++v) {
    for (std::size_t i = 0; i < 8; ++i) lane[v][i] = static_cast<std::uint32_t>(v * 8 + i + 1);
  }
  for (std::size_t at = 0; at < kPageSize; at += kVectors * sizeof(Lanes)) {
    for (std::size_t v = 0; v < kVectors; ++v) {
      Lanes word;
      std::memcpy(&word, plain + at + v * sizeof(Lanes), sizeof word);
      lane[v] = (lane[v] + word) * kMul;
    }
  }
  Lanes sum = lane[0];
  for (std::size_t v = 1; v < kVectors; ++v) sum += lane[v] * static_cast<std::uint32_t>(2 * v + 1);
  constexpr std::uint64_t kFold = 0x9e3779b97f4a7c15ULL;
  std::uint64_t out = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    out = (out ^ sum[i]) * kFold;
    out ^= out >> 32;
  }
  return out;
}

}  // namespace exile::store::detail
