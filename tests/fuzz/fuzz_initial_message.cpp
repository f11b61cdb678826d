// Fuzz target for parse_initial_message and x3dh_respond (docs/protocol.md §"X3DH").
//
// The first input byte picks what the rest is:
// - even: a whole envelope, parsed and, if it parses, answered against a fixed prekey store.
//   A random header almost never opens its seal, so this covers the header parser and the
//   rejections before the seal.
// - odd: the 39-byte plaintext of the seal (zero-padded), sealed here under the key of a fixed
//   ephemeral key and signed prekey, followed by the rest as the ratchet envelope. This drives
//   the code behind the seal: identity key validation, the one-time prekey field, the KEM slot.
//
// The only state is the fixture, built once from DeterministicRng and never changed. The seeds
// in tests/fuzz/seeds/initial_message/ were made against this fixture (envelope_*: genuine
// initial envelopes that it accepts); if make_fixture() changes, regenerate them.
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string_view>

#include "crypto/hkdf.h"
#include "crypto/store.h"
#include "crypto/x3dh.h"

namespace {

using namespace exile;
using namespace exile::crypto;

constexpr PreKeyId kSignedPreKeyId = 1;
constexpr std::size_t kPrefixBytes = 40;
constexpr std::size_t kPlainBytes = 39;
constexpr std::size_t kSealedBytes = kPlainBytes + crypto_aead_xchacha20poly1305_ietf_ABYTES;

// A read-only prekey store: x3dh_respond only loads.
class FixedPreKeyStore final : public PreKeyStore {
 public:
  Result<std::optional<SignedPreKey>> load_signed_prekey(PreKeyId id) const override {
    auto it = signed_.find(id);
    if (it == signed_.end()) return std::optional<SignedPreKey>();
    return std::optional<SignedPreKey>(it->second.clone());
  }
  Result<void> store_signed_prekey(const SignedPreKey& key) override {
    signed_.insert_or_assign(key.id, key.clone());
    return {};
  }
  Result<void> remove_signed_prekey(PreKeyId) override { std::abort(); }
  Result<std::vector<PreKeyId>> signed_prekey_ids() const override { std::abort(); }
  Result<std::optional<OneTimePreKey>> load_one_time_prekey(PreKeyId id) const override {
    auto it = one_time_.find(id);
    if (it == one_time_.end()) return std::optional<OneTimePreKey>();
    return std::optional<OneTimePreKey>(it->second.clone());
  }
  Result<void> store_one_time_prekey(const OneTimePreKey& key) override {
    one_time_.insert_or_assign(key.id, key.clone());
    return {};
  }
  Result<void> remove_one_time_prekey(PreKeyId) override { std::abort(); }
  Result<std::size_t> count_one_time_prekeys() const override { return one_time_.size(); }

 private:
  std::map<PreKeyId, SignedPreKey> signed_;
  std::map<PreKeyId, OneTimePreKey> one_time_;
};

struct Fixture {
  IdentityKeyPair bob;
  FixedPreKeyStore store;
  Bytes header_prefix;  // type, version, EK, spk id, sealed_len for the odd mode
  std::array<std::uint8_t, 32> seal_key{};
};

Fixture make_fixture() {
  DeterministicRng rng(0xf022);
  Fixture f{IdentityKeyPair::generate(rng), {}, {}, {}};
  const SignedPreKey spk = generate_signed_prekey(f.bob, kSignedPreKeyId, from_millis(0), rng);
  if (!f.store.store_signed_prekey(spk)) std::abort();
  for (const auto& opk : generate_one_time_prekeys(0, 16, rng)) {
    if (!f.store.store_one_time_prekey(opk)) std::abort();
  }
  const X25519KeyPair ephemeral = X25519KeyPair::generate(rng);
  f.header_prefix = {0x02, 0x01};
  append(f.header_prefix, ephemeral.public_key().view());
  append_u32(f.header_prefix, kSignedPreKeyId);
  append_u16(f.header_prefix, static_cast<std::uint16_t>(kSealedBytes));
  std::array<std::uint8_t, 32> dh3{};
  if (!x25519(dh3, ephemeral.secret().span(), spk.key.public_key())) std::abort();
  static constexpr std::uint8_t kZeroSalt[32] = {};
  constexpr std::string_view kSealInfo = "Exile_X3DH_Seal_v1";
  if (!hkdf_sha256(f.seal_key, kZeroSalt, dh3, as_bytes(kSealInfo))) std::abort();
  return f;
}

void respond(const Fixture& f, ByteView envelope) {
  auto message = parse_initial_message(envelope);
  if (!message) return;
  if (message->header_bytes.size() + message->ratchet_envelope.size() != envelope.size() ||
      message->ratchet_envelope.empty()) {
    std::abort();
  }
  auto response = x3dh_respond(f.bob, f.store, *message);
  if (!response) return;
  if (!(response->seed.local_identity == f.bob.public_key()) ||
      response->seed.remote_identity == f.bob.public_key() ||
      !std::equal(response->initial_header.begin(), response->initial_header.end(),
                  message->header_bytes.begin(), message->header_bytes.end())) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture fixture = make_fixture();
  if (size == 0) return 0;
  const ByteView rest(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    respond(fixture, rest);
    return 0;
  }
  std::array<std::uint8_t, kPlainBytes> plain{};
  const std::size_t take = std::min(rest.size(), plain.size());
  std::copy_n(rest.begin(), take, plain.begin());
  Bytes envelope = fixture.header_prefix;
  envelope.resize(kPrefixBytes + kSealedBytes);
  static constexpr std::uint8_t kZeroNonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = {};
  crypto_aead_xchacha20poly1305_ietf_encrypt(envelope.data() + kPrefixBytes, nullptr, plain.data(),
                                             plain.size(), envelope.data(), kPrefixBytes, nullptr,
                                             kZeroNonce, fixture.seal_key.data());
  envelope.push_back(0x01);  // the ratchet envelope must not be empty
  append(envelope, rest.subspan(take));
  respond(fixture, envelope);
  return 0;
}
