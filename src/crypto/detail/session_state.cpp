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

SessionState SessionState::clone() const {
  SessionState copy(local_identity, remote_identity);
  copy.role = role;
  copy.associated_data = associated_data;
  copy.initial_header = initial_header;
  std::copy(secrets.view().begin(), secrets.view().end(), copy.secrets.data());
  copy.ratchet_public = ratchet_public;
  copy.remote_ratchet_key = remote_ratchet_key;
  copy.has_send_chain = has_send_chain;
  copy.has_recv_chain = has_recv_chain;
  copy.has_send_header_key = has_send_header_key;
  copy.has_recv_header_key = has_recv_header_key;
  copy.send_ratchet_pending = send_ratchet_pending;
  copy.awaiting_first_reply = awaiting_first_reply;
  copy.send_count = send_count;
  copy.recv_count = recv_count;
  copy.previous_send_count = previous_send_count;
  copy.past_chain_end = past_chain_end;
  copy.past_chain_count = past_chain_count;
  copy.skipped = skipped.clone();
  copy.body_ad_scratch = body_ad_scratch;
  return copy;
}

}  // namespace exile::crypto::detail
