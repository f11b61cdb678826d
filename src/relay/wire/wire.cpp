#include "relay/wire/wire.h"

#include <sodium.h>

#include "crypto/hkdf.h"

namespace exile::relay::wire {
namespace {

constexpr std::string_view kAuthInfo = "exile-relay-auth-v1";
constexpr std::string_view kCommandLabel = "exile-relay-cmd-v2";

Result<CommandKey> derive(const SecretKey& secret, const PublicKey& peer,
                          const PublicKey& queue_key, const PublicKey& session_key,
                          const SessionNonce& nonce) {
  SecureBuffer<32> shared;
  if (crypto_scalarmult(shared.data(), secret.data(), peer.data()) != 0) {
    return fail(ErrorCode::WeakKey, "low-order X25519 key");
  }
  std::array<std::uint8_t, kAuthInfo.size() + 2 * kPublicKeyBytes> info{};
  std::copy(kAuthInfo.begin(), kAuthInfo.end(), info.begin());
  std::copy(queue_key.begin(), queue_key.end(), info.begin() + kAuthInfo.size());
  std::copy(session_key.begin(), session_key.end(),
            info.begin() + kAuthInfo.size() + kPublicKeyBytes);
  SecureBuffer<32> key;
  EXILE_TRY(crypto::hkdf_sha256(key.span(), nonce, shared.span(), info));
  return CommandKey(key.span());
}

void mac(std::span<std::uint8_t, kAuthenticatorBytes> out, const CommandKey& key,
         std::uint64_t request_id, ByteView command) {
  std::array<std::uint8_t, 8> id{};
  for (std::size_t i = 0; i < 8; ++i) id[i] = static_cast<std::uint8_t>(request_id >> (56 - 8 * i));
  key.mac().mac(out, as_bytes(kCommandLabel), id, command);
}

}  // namespace

KeyPair generate_key_pair(Rng& rng) {
  KeyPair pair;
  rng.fill(MutableByteView(pair.secret_key.data(), pair.secret_key.size()));
  crypto_scalarmult_base(pair.public_key.data(), pair.secret_key.data());
  return pair;
}

Result<CommandKey> client_command_key(const KeyPair& queue, const PublicKey& session_key,
                                      const SessionNonce& nonce) {
  return derive(queue.secret_key, session_key, queue.public_key, session_key, nonce);
}

Result<CommandKey> relay_command_key(const SecretKey& session_secret, const PublicKey& session_key,
                                     const SessionNonce& nonce, const PublicKey& queue_key) {
  return derive(session_secret, queue_key, queue_key, session_key, nonce);
}

Authenticator authenticate(const CommandKey& key, std::uint64_t request_id, ByteView command) {
  Authenticator tag{};
  mac(tag, key, request_id, command);
  return tag;
}

bool verify(const CommandKey& key, std::uint64_t request_id, ByteView command, ByteView tag) {
  if (tag.size() != kAuthenticatorBytes) return false;
  Authenticator expected{};
  mac(expected, key, request_id, command);
  return sodium_memcmp(expected.data(), tag.data(), kAuthenticatorBytes) == 0;
}

bool acceptable_queue_key(const PublicKey& key) {
  // The scalar need not be secret: after clamping every scalar is a multiple of 8, so the result
  // is zero exactly for the low-order points (and zero), whatever the scalar.
  std::array<std::uint8_t, 32> scalar{};
  scalar.fill(0x5a);
  std::array<std::uint8_t, 32> out{};
  return crypto_scalarmult(out.data(), scalar.data(), key.data()) == 0;
}

}  // namespace exile::relay::wire
