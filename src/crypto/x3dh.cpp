// X3DH (Signal's specification, Exile's encodings: docs/protocol.md §"X3DH").
//
// Purpose: derive the Double Ratchet's root key and first two header keys from Alice's
// identity and ephemeral keys and Bob's identity, signed prekey and optional one-time prekey.
//
// Invariants:
// - Reject before use. x3dh_initiate checks, in this order, that the bundle's identity is the
//   one the invitation pinned (IdentityMismatch), that the signed prekey's signature verifies
//   (BadSignature) and that the peer is not ourselves (InvalidKey), before EK_A is made or any
//   DH runs: a key that has not been authenticated must not influence a secret. x3dh_respond
//   opens the seal (which authenticates the whole header) before it reads IK_A or looks up a
//   one-time prekey. The key types hold only validated keys (canonical X25519, prime-order
//   Ed25519), and a DH whose result is all zero (a low-order point) aborts with WeakKey.
// - The initial header seals Alice's identity key. The relay that carries the first message
//   sees EK_A and the signed prekey id but must not learn who is writing to Bob, so IK_A (and
//   the one-time prekey id, which the relay that handed it out could link to the fetch) travel
//   encrypted under K_seal = HKDF(DH(EK_A, SPK_B)), which only Alice and Bob can compute.
//   K_seal is fresh per EK_A and seals exactly one plaintext (later Initial envelopes repeat
//   the same bytes), so the all-zero nonce is never reused with a key; the header bytes before
//   the seal are its associated data, so no plaintext field can be changed or swapped.
// - Both sides build the KDF input (Ikm) and the AD (derive) the same way, byte for byte;
//   secrets pass only through TempSecret / SecureBuffer and are wiped.
// - x3dh_respond never changes the prekey store: the caller removes the one-time prekey when
//   it commits the first decrypted message, so a failed or replayed message changes nothing.
#include "crypto/x3dh.h"

#include <sodium.h>

#include <algorithm>
#include <string_view>

#include "common/sodium.h"
#include "crypto/hkdf.h"
#include "crypto/store.h"

namespace exile::crypto {
namespace {

constexpr std::string_view kFingerprintContext = "Exile_IdentityFingerprint_v1";
constexpr std::string_view kX3dhInfo = "Exile_X3DH_v1";
constexpr std::string_view kSealInfo = "Exile_X3DH_Seal_v1";

constexpr std::uint8_t kInitialType = 0x02;  // EnvelopeType::Initial
constexpr std::uint8_t kInitialVersion = 0x01;
constexpr std::uint8_t kAdVersion = 0x01;

// Sealed plaintext: IK_A, opk_present, opk_id, kem_len.
constexpr std::size_t kSealedPlainBytes = kEd25519PublicBytes + 1 + 4 + 2;  // 39
constexpr std::size_t kSealedBytes =
    kSealedPlainBytes + crypto_aead_xchacha20poly1305_ietf_ABYTES;  // 55
// type, version, EK_A, spk_id, sealed_len: the associated data of the seal.
constexpr std::size_t kHeaderPrefixBytes = 1 + 1 + kX25519Bytes + 4 + 2;  // 40
constexpr std::size_t kInitialHeaderBytes = kHeaderPrefixBytes + kSealedBytes;

constexpr std::size_t kDhCountMax = 4;
constexpr std::size_t kIkmMaxBytes = kX25519Bytes * (1 + kDhCountMax);
constexpr std::size_t kSeedBytes = kRootKeyBytes + 2 * kHeaderKeyBytes;  // 96

constexpr std::uint8_t kZeroSalt[kHmacSha256Bytes] = {};
constexpr std::uint8_t kZeroNonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = {};

// IKM = 0xFF x 32 || DH1 || DH2 || DH3 [|| DH4]. The DH outputs are written into it directly.
class Ikm {
 public:
  Ikm() { std::fill_n(bytes_.data(), kX25519Bytes, std::uint8_t{0xff}); }
  [[nodiscard]] std::span<std::uint8_t, kX25519Bytes> dh(std::size_t index) {
    return std::span<std::uint8_t, kX25519Bytes>(bytes_.data() + kX25519Bytes * index,
                                                 kX25519Bytes);
  }
  [[nodiscard]] ByteView view(bool with_dh4) const {
    return bytes_.view().first(kX25519Bytes * (with_dh4 ? 5 : 4));
  }

