// The sealed contact bundle and the relay's one-time keys (docs/protocol.md §3.6).
//
// Invariants:
// - The relay never sees the bundle in the clear: sealed = version ‖ nonce ‖ AEAD(K, nonce,
//   ad = version, bundle without its one-time prekey), K = HKDF(bundle key,
//   "Exile_ContactBundle_v1"). The bundle key seals a new bundle at every signed-prekey rotation,
//   so the nonce is 24 fresh random bytes each time (XChaCha20: no collision worth counting).
// - open_contact_bundle is the only reader of sealed bundles. Its checks run in the order of
//   §3.6; nothing of the plaintext is parsed before the tag has verified, and what it accepts
//   is exactly what seal_contact_bundle writes under that key: a v1 contact bundle with no
//   one-time prekey (a sealed one-time prekey would go to every initiator).
// - A one-time key is its id and public key, nothing more: it is not bound to the bundle or
//   to its owner, on purpose (§3.6 says what a relay can do with that).
#include "crypto/contact_bundle.h"

#include <sodium.h>

#include <algorithm>
#include <string_view>

#include "common/sodium.h"
#include "crypto/detail/no_throw.h"
#include "crypto/hkdf.h"

namespace exile::crypto {
namespace {

constexpr std::string_view kContactBundleInfo = "Exile_ContactBundle_v1";
constexpr std::uint8_t kSealedBundleVersion = 0x01;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(kSealedBundleOverheadBytes == 1 + kNonceBytes + kTagBytes);
static_assert(kBundleKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

constexpr std::uint8_t kZeroSalt[kHmacSha256Bytes] = {};

bool usable(const SecureBuffer<kBundleKeyBytes>& key) {
  return key.valid() && !sodium_is_zero(key.data(), key.size());
}

// K = HKDF(salt = 32 zero bytes, IKM = bundle key, info = "Exile_ContactBundle_v1", L = 32).
Result<void> sealing_key(TempSecret<kBundleKeyBytes>& key,
                         const SecureBuffer<kBundleKeyBytes>& bundle_key) {
  return hkdf_sha256(key.span(), kZeroSalt, bundle_key.view(), as_bytes(kContactBundleInfo));
}

}  // namespace

Result<Bytes> seal_contact_bundle(const PreKeyBundle& bundle,
                                  const SecureBuffer<kBundleKeyBytes>& bundle_key, Rng& rng) {
  return detail::no_throw([&]() -> Result<Bytes> {
    ensure_sodium();
    if (bundle.kind != BundleKind::Contact) {
      return fail(ErrorCode::InvalidArgument, "sealed bundle: not a contact bundle");
    }
    if (!usable(bundle_key)) {
      return fail(ErrorCode::InvalidArgument, "sealed bundle: bundle key all zero");
    }
    PreKeyBundle without_one_time = bundle;
    without_one_time.one_time_prekey.reset();
    const Bytes plain = without_one_time.serialize();

    Bytes sealed(kSealedBundleOverheadBytes + plain.size());
    sealed[0] = kSealedBundleVersion;
    rng.fill(MutableByteView(sealed).subspan(1, kNonceBytes));

    TempSecret<kBundleKeyBytes> key;
    EXILE_TRY(sealing_key(key, bundle_key));
    unsigned long long sealed_len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data() + 1 + kNonceBytes, &sealed_len,
                                               plain.data(), plain.size(), sealed.data(), 1,
                                               nullptr, sealed.data() + 1, key.data());
    if (sealed_len != plain.size() + kTagBytes) {
      return fail(ErrorCode::Internal, "sealed bundle: seal length");
    }
    return sealed;
  });
}

Result<PreKeyBundle> open_contact_bundle(ByteView sealed,
                                         const SecureBuffer<kBundleKeyBytes>& bundle_key) {
  return detail::no_throw([&]() -> Result<PreKeyBundle> {
    ensure_sodium();
    if (!usable(bundle_key)) {
      return fail(ErrorCode::InvalidArgument, "sealed bundle: bundle key all zero");
    }
    if (sealed.empty()) return fail(ErrorCode::MalformedMessage, "sealed bundle: empty");
    if (sealed[0] != kSealedBundleVersion) {
      return fail(ErrorCode::UnsupportedVersion, "sealed bundle: unknown version");
    }
    if (sealed.size() < kSealedBundleOverheadBytes) {
      return fail(ErrorCode::MalformedMessage, "sealed bundle: truncated");
    }
    if (sealed.size() > kMaxSealedBundleBytes) {
      return fail(ErrorCode::MalformedMessage, "sealed bundle: too long");
    }

    TempSecret<kBundleKeyBytes> key;
    EXILE_TRY(sealing_key(key, bundle_key));
    const ByteView ciphertext = sealed.subspan(1 + kNonceBytes);
    Bytes plain(ciphertext.size() - kTagBytes);
    unsigned long long plain_len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain.data(), &plain_len, nullptr, ciphertext.data(), ciphertext.size(), sealed.data(),
            1, sealed.data() + 1, key.data()) != 0 ||
        plain_len != plain.size()) {
      return fail(ErrorCode::DecryptionFailed, "sealed bundle: did not open");
    }

    auto bundle = PreKeyBundle::parse(plain);
    if (!bundle) return fail(bundle.error());
    if (bundle->kind != BundleKind::Contact) {
      return fail(ErrorCode::MalformedMessage, "sealed bundle: not a contact bundle");
    }
    if (bundle->one_time_prekey) {
      return fail(ErrorCode::MalformedMessage, "sealed bundle: carries a one-time prekey");
    }
    return bundle;
  });
}

Bytes encode_one_time_key(const OneTimePreKeyPublic& key) {
  Bytes out;
  out.reserve(kOneTimeKeyBytes);
  append_u32(out, key.id);
  append(out, key.key.view());
  return out;
}

Result<OneTimePreKeyPublic> decode_one_time_key(ByteView bytes) {
  if (bytes.size() != kOneTimeKeyBytes) {
    return fail(ErrorCode::MalformedMessage, "one-time key: wrong length");
  }
  auto key = X25519PublicKey::from_bytes(bytes.subspan(4));
  if (!key) return fail(ErrorCode::InvalidKey, "one-time key: not canonical");
  return OneTimePreKeyPublic{load_u32(bytes.data()), *key};
}

}  // namespace exile::crypto
