// A Double Ratchet session with header encryption (Signal's Double Ratchet specification §4;
// PROTOCOL.md §2). Formats: docs/protocol.md §"Envelope" and §"Session state".
//
// A Session is created by start_session / accept_session (session_builder.h) or restored
// with deserialize(). encrypt() returns a self-contained envelope; decrypt() is
// all-or-nothing: on any error the session is exactly as it was (same serialized bytes).
//
// Secrets live in one guarded allocation per session (detail/session_state.h); skipped
// message keys in wiped memory (detail/skipped_keys.h).
//
// Errors, never exceptions: every call that returns a Result catches std::bad_alloc
// (OutOfMemory) and any exception thrown by the caller's Rng (Internal) at this boundary
// (detail/no_throw.h), and is all-or-nothing for those too.
//
// There is no clone(): production code never holds two live copies of one session. A copy
// is still possible -- deserialize() twice, or a restored backup -- and is harmless: every
// envelope binds its body key and nonce to its own random header nonce (docs/protocol.md
// §5.3), so two envelopes sent from one saved state share no key stream. Tests fork sessions
// through serialize()/deserialize() (tests/crypto/support/session_pair.h, fork_session()).
#pragma once

#include <memory>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"
#include "common/rng.h"
#include "common/secure_buffer.h"
#include "crypto/keys.h"
#include "crypto/x3dh.h"

namespace exile::crypto {

namespace detail {
struct SessionState;
}

// The first byte of every envelope.
enum class EnvelopeType : std::uint8_t {
  Ratchet = 0x01,  // a Double Ratchet message
  Initial = 0x02,  // an X3DH initial header followed by a Double Ratchet message
};

[[nodiscard]] Result<EnvelopeType> envelope_type(ByteView envelope);

class Session {
 public:
  static constexpr std::uint32_t kStateVersion = 1;

  // Alice, after x3dh_initiate. Derives her first sending chain.
  [[nodiscard]] static Result<Session> initiate(X3dhInitiation&& initiation, Rng& rng);
  // Bob, after x3dh_respond. His first sending chain is derived when he first sends.
  [[nodiscard]] static Result<Session> respond(X3dhResponse&& response);

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  // plaintext must be at most kMaxPlaintext bytes. Until the first message from the peer
  // arrives, the initiator's envelopes are Initial envelopes.
  [[nodiscard]] Result<Bytes> encrypt(ByteView plaintext, Rng& rng);
  // Accepts Ratchet envelopes and the Initial envelopes of this very session (the same
  // X3DH header); an Initial envelope of another session fails with NotThisSession.
  [[nodiscard]] Result<SecureBytes> decrypt(ByteView envelope, UnixMillis now);

  [[nodiscard]] SecureBytes serialize() const;  // proto/state.proto, deterministic
  [[nodiscard]] static Result<Session> deserialize(ByteView bytes);

  [[nodiscard]] const IdentityPublicKey& local_identity() const;
  [[nodiscard]] const IdentityPublicKey& remote_identity() const;
  // True for the initiator until the first message from the peer is decrypted.
  [[nodiscard]] bool awaiting_first_reply() const;
  [[nodiscard]] std::size_t skipped_key_count() const;

 private:
  explicit Session(std::unique_ptr<detail::SessionState> state);
  std::unique_ptr<detail::SessionState> state_;
};

std::ostream& operator<<(std::ostream& os, const Session& session);  // redacted

}  // namespace exile::crypto
