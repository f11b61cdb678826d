#include "crypto/session_builder.h"

namespace exile::crypto {

Result<Session> start_session(const IdentityKeyPair& own, const PreKeyBundle& bundle,
                              const IdentityFingerprint& expected, Rng& rng) {
  auto initiation = x3dh_initiate(own, bundle, expected, rng);
  if (!initiation) return fail(std::move(initiation).error());
  return Session::initiate(std::move(*initiation), rng);
}

Result<AcceptedSession> accept_session(const IdentityKeyPair& own, const PreKeyStore& prekeys,
                                       ByteView initial_envelope, UnixMillis now) {
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
  };
}

ResetOffer make_reset_offer(const IdentityKeyPair& own, PreKeyId id, UnixMillis now, Rng& rng) {
  SignedPreKey prekey = generate_signed_prekey(own, id, now, rng, BundleKind::Reset);
  PreKeyBundle bundle = PreKeyBundle::make(own, prekey, nullptr, BundleKind::Reset);
  return ResetOffer{.bundle = std::move(bundle), .prekey = std::move(prekey)};
}

}  // namespace exile::crypto
