#include "crypto/detail/session_state.h"

#include <algorithm>
#include <cstring>

namespace exile::crypto::detail {

void SessionState::push_past_chain(std::span<const std::uint8_t, kKeyBytes> header_key,
                                   std::uint32_t end) {
  // Shift toward the back, then put the newest in front. The past header keys occupy
  // consecutive slots, so one memmove moves them all; when the list is full, the oldest key is
  // overwritten by the shift and nothing of it remains.
  const std::size_t keep = std::min(past_chain_count, kMaxPastChains - 1);
  std::uint8_t* first = key(KeySlot::PastHeader0).data();
  std::memmove(first + kKeyBytes, first, keep * kKeyBytes);
  std::copy(header_key.begin(), header_key.end(), first);
  std::copy_backward(past_chain_end.begin(), past_chain_end.begin() + static_cast<long>(keep),
                     past_chain_end.begin() + static_cast<long>(keep + 1));
  past_chain_end[0] = end;
  past_chain_count = keep + 1;
}

}  // namespace exile::crypto::detail
