// Sending: RatchetEncryptHE, preceded when needed by the send half of a DH ratchet step.
//
// The lazy sending ratchet. The specification's DHRatchetHE runs both halves when a message
// with a new ratchet key arrives: (1) the receive half, RK, CKr, NHKr = KDF_RK(RK, DH(DHs, DHr)),
// and (2) the send half, DHs = GENERATE_DH(); RK, CKs, NHKs = KDF_RK(RK, DH(DHs, DHr)). We run
// (1) in decrypt and defer (2) to the next encrypt (send_ratchet_pending). This is equivalent:
//   - (2) reads only DHr and RK, and until our next message nothing else writes them: RK and DHr
//     change only in another receive half, which needs a message under NHKr, i.e. a peer that
//     has moved to a new ratchet key. The peer moves only after receiving our new ratchet
//     public key, which does not exist before (2) runs. So while (2) is pending an honest peer
//     cannot produce such a message, and decrypt does not even try NHKr then
//     (ratchet_receive.cpp).
//   - Messages of the current or older receiving chains use CKr, HKr and skipped keys only,
//     which (2) does not touch.
//   - Nothing is sent between (1) and (2), so no message observes the intermediate RK.
// Hence every value the peer can ever see is the same as with the eager order, and decrypt
// needs no randomness. The old sending chain key is wiped in (1): it will never be used again.
#include <algorithm>
#include <limits>

#include "crypto/detail/chain.h"
#include "crypto/detail/envelope.h"
#include "crypto/detail/padding.h"
#include "crypto/detail/ratchet.h"

namespace exile::crypto::detail {
namespace {

// The send half of a DH ratchet step, computed into temporaries; commit_send_ratchet stores it.
struct SendRatchetStep {
  TempSecret<kX25519Bytes> secret;
  std::array<std::uint8_t, kX25519Bytes> pub{};
  TempSecret<kKeyBytes> root_key;
  TempSecret<kChainKeyBytes> chain_key;
  TempSecret<kKeyBytes> next_header_key;
};

Result<void> plan_send_ratchet(SendRatchetStep& step, const SessionState& s, Rng& rng) {
  if (!s.remote_ratchet_key) return fail(ErrorCode::SessionNotReady);
  rng.fill(step.secret.span());
  // Not X25519KeyPair::generate: that allocates guarded memory, and this runs on every turn
  // of a conversation. The secret goes straight into the session's guarded buffer at commit.
  crypto_scalarmult_base(step.pub.data(), step.secret.data());
  TempSecret<kX25519Bytes> dh;
  EXILE_TRY(x25519(dh.span(), step.secret.span(), *s.remote_ratchet_key));
  kdf_rk(step.root_key.span(), step.chain_key.span(), step.next_header_key.span(),
         s.key(KeySlot::Root), dh.span());
  return {};
}

void commit_send_ratchet(SessionState& s, const SendRatchetStep& step) {
  const auto copy = [&s](KeySlot slot, ByteView from) {
    std::copy(from.begin(), from.end(), s.key(slot).begin());
  };
  copy(KeySlot::Root, step.root_key.view());
  copy(KeySlot::NextSendHeader, step.next_header_key.view());
  copy(KeySlot::RatchetSecret, step.secret.view());
  s.ratchet_public = step.pub;
  s.has_send_chain = true;
  s.send_ratchet_pending = false;
}

}  // namespace

void prepare_body_ad(SessionState& s) {
  s.body_ad_scratch.assign(s.associated_data.size() + kBodyOffset, 0);
  std::copy(s.associated_data.begin(), s.associated_data.end(), s.body_ad_scratch.begin());
}

// All-or-nothing: every failure point -- the random generator (which may throw), the output
// allocation (std::bad_alloc), the DH -- comes before the first write to the state. The send
// half of a DH step and the chain step are computed into temporaries and committed last.
Result<Bytes> ratchet_encrypt(SessionState& s, ByteView plaintext, Rng& rng) {
  const auto bucket = padded_size(plaintext.size());
  if (!bucket) return fail(ErrorCode::PlaintextTooLarge);
  const bool step_ratchet = s.send_ratchet_pending;
  if (!step_ratchet) {
    if (!s.has_send_chain || !s.has_send_header_key) return fail(ErrorCode::SessionNotReady);
    if (s.send_count == std::numeric_limits<std::uint32_t>::max()) {
      return fail(ErrorCode::SessionNotReady, "sending chain exhausted");
    }
  } else if (!s.has_send_header_key) {
    return fail(ErrorCode::SessionNotReady);
  }

  // 1. Randomness and the DH step (first draw: the new ratchet secret).
  SendRatchetStep step;
  if (step_ratchet) EXILE_TRY(plan_send_ratchet(step, s, rng));
  // 2. The output buffer, then the header nonce (second draw) straight into it.
  const std::size_t prefix = s.awaiting_first_reply ? s.initial_header.size() : 0;
  Bytes out(prefix + ratchet_envelope_size(*bucket));
  std::uint8_t* envelope = out.data() + prefix;
  const MutableByteView nonce(envelope + kHeaderNonceOffset, kAeadNonceBytes);
  rng.fill(nonce);

  // 3. Nothing below can fail. The chain step into temporaries.
  TempSecret<kMessageKeyBytes> message_key;
  TempSecret<kChainKeyBytes> next_chain;
  kdf_ck(message_key.span(), next_chain.span(),
         step_ratchet ? ConstKey32(step.chain_key.span()) : ConstKey32(s.key(KeySlot::SendChain)));
  MessageKeys keys;
  expand_message_key(keys, message_key.span(), nonce);

  std::copy_n(s.initial_header.begin(), prefix, out.begin());
  envelope[0] = kRatchetType;
  const Header header{
      .ratchet_key = step_ratchet ? step.pub : s.ratchet_public,
      .previous_count = s.previous_send_count,
      .count = s.send_count,
  };
  seal_header(std::span<std::uint8_t, kSealedHeaderBytes>(envelope + kSealedHeaderOffset,
                                                          kSealedHeaderBytes),
              header, s.key(KeySlot::SendHeader), nonce, s.associated_data);

  const MutableByteView body(envelope + kBodyOffset, *bucket + kAeadTagBytes);
  std::copy(plaintext.begin(), plaintext.end(), body.begin());
  pad_in_place(body.first(*bucket), plaintext.size());
  std::copy_n(envelope, kBodyOffset, s.body_ad_scratch.end() - kBodyOffset);
  seal_body_in_place(body, keys, s.body_ad_scratch);

  // 4. Commit.
  if (step_ratchet) commit_send_ratchet(s, step);
  std::copy(next_chain.span().begin(), next_chain.span().end(), s.key(KeySlot::SendChain).begin());
  ++s.send_count;
  return out;
}

}  // namespace exile::crypto::detail
