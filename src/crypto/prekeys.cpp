// Prekeys and the prekey bundle (docs/protocol.md §"Prekey bundle").
//
// Invariants:
// - parse() is the only reader of bundle bytes. It accepts exactly the bytes serialize()
//   writes, nothing more: fields are read in wire order, the first failure is reported, and
//   a bundle that parses re-serializes to the same bytes (fuzz_bundle checks this).
// - parse() validates every key but not the signature; x3dh_initiate() calls
//   verify_signature() before any key of the bundle is used.
// - The signature covers the bundle kind, so a reset prekey cannot be replayed as a contact
//   prekey or the other way round.
#include "crypto/prekeys.h"

#include <string_view>

namespace exile::crypto {
namespace {

constexpr std::string_view kSignedPreKeyContext = "Exile_SignedPreKey_v1";

// version, kind, identity, spk id, spk, signature, opk flag, kem_len
constexpr std::size_t kBundleFixedBytes =
    1 + 1 + kEd25519PublicBytes + 4 + kX25519Bytes + kSignatureBytes + 1 + 2;
constexpr std::size_t kBundleOneTimePreKeyBytes = 4 + kX25519Bytes;

std::unexpected<Error> malformed(std::string message) {
  return fail(ErrorCode::MalformedMessage, std::move(message));
}

}  // namespace

Bytes signed_prekey_message(BundleKind kind, PreKeyId id, const X25519PublicKey& key) {
  Bytes message;
  message.reserve(kSignedPreKeyContext.size() + 1 + 4 + kX25519Bytes);
  append(message, as_bytes(kSignedPreKeyContext));
  message.push_back(static_cast<std::uint8_t>(kind));
  append_u32(message, id);
  append(message, key.view());
  return message;
}

SignedPreKey generate_signed_prekey(const IdentityKeyPair& identity, PreKeyId id, UnixMillis now,
                                    Rng& rng, BundleKind kind) {
  X25519KeyPair key = X25519KeyPair::generate(rng);
  Ed25519Signature signature = identity.sign(signed_prekey_message(kind, id, key.public_key()));
  return SignedPreKey{id, std::move(key), signature, now};
}

std::vector<OneTimePreKey> generate_one_time_prekeys(PreKeyId first_id, std::size_t count,
                                                     Rng& rng) {
  std::vector<OneTimePreKey> keys;
  keys.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    // Ids wrap modulo 2^32; the owner picks first_id so that live ids do not collide.
    const auto id = static_cast<PreKeyId>(first_id + static_cast<PreKeyId>(i));
    keys.push_back(OneTimePreKey{id, X25519KeyPair::generate(rng)});
  }
  return keys;
}

PreKeyBundle PreKeyBundle::make(const IdentityKeyPair& identity, const SignedPreKey& spk,
                                const OneTimePreKey* opk, BundleKind kind) {
  std::optional<OneTimePreKeyPublic> one_time;
  // A reset bundle never carries a one-time prekey (parse() rejects one), so it is dropped
  // here rather than producing a bundle no peer would accept.
  if (opk != nullptr && kind == BundleKind::Contact) {
    one_time = OneTimePreKeyPublic{opk->id, opk->key.public_key()};
  }
  return PreKeyBundle{
      .kind = kind,
      .identity = identity.public_key(),
      .signed_prekey_id = spk.id,
      .signed_prekey = spk.key.public_key(),
      .signed_prekey_signature = spk.signature,
      .one_time_prekey = one_time,
  };
}

Bytes PreKeyBundle::serialize() const {
  Bytes out;
  out.reserve(kBundleFixedBytes + kBundleOneTimePreKeyBytes);
  out.push_back(kVersion);
  out.push_back(static_cast<std::uint8_t>(kind));
  append(out, identity.view());
  append_u32(out, signed_prekey_id);
  append(out, signed_prekey.view());
  append(out, signed_prekey_signature.view());
  if (one_time_prekey) {
    out.push_back(1);
    append_u32(out, one_time_prekey->id);
    append(out, one_time_prekey->key.view());
  } else {
    out.push_back(0);
  }
  append_u16(out, 0);  // KEM slot: empty in v1
  return out;
}

Result<PreKeyBundle> PreKeyBundle::parse(ByteView bytes) {
  ByteReader reader(bytes);
  std::uint8_t version = 0;
  if (!reader.read_u8(version)) return malformed("bundle: empty");
  if (version != kVersion) return fail(ErrorCode::UnsupportedVersion, "bundle: unknown version");

  std::uint8_t kind_byte = 0;
  if (!reader.read_u8(kind_byte)) return malformed("bundle: truncated kind");
  if (kind_byte != static_cast<std::uint8_t>(BundleKind::Contact) &&
      kind_byte != static_cast<std::uint8_t>(BundleKind::Reset)) {
    return malformed("bundle: unknown kind");
  }
  const auto kind = static_cast<BundleKind>(kind_byte);

  ByteView field;
  if (!reader.read_view(kEd25519PublicBytes, field)) return malformed("bundle: truncated identity");
  auto identity = IdentityPublicKey::from_bytes(field);
  if (!identity) return fail(identity.error());

  PreKeyId spk_id = 0;
  if (!reader.read_u32(spk_id)) return malformed("bundle: truncated signed prekey id");
  if (!reader.read_view(kX25519Bytes, field)) return malformed("bundle: truncated signed prekey");
  auto spk = X25519PublicKey::from_bytes(field);
  if (!spk) return fail(ErrorCode::InvalidKey, "bundle: signed prekey not canonical");

  if (!reader.read_view(kSignatureBytes, field)) return malformed("bundle: truncated signature");
  auto signature = Ed25519Signature::from_bytes(field);
  if (!signature) return malformed("bundle: signature");

  std::uint8_t opk_present = 0;
  if (!reader.read_u8(opk_present)) return malformed("bundle: truncated one-time prekey flag");
  std::optional<OneTimePreKeyPublic> one_time;
  if (opk_present == 1) {
    if (kind == BundleKind::Reset) return malformed("bundle: reset bundle with one-time prekey");
    PreKeyId opk_id = 0;
    if (!reader.read_u32(opk_id)) return malformed("bundle: truncated one-time prekey id");
    if (!reader.read_view(kX25519Bytes, field))
      return malformed("bundle: truncated one-time prekey");
    auto opk = X25519PublicKey::from_bytes(field);
    if (!opk) return fail(ErrorCode::InvalidKey, "bundle: one-time prekey not canonical");
    one_time = OneTimePreKeyPublic{opk_id, *opk};
  } else if (opk_present != 0) {
    return malformed("bundle: one-time prekey flag not 0 or 1");
  }

  std::uint16_t kem_len = 0;
  if (!reader.read_u16(kem_len)) return malformed("bundle: truncated KEM slot");
  if (kem_len != 0) return fail(ErrorCode::UnsupportedVersion, "bundle: KEM key not supported");
  if (!reader.empty()) return malformed("bundle: trailing bytes");

  return PreKeyBundle{
      .kind = kind,
      .identity = *identity,
      .signed_prekey_id = spk_id,
      .signed_prekey = *spk,
      .signed_prekey_signature = *signature,
      .one_time_prekey = one_time,
  };
}

Result<void> PreKeyBundle::verify_signature() const {
  if (!identity.verify(signed_prekey_message(kind, signed_prekey_id, signed_prekey),
                       signed_prekey_signature)) {
    return fail(ErrorCode::BadSignature, "bundle: signed prekey signature does not verify");
  }
  return {};
}

}  // namespace exile::crypto
