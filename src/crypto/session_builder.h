// Starting and accepting sessions: X3DH plus the Double Ratchet's first step, in one call.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "crypto/session.h"
#include "crypto/store.h"
#include "crypto/x3dh.h"

namespace exile::crypto {

// Alice: verifies the bundle against the invitation's fingerprint and starts a session.
[[nodiscard]] Result<Session> start_session(const IdentityKeyPair& own, const PreKeyBundle& bundle,
                                            const IdentityFingerprint& expected, Rng& rng);

// Names the X3DH initial header an Initial envelope carries (docs/protocol.md §4.7):
// SHA-256("Exile_InitialReplayId_v1" ‖ the 95 header bytes). Every Initial envelope of one
// session carries the same header, so they share one replay id; two sessions never do (EK_A
// is fresh for each). Not secret: it names, it does not authenticate.
inline constexpr std::size_t kReplayIdBytes = 32;
using ReplayId = std::array<std::uint8_t, kReplayIdBytes>;

// The replay id of an Initial envelope, after parsing its header (§4.6), before any
// cryptography: the engine looks it up before accept_session.
[[nodiscard]] Result<ReplayId> initial_replay_id(ByteView initial_envelope);

struct AcceptedSession {
  Session session;
  SecureBytes plaintext;  // the first message
  PreKeyId signed_prekey_id = 0;
  std::optional<PreKeyId> one_time_prekey_id;  // the caller removes it, atomically with storing
  // The engine's replay cache key (§4.7): it stores this with the session, in the same
  // transaction, and keeps it while the signed prekey can still accept first messages.
  ReplayId replay_id{};
};

// Bob: from an Initial envelope to a session and the first message. Nothing is stored or
// removed; on any error nothing has changed. An envelope without a one-time prekey can be
// accepted again and yields the same session again: the engine must refuse a replay_id it
// has already seen (docs/protocol.md §4.7).
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
// Fails only with OutOfMemory, or Internal when rng throws.
[[nodiscard]] Result<ResetOffer> make_reset_offer(const IdentityKeyPair& own, PreKeyId id,
                                                  UnixMillis now, Rng& rng);

}  // namespace exile::crypto
