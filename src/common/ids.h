// Ids that more than one layer names. Plain byte arrays: they are not secret, but they are
// never logged or put into error messages either (docs/architecture.md, "Errors").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace exile {

// A message's id chosen by its sender: 16 random bytes, kept across retries. The relay
// deduplicates SENDs by it (relay.proto's client_msg_id) and the store's outbox keeps it with
// the envelope it sends.
inline constexpr std::size_t kClientMessageIdBytes = 16;
using ClientMessageId = std::array<std::uint8_t, kClientMessageIdBytes>;

}  // namespace exile
