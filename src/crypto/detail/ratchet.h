// The two halves of the Double Ratchet with header encryption, on a SessionState:
// ratchet_encrypt (RatchetEncryptHE plus the deferred send half of DHRatchetHE) and
// ratchet_decrypt (RatchetDecryptHE, TrySkippedMessageKeysHE, DecryptHeader,
// SkipMessageKeysHE, the receive half of DHRatchetHE). Session (session.cpp) adds the X3DH
// initial header around them.
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/result.h"
#include "common/rng.h"
#include "common/secure_buffer.h"
#include "crypto/detail/session_state.h"

namespace exile::crypto::detail {

// The whole envelope: the initial header (while awaiting_first_reply) then a Ratchet envelope.
// Fails only before changing anything (PlaintextTooLarge, SessionNotReady).
[[nodiscard]] Result<Bytes> ratchet_encrypt(SessionState& state, ByteView plaintext, Rng& rng);

// Decrypts one Ratchet envelope (without any initial header). All-or-nothing.
[[nodiscard]] Result<SecureBytes> ratchet_decrypt(SessionState& state, ByteView envelope,
                                                  std::int64_t now_ms);

// Fills state.body_ad_scratch from state.associated_data (after construction or restore).
void prepare_body_ad(SessionState& state);

}  // namespace exile::crypto::detail
