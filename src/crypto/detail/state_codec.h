// SessionState <-> proto/state.proto (docs/protocol.md §"Session state"). The only
// place the saved state is parsed (fuzz target: tests/fuzz/fuzz_state.cpp): every length,
// key and cross-field invariant of session_state.h is checked, so a state that loads can be
// used without further checks, and arbitrary bytes never crash.
#pragma once

#include <cstdint>
#include <memory>

#include "common/bytes.h"
#include "common/result.h"
#include "common/secure_buffer.h"
#include "crypto/detail/session_state.h"

namespace exile::crypto::detail {

[[nodiscard]] SecureBytes serialize_state(const SessionState& state, std::uint32_t version);

// UnsupportedVersion for a version other than `version` (a missing version is StateCorrupt),
// StateCorrupt for anything else wrong.
[[nodiscard]] Result<std::unique_ptr<SessionState>> deserialize_state(ByteView bytes,
                                                                      std::uint32_t version);

// Limits on the variable-size fields, so that a saved state cannot be made arbitrarily large.
inline constexpr std::size_t kMaxAssociatedDataBytes = 1024;
inline constexpr std::size_t kMaxInitialHeaderBytes = 4096;

}  // namespace exile::crypto::detail
