#include "crypto/session_builder.h"

#include <sodium.h>

#include <string_view>

#include "crypto/detail/no_throw.h"

namespace exile::crypto {
namespace {

constexpr std::string_view kReplayIdLabel = "Exile_InitialReplayId_v1";

ReplayId replay_id_of(ByteView header_bytes) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const std::uint8_t*>(kReplayIdLabel.data()),
                            kReplayIdLabel.size());
  crypto_hash_sha256_update(&st, header_bytes.data(), header_bytes.size());
  ReplayId id{};
  crypto_hash_sha256_final(&st, id.data());
  return id;
}

}  // namespace

Result<ReplayId> initial_replay_id(ByteView initial_envelope) {
  return detail::no_throw([&]() -> Result<ReplayId> {
    auto message = parse_initial_message(initial_envelope);
    if (!message) return fail(std::move(message).error());
    return replay_id_of(message->header_bytes);
  });
}

Result<Session> start_session(const IdentityKeyPair& own, const PreKeyBundle& bundle,
                              const IdentityFingerprint& expected, Rng& rng) {
  return detail::no_throw([&]() -> Result<Session> {
    auto initiation = x3dh_initiate(own, bundle, expected, rng);
    if (!initiation) return fail(std::move(initiation).error());
    return Session::initiate(std::move(*initiation), rng);
  });
}

Result<AcceptedSession> accept_session(const IdentityKeyPair& own, const PreKeyStore& prekeys,
                                       ByteView initial_envelope, UnixMillis now) {
  return detail::no_throw([&]() -> Result<AcceptedSession> {
    auto message = parse_initial_message(initial_envelope);
    if (!message) return fail(std::move(message).error());
    auto response = x3dh_respond(own, prekeys, *message);
    if (!response) return fail(std::move(response).error());
    const PreKeyId signed_prekey_id = response->signed_prekey_id;
    const std::optional<PreKeyId> one_time_prekey_id = response->one_time_prekey_id;
    auto session = Session::respond(std::move(*response));
    if (!session) return fail(std::move(session).error());
    auto plaintext = session->decrypt(initial_envelope, now);
    if (!plaintext) return fail(std::move(plaintext).error());
    return AcceptedSession{
        .session = std::move(*session),
        .plaintext = std::move(*plaintext),
        .signed_prekey_id = signed_prekey_id,
        .one_time_prekey_id = one_time_prekey_id,
        .replay_id = replay_id_of(message->header_bytes),
    };
  });
}

Result<ResetOffer> make_reset_offer(const IdentityKeyPair& own, PreKeyId id, UnixMillis now,
                                    Rng& rng) {
  return detail::no_throw([&]() -> Result<ResetOffer> {
    SignedPreKey prekey = generate_signed_prekey(own, id, now, rng, BundleKind::Reset);
    PreKeyBundle bundle = PreKeyBundle::make(own, prekey, nullptr, BundleKind::Reset);
    return ResetOffer{.bundle = std::move(bundle), .prekey = std::move(prekey)};
  });
}

}  // namespace exile::crypto