 private:
  TempSecret<kIkmMaxBytes> bytes_;
};

Result<void> dh(std::span<std::uint8_t, kX25519Bytes> out, const SecureBuffer<kX25519Bytes>& secret,
                const X25519PublicKey& peer, const char* which) {
  if (!x25519(out, secret.span(), peer)) {
    return fail(ErrorCode::WeakKey, std::string("X3DH: ") + which + " is all zero (low-order key)");
  }
  return {};
}

Result<SessionSeed> derive(const Ikm& ikm, bool with_dh4, const IdentityPublicKey& initiator,
                           const IdentityPublicKey& responder, bool local_is_initiator) {
  TempSecret<kSeedBytes> okm;
  EXILE_TRY(hkdf_sha256(okm.span(), kZeroSalt, ikm.view(with_dh4), as_bytes(kX3dhInfo)));
  const ByteView out = okm.view();
  Bytes ad;
  ad.reserve(1 + 2 + kEd25519PublicBytes + 2 + kEd25519PublicBytes);
  ad.push_back(kAdVersion);
  append_u16(ad, static_cast<std::uint16_t>(kEd25519PublicBytes));
  append(ad, initiator.view());
  append_u16(ad, static_cast<std::uint16_t>(kEd25519PublicBytes));
  append(ad, responder.view());
  return SessionSeed{
      .root_key = SecureBuffer<kRootKeyBytes>(out.subspan(0, kRootKeyBytes)),
      .initiator_header_key =
          SecureBuffer<kHeaderKeyBytes>(out.subspan(kRootKeyBytes, kHeaderKeyBytes)),
      .responder_next_header_key = SecureBuffer<kHeaderKeyBytes>(
          out.subspan(kRootKeyBytes + kHeaderKeyBytes, kHeaderKeyBytes)),
      .associated_data = std::move(ad),
      .local_identity = local_is_initiator ? initiator : responder,
      .remote_identity = local_is_initiator ? responder : initiator,
  };
}

Result<void> seal_key(TempSecret<crypto_aead_xchacha20poly1305_ietf_KEYBYTES>& key,
                      std::span<const std::uint8_t, kX25519Bytes> dh3) {
  return hkdf_sha256(key.span(), kZeroSalt, dh3, as_bytes(kSealInfo));
}

// The plaintext fields of an initial header, read by parse_initial_message and re-read by
// x3dh_respond from the header bytes it authenticates.
struct HeaderFields {
  X25519PublicKey ephemeral;
  PreKeyId signed_prekey_id;
  ByteView sealed;
};

Result<HeaderFields> parse_header(ByteReader& reader) {
  std::uint8_t type = 0;
  std::uint8_t version = 0;
  if (!reader.read_u8(type)) return fail(ErrorCode::MalformedMessage, "initial: empty");
  if (type != kInitialType) return fail(ErrorCode::MalformedMessage, "initial: not an initial");
  if (!reader.read_u8(version)) return fail(ErrorCode::MalformedMessage, "initial: truncated");
  if (version != kInitialVersion) {
    return fail(ErrorCode::UnsupportedVersion, "initial: unknown header version");
  }
  ByteView ek;
  if (!reader.read_view(kX25519Bytes, ek)) {
    return fail(ErrorCode::MalformedMessage, "initial: truncated ephemeral key");
  }
  auto ephemeral = X25519PublicKey::from_bytes(ek);
  if (!ephemeral) return fail(ErrorCode::InvalidKey, "initial: ephemeral key not canonical");
  PreKeyId spk_id = 0;
  std::uint16_t sealed_len = 0;
  if (!reader.read_u32(spk_id) || !reader.read_u16(sealed_len)) {
    return fail(ErrorCode::MalformedMessage, "initial: truncated header");
  }
  if (sealed_len != kSealedBytes) {
    return fail(ErrorCode::MalformedMessage, "initial: wrong sealed length");
  }
  ByteView sealed;
  if (!reader.read_view(kSealedBytes, sealed)) {
    return fail(ErrorCode::MalformedMessage, "initial: truncated sealed part");
  }
  return HeaderFields{*ephemeral, spk_id, sealed};
}

}  // namespace

IdentityFingerprint IdentityFingerprint::of(const IdentityPublicKey& key) {
  ensure_sodium();
  IdentityFingerprint fingerprint;
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  const ByteView context = as_bytes(kFingerprintContext);
  crypto_hash_sha256_update(&state, context.data(), context.size());
  crypto_hash_sha256_update(&state, key.view().data(), key.view().size());
  crypto_hash_sha256_final(&state, fingerprint.bytes.data());
  return fingerprint;
}

bool IdentityFingerprint::matches(const IdentityPublicKey& key) const {
  const IdentityFingerprint actual = of(key);
  return sodium_memcmp(actual.bytes.data(), bytes.data(), bytes.size()) == 0;
}

Result<IdentityFingerprint> IdentityFingerprint::from_bytes(ByteView bytes) {
  IdentityFingerprint fingerprint;
  if (bytes.size() != fingerprint.bytes.size()) {
    return fail(ErrorCode::MalformedMessage, "fingerprint: wrong length");
  }
  std::copy(bytes.begin(), bytes.end(), fingerprint.bytes.begin());
  return fingerprint;
}

Result<X3dhInitiation> x3dh_initiate(const IdentityKeyPair& own, const PreKeyBundle& bundle,
                                     const IdentityFingerprint& expected, Rng& rng) {
  ensure_sodium();
  if (!expected.matches(bundle.identity)) {
    return fail(ErrorCode::IdentityMismatch, "X3DH: bundle identity differs from the invitation");
  }
  EXILE_TRY(bundle.verify_signature());
  if (bundle.identity == own.public_key()) {
    return fail(ErrorCode::InvalidKey, "X3DH: bundle is our own identity");
  }
  if (bundle.kind == BundleKind::Reset && bundle.one_time_prekey) {
    return fail(ErrorCode::MalformedMessage, "X3DH: reset bundle with one-time prekey");
  }

  const X25519KeyPair ephemeral = X25519KeyPair::generate(rng);
  const bool with_dh4 = bundle.one_time_prekey.has_value();
  Ikm ikm;
  EXILE_TRY(dh(ikm.dh(1), own.x25519_secret(), bundle.signed_prekey, "DH1"));
  EXILE_TRY(dh(ikm.dh(2), ephemeral.secret(), bundle.identity.x25519(), "DH2"));
  EXILE_TRY(dh(ikm.dh(3), ephemeral.secret(), bundle.signed_prekey, "DH3"));
  if (with_dh4) EXILE_TRY(dh(ikm.dh(4), ephemeral.secret(), bundle.one_time_prekey->key, "DH4"));

  auto seed = derive(ikm, with_dh4, own.public_key(), bundle.identity, true);
  if (!seed) return fail(seed.error());

  // Sealed plaintext: IK_A || opk_present || opk_id || kem_len.
  std::array<std::uint8_t, kSealedPlainBytes> plain{};
  std::copy_n(own.public_key().bytes().data(), kEd25519PublicBytes, plain.data());
  plain[kEd25519PublicBytes] = with_dh4 ? 1 : 0;
  store_u32(plain.data() + kEd25519PublicBytes + 1, with_dh4 ? bundle.one_time_prekey->id : 0);
  // plain[37..38]: kem_len = 0, already zero.

  Bytes header;
  header.reserve(kInitialHeaderBytes);
  header.push_back(kInitialType);
  header.push_back(kInitialVersion);
  append(header, ephemeral.public_key().view());
  append_u32(header, bundle.signed_prekey_id);
  append_u16(header, static_cast<std::uint16_t>(kSealedBytes));
  header.resize(kInitialHeaderBytes);

  TempSecret<crypto_aead_xchacha20poly1305_ietf_KEYBYTES> k_seal;
  EXILE_TRY(seal_key(k_seal, ikm.dh(3)));
  unsigned long long sealed_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      header.data() + kHeaderPrefixBytes, &sealed_len, plain.data(), plain.size(), header.data(),
      kHeaderPrefixBytes, nullptr, kZeroNonce, k_seal.data());
  if (sealed_len != kSealedBytes) return fail(ErrorCode::Internal, "X3DH: seal length");

