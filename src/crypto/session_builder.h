// Starting and accepting sessions: X3DH plus the Double Ratchet's first step, in one call.
#pragma once

#include <optional>

#include "crypto/session.h"
#include "crypto/store.h"
#include "crypto/x3dh.h"

namespace exile::crypto {

// Alice: verifies the bundle against the invitation's fingerprint and starts a session.
[[nodiscard]] Result<Session> start_session(const IdentityKeyPair& own, const PreKeyBundle& bundle,
                                            const IdentityFingerprint& expected, Rng& rng);

struct AcceptedSession {
  Session session;
  SecureBytes plaintext;  // the first message
  PreKeyId signed_prekey_id = 0;
  std::optional<PreKeyId> one_time_prekey_id;  // the caller removes it, atomically with storing
};

// Bob: from an Initial envelope to a session and the first message. Nothing is stored or
// removed; on any error nothing has changed.
[[nodiscard]] Result<AcceptedSession> accept_session(const IdentityKeyPair& own,
                                                     const PreKeyStore& prekeys,
                                                     ByteView initial_envelope, UnixMillis now);

// Session reset (PROTOCOL.md §2): the side that lost its session (a restore from backup, or
// a chat out of sync) sends a reset bundle inside the chat; the peer answers with
// start_session() on it, checked against the pinned identity. The reset signed prekey is
// kept by its maker only until the answer arrives.
struct ResetOffer {
  PreKeyBundle bundle;  // kind = Reset, no one-time prekey
  SignedPreKey prekey;  // keep until the answer; then accept_session with it
};
[[nodiscard]] ResetOffer make_reset_offer(const IdentityKeyPair& own, PreKeyId id, UnixMillis now,
                                          Rng& rng);

}  // namespace exile::crypto
