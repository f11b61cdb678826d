// Receiving: RatchetDecryptHE with TrySkippedMessageKeysHE, DecryptHeader, SkipMessageKeysHE
// and the receive half of DHRatchetHE (the send half is deferred: see ratchet_send.cpp).
//
// Purpose: turn one Ratchet envelope into plaintext, all-or-nothing.
//
// Steps (ratchet_decrypt):
//   1. parse    the envelope's type and exact length (no cryptography);
//   2. locate   the header key that opens the header, each distinct key tried once, cheapest
//               first: HKr (the current receiving chain), NHKr (a new chain; not while the
//               send half is pending: an honest peer cannot have moved yet), then the header
//               keys of past chains and of stored skipped keys;
//   3. plan     the message key, computing every new value into temporaries: new chain keys
//               and root key on the stack, new skipped keys as a tentative tail of the
//               skipped-key store. MAX_SKIP is checked before anything is derived;
//   4. open     the body with the message key and check the padding;
//   5. commit   the plan to the state, or on any failure roll the tentative tail back, so that
//               a failed decrypt leaves the state byte-for-byte as it was.
//
// Outcomes by the key that opened the header (N = header count, Nr = next expected):
//   HKr,  N >= Nr           -> skip Nr..N-1 (at most kMaxSkip), decrypt N, Nr = N + 1
//   HKr,  N <  Nr           -> the stored skipped key, else DuplicateMessage
//   NHKr                    -> skip the old chain to PN, receive half of a DH step, skip the
//                              new chain to N, decrypt N
//   past chain / skipped HK -> the stored skipped key, else DuplicateMessage (a past chain's
//                              N beyond its recorded end: DecryptionFailed)
//   none                    -> DecryptionFailed
// Expired skipped keys count as absent; they and any key beyond kMaxSkippedKeys (oldest
// first) are dropped when a decrypt commits.
#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

#include "crypto/detail/chain.h"
#include "crypto/detail/envelope.h"
#include "crypto/detail/padding.h"
#include "crypto/detail/ratchet.h"
#include "crypto/limits.h"

namespace exile::crypto::detail {
namespace {

enum class Source {
  CurrentChain,  // HKr
  NewChain,      // NHKr
  PastChain,     // a finished chain remembered in past_chain_*
  SkippedOnly,   // a chain known only through its stored skipped keys
};

struct Located {
  Source source = Source::CurrentChain;
  Header header;
  std::size_t past_index = 0;     // PastChain
  std::size_t skipped_index = 0;  // SkippedOnly: an entry holding the header key
};

bool same_key(ConstKey32 a, ConstKey32 b) {
  return std::memcmp(a.data(), b.data(), a.size()) == 0;  // our own keys: grouping only
}

std::optional<Located> locate_header(SessionState& s, const RatchetEnvelopeView& env) {
  Located found;
  const ByteView ad = s.associated_data;
  if (s.has_recv_header_key && open_header(found.header, env, s.key(KeySlot::RecvHeader), ad)) {
    found.source = Source::CurrentChain;
    return found;
  }
  if (!s.send_ratchet_pending &&
      open_header(found.header, env, s.key(KeySlot::NextRecvHeader), ad)) {
    found.source = Source::NewChain;
    return found;
  }
  for (std::size_t i = 0; i < s.past_chain_count; ++i) {
    if (open_header(found.header, env, s.key(SessionState::past_slot(i)), ad)) {
      found.source = Source::PastChain;
      found.past_index = i;
      return found;
    }
  }
  for (std::size_t i = 0; i < s.skipped.size(); ++i) {
    if (!s.skipped.starts_run(i)) continue;
    const ConstKey32 hk(s.skipped[i].header_key);
    bool tried = s.has_recv_header_key && same_key(hk, s.key(KeySlot::RecvHeader));
    for (std::size_t p = 0; p < s.past_chain_count && !tried; ++p) {
      tried = same_key(hk, s.key(SessionState::past_slot(p)));
    }
    if (!tried && open_header(found.header, env, hk, ad)) {
      found.source = Source::SkippedOnly;
      found.skipped_index = i;
      return found;
    }
  }
  return std::nullopt;
}

// Undoes the tentative tail of the skipped-key store unless the decrypt committed.
class TentativeSkips {
 public:
  explicit TentativeSkips(SkippedKeyStore& store) : store_(store), mark_(store.mark()) {}
  ~TentativeSkips() {
    if (!committed_) store_.rollback(mark_);
  }
  TentativeSkips(const TentativeSkips&) = delete;
  TentativeSkips& operator=(const TentativeSkips&) = delete;
  void committed() { committed_ = true; }