  return X3dhInitiation{
      .seed = std::move(*seed),
      .remote_ratchet_key = bundle.signed_prekey,
      .initial_header = std::move(header),
      .signed_prekey_id = bundle.signed_prekey_id,
      .one_time_prekey_id =
          with_dh4 ? std::optional<PreKeyId>(bundle.one_time_prekey->id) : std::nullopt,
  };
}

Result<InitialMessage> parse_initial_message(ByteView envelope) {
  ByteReader reader(envelope);
  auto fields = parse_header(reader);
  if (!fields) return fail(fields.error());
  const ByteView header_bytes = envelope.first(reader.position());
  const ByteView ratchet_envelope = reader.rest();
  if (ratchet_envelope.empty()) {
    return fail(ErrorCode::MalformedMessage, "initial: no ratchet envelope after the header");
  }
  return InitialMessage{
      .ephemeral = fields->ephemeral,
      .signed_prekey_id = fields->signed_prekey_id,
      .sealed = fields->sealed,
      .header_bytes = header_bytes,
      .ratchet_envelope = ratchet_envelope,
  };
}

Result<X3dhResponse> x3dh_respond(const IdentityKeyPair& own, const PreKeyStore& prekeys,
                                  const InitialMessage& message) {
  ensure_sodium();
  // The sealed part authenticates header_bytes; the fields used below must be those bytes.
  ByteReader reader(message.header_bytes);
  auto fields = parse_header(reader);
  if (!fields) return fail(fields.error());
  if (!reader.empty() || !(fields->ephemeral == message.ephemeral) ||
      fields->signed_prekey_id != message.signed_prekey_id ||
      !std::equal(fields->sealed.begin(), fields->sealed.end(), message.sealed.begin(),
                  message.sealed.end())) {
    return fail(ErrorCode::MalformedMessage, "initial: fields disagree with the header bytes");
  }

  auto spk = prekeys.load_signed_prekey(message.signed_prekey_id);
  if (!spk) return fail(spk.error());
  if (!spk->has_value()) return fail(ErrorCode::UnknownPreKey, "X3DH: unknown signed prekey");
  const X25519KeyPair& signed_prekey = (*spk)->key;

  Ikm ikm;
  EXILE_TRY(dh(ikm.dh(3), signed_prekey.secret(), message.ephemeral, "DH3"));

  TempSecret<crypto_aead_xchacha20poly1305_ietf_KEYBYTES> k_seal;
  EXILE_TRY(seal_key(k_seal, ikm.dh(3)));
  std::array<std::uint8_t, kSealedPlainBytes> plain{};
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &plain_len, nullptr, message.sealed.data(), message.sealed.size(),
          message.header_bytes.data(), kHeaderPrefixBytes, kZeroNonce, k_seal.data()) != 0 ||
      plain_len != kSealedPlainBytes) {
    return fail(ErrorCode::DecryptionFailed, "initial: sealed header did not open");
  }

  auto initiator = IdentityPublicKey::from_bytes(ByteView(plain).first(kEd25519PublicBytes));
  if (!initiator) return fail(ErrorCode::InvalidKey, "initial: initiator identity invalid");
  if (*initiator == own.public_key()) {
    return fail(ErrorCode::InvalidKey, "initial: initiator identity is our own");
  }
  const std::uint8_t opk_present = plain[kEd25519PublicBytes];
  const PreKeyId opk_id = load_u32(plain.data() + kEd25519PublicBytes + 1);
  const std::uint16_t kem_len = load_u16(plain.data() + kEd25519PublicBytes + 5);
  if (opk_present > 1 || (opk_present == 0 && opk_id != 0)) {
    return fail(ErrorCode::MalformedMessage, "initial: bad one-time prekey field");
  }
  if (kem_len != 0) return fail(ErrorCode::UnsupportedVersion, "initial: KEM not supported");

  std::optional<OneTimePreKey> opk;
  if (opk_present == 1) {
    auto loaded = prekeys.load_one_time_prekey(opk_id);
    if (!loaded) return fail(loaded.error());
    if (!loaded->has_value())
      return fail(ErrorCode::UnknownPreKey, "X3DH: unknown one-time prekey");
    opk = std::move(**loaded);
  }

  EXILE_TRY(dh(ikm.dh(1), signed_prekey.secret(), initiator->x25519(), "DH1"));
  EXILE_TRY(dh(ikm.dh(2), own.x25519_secret(), message.ephemeral, "DH2"));
  if (opk) EXILE_TRY(dh(ikm.dh(4), opk->key.secret(), message.ephemeral, "DH4"));

  auto seed = derive(ikm, opk.has_value(), *initiator, own.public_key(), false);
  if (!seed) return fail(seed.error());

  return X3dhResponse{
      .seed = std::move(*seed),
      .ratchet_key = signed_prekey.clone(),
      .initiator_ephemeral = message.ephemeral,
      .initial_header = Bytes(message.header_bytes.begin(), message.header_bytes.end()),
      .signed_prekey_id = message.signed_prekey_id,
      .one_time_prekey_id = opk ? std::optional<PreKeyId>(opk->id) : std::nullopt,
  };
}

}  // namespace exile::crypto