 private:
  SkippedKeyStore& store_;
  std::size_t mark_;
  bool committed_ = false;
};

// Derives the keys for counters [from, until) of a chain into the tentative tail, advancing
// chain_key in place.
void skip_keys(SkippedKeyStore& store, ConstKey32 header_key, Key32 chain_key, std::uint32_t from,
               std::uint32_t until, std::int64_t now_ms) {
  TempSecret<kMessageKeyBytes> message_key;
  for (std::uint32_t n = from; n < until; ++n) {
    kdf_ck(message_key.span(), chain_key, chain_key);
    store.append(header_key, message_key.span(), n, now_ms);
  }
}

// What a successful decrypt commits (besides the tentative skipped keys).
struct Plan {
  Source source = Source::CurrentChain;
  std::optional<std::size_t> used_skipped;  // a stored key was used: remove it
  TempSecret<kMessageKeyBytes> message_key;
  TempSecret<kChainKeyBytes> chain_key;        // the new CKr (CurrentChain, NewChain)
  TempSecret<kKeyBytes> root_key;              // NewChain
  TempSecret<kKeyBytes> next_header_key;       // NewChain: the new NHKr
  std::optional<X25519PublicKey> ratchet_key;  // NewChain: the new DHr
  std::uint32_t next_count = 0;                // the new Nr
};

// Plans for a message whose key must already be stored (Nr passed it, or an older chain).
Result<void> plan_stored(Plan& plan, const SessionState& s, ConstKey32 header_key,
                         std::uint32_t count, std::int64_t cutoff) {
  const auto index = s.skipped.find(header_key, count, cutoff);
  if (!index) return fail(ErrorCode::DuplicateMessage);
  plan.used_skipped = index;
  std::copy(s.skipped[*index].message_key.begin(), s.skipped[*index].message_key.end(),
            plan.message_key.data());
  return {};
}

Result<void> plan_current_chain(Plan& plan, SessionState& s, const Header& header,
                                std::int64_t now_ms, std::int64_t cutoff) {
  const std::uint32_t n = header.count;
  if (n < s.recv_count) return plan_stored(plan, s, s.key(KeySlot::RecvHeader), n, cutoff);
  if (n - s.recv_count > kMaxSkip) return fail(ErrorCode::TooManySkipped);
  if (n == std::numeric_limits<std::uint32_t>::max()) {
    return fail(ErrorCode::MalformedMessage, "message counter out of range");
  }
  const auto ckr = s.key(KeySlot::RecvChain);
  std::copy(ckr.begin(), ckr.end(), plan.chain_key.data());
  s.skipped.reserve_more(n - s.recv_count);
  skip_keys(s.skipped, s.key(KeySlot::RecvHeader), plan.chain_key.span(), s.recv_count, n, now_ms);
  kdf_ck(plan.message_key.span(), plan.chain_key.span(), plan.chain_key.span());
  plan.next_count = n + 1;
  return {};
}

Result<void> plan_new_chain(Plan& plan, SessionState& s, const Header& header,
                            std::int64_t now_ms) {
  const std::uint32_t pn = header.previous_count;
  const std::uint32_t n = header.count;
  // Both limits before any derivation (including the DH): a forged counter costs us nothing.
  if (s.has_recv_chain && pn > s.recv_count && pn - s.recv_count > kMaxSkip) {
    return fail(ErrorCode::TooManySkipped);
  }
  if (n > kMaxSkip) return fail(ErrorCode::TooManySkipped);
  auto ratchet_key = X25519PublicKey::from_bytes(header.ratchet_key);
  if (!ratchet_key) return fail(ErrorCode::MalformedMessage, "header: invalid ratchet key");

  const bool skip_old = s.has_recv_chain && pn > s.recv_count;
  s.skipped.reserve_more((skip_old ? pn - s.recv_count : 0) + n);
  if (skip_old) {  // the rest of the old chain
    TempSecret<kChainKeyBytes> old_chain;
    const auto ckr = s.key(KeySlot::RecvChain);
    std::copy(ckr.begin(), ckr.end(), old_chain.data());
    skip_keys(s.skipped, s.key(KeySlot::RecvHeader), old_chain.span(), s.recv_count, pn, now_ms);
  }
  TempSecret<kX25519Bytes> dh;
  EXILE_TRY(x25519(dh.span(), s.key(KeySlot::RatchetSecret), *ratchet_key));
  kdf_rk(plan.root_key.span(), plan.chain_key.span(), plan.next_header_key.span(),
         s.key(KeySlot::Root), dh.span());
  // The new chain's header key is today's NHKr.
  skip_keys(s.skipped, s.key(KeySlot::NextRecvHeader), plan.chain_key.span(), 0, n, now_ms);
  kdf_ck(plan.message_key.span(), plan.chain_key.span(), plan.chain_key.span());
  plan.ratchet_key = *ratchet_key;
  plan.next_count = n + 1;
  return {};
}

void copy_key(SessionState& s, KeySlot to, ConstKey32 from) {
  std::copy(from.begin(), from.end(), s.key(to).begin());
}

void commit(SessionState& s, Plan& plan, const Header& header) {
  switch (plan.source) {
    case Source::CurrentChain:
      if (!plan.used_skipped) {
        copy_key(s, KeySlot::RecvChain, plan.chain_key.span());
        s.recv_count = plan.next_count;
      }
      break;
    case Source::NewChain:
      if (s.has_recv_header_key) {
        const std::uint32_t end =
            s.has_recv_chain ? std::max(s.recv_count, header.previous_count) : s.recv_count;
        s.push_past_chain(s.key(KeySlot::RecvHeader), end);
      }
      // Receive half of DHRatchetHE: PN = Ns, Ns = Nr = 0, HKs = NHKs, HKr = NHKr,
      // DHr = header.dh, RK, CKr, NHKr = KDF_RK(RK, DH(DHs, DHr)); then N + 1 messages read.
      s.previous_send_count = s.send_count;
      s.send_count = 0;
      copy_key(s, KeySlot::SendHeader, s.key(KeySlot::NextSendHeader));
      s.has_send_header_key = true;
      copy_key(s, KeySlot::RecvHeader, s.key(KeySlot::NextRecvHeader));
      s.has_recv_header_key = true;
      copy_key(s, KeySlot::NextRecvHeader, plan.next_header_key.span());
      copy_key(s, KeySlot::Root, plan.root_key.span());
      copy_key(s, KeySlot::RecvChain, plan.chain_key.span());
      s.has_recv_chain = true;
      s.recv_count = plan.next_count;
      s.remote_ratchet_key = plan.ratchet_key;
      s.wipe_key(KeySlot::SendChain);  // never used again; the send half makes a new one
      s.has_send_chain = false;
      s.send_ratchet_pending = true;
      break;
    case Source::PastChain:
    case Source::SkippedOnly: break;
  }
  s.awaiting_first_reply = false;
}

}  // namespace

Result<SecureBytes> ratchet_decrypt(SessionState& s, ByteView envelope, std::int64_t now_ms) {
  auto parsed = parse_ratchet_envelope(envelope);
  if (!parsed) return fail(std::move(parsed).error());
  const RatchetEnvelopeView& env = *parsed;

  const auto located = locate_header(s, env);
  if (!located) return fail(ErrorCode::DecryptionFailed);
  const Header& header = located->header;

  const std::int64_t cutoff = expiry_cutoff(now_ms);
  TentativeSkips tentative(s.skipped);
  Plan plan;
  plan.source = located->source;
  switch (located->source) {
    case Source::CurrentChain:
      EXILE_TRY(plan_current_chain(plan, s, header, now_ms, cutoff));
      break;
    case Source::NewChain: EXILE_TRY(plan_new_chain(plan, s, header, now_ms)); break;
    case Source::PastChain: {
      const ConstKey32 hk = s.key(SessionState::past_slot(located->past_index));
      if (header.count >= s.past_chain_end[located->past_index]) {
        return fail(ErrorCode::DecryptionFailed, "counter beyond the end of a finished chain");
      }
      EXILE_TRY(plan_stored(plan, s, hk, header.count, cutoff));
      break;
    }
    case Source::SkippedOnly: {
      const ConstKey32 hk(s.skipped[located->skipped_index].header_key);
      EXILE_TRY(plan_stored(plan, s, hk, header.count, cutoff));
      break;
    }
  }

  MessageKeys keys;
  expand_message_key(keys, plan.message_key.span(), env.header_nonce);
  SecureBytes plaintext(env.body.size() - kAeadTagBytes);
  std::copy(env.covered.begin(), env.covered.end(), s.body_ad_scratch.end() - kBodyOffset);
  if (!open_body(plaintext, env.body, keys, s.body_ad_scratch)) {
    return fail(ErrorCode::DecryptionFailed);
  }
  const auto length = unpadded_length(view(plaintext));
  if (!length) return fail(ErrorCode::MalformedMessage, "bad padding");

  commit(s, plan, header);
  s.skipped.commit(plan.used_skipped, cutoff);
  tentative.committed();
  plaintext.resize(*length);
  return plaintext;
}

}  // namespace exile::crypto::detail
