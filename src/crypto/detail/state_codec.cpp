#include "crypto/detail/state_codec.h"

#include <sodium.h>

#include <algorithm>
#include <climits>
#include <string>

#include "crypto/detail/ratchet.h"
#include "proto_wipe.h"
#include "state.pb.h"

namespace exile::crypto::detail {
namespace {

// Every bytes field (secret or not) is wiped before the message is destroyed (proto_wipe.h).
void wipe(const std::string& s) { pb::wipe_bytes(s); }
using pb::wipe_unknown;

void wipe(pb::SessionState& m) {
  for (const std::string* s :
       {&m.local_identity(), &m.remote_identity(), &m.associated_data(), &m.initial_header(),
        &m.root_key(), &m.ratchet_secret_key(), &m.ratchet_public_key(), &m.remote_ratchet_key(),
        &m.send_chain_key(), &m.recv_chain_key(), &m.send_header_key(), &m.recv_header_key(),
        &m.next_send_header_key(), &m.next_recv_header_key()}) {
    wipe(*s);
  }
  for (auto& chain : *m.mutable_skipped_chains()) {
    wipe(chain.header_key());
    for (auto& key : *chain.mutable_keys()) {
      wipe(key.message_key());
      wipe_unknown(key);
    }
    wipe_unknown(chain);
  }
  for (auto& past : *m.mutable_past_chains()) {
    wipe(past.header_key());
    wipe_unknown(past);
  }
  wipe_unknown(m);
}

class WipeOnExit {
 public:
  explicit WipeOnExit(pb::SessionState& m) : m_(m) {}
  ~WipeOnExit() { wipe(m_); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  pb::SessionState& m_;
};

void set(std::string* out, ByteView bytes) {
  out->assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

ByteView bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// A 32-byte field as a key span (the caller has checked the size).
std::span<const std::uint8_t, kKeyBytes> key_bytes(const std::string& s) {
  return std::span<const std::uint8_t, kKeyBytes>(reinterpret_cast<const std::uint8_t*>(s.data()),
                                                  kKeyBytes);
}

Result<void> corrupt(const char* what) {
  return fail(ErrorCode::StateCorrupt, std::string("session state: ") + what);
}

// The v1 initial header (docs/protocol.md §4.4): type 0x02 (EnvelopeType::Initial), then
// version, EK_A, spk_id, sealed_len and the 55-byte seal; 95 bytes in all.
constexpr std::uint8_t kInitialHeaderType = 0x02;
constexpr std::size_t kInitialHeaderBytes = 95;

// The associated data X3DH defines for these two identities (docs/protocol.md §4.3):
// 0x01 ‖ u16 32 ‖ IK_initiator ‖ u16 32 ‖ IK_responder, in role order, not local/remote order.
Bytes expected_associated_data(const SessionState& s) {
  const IdentityPublicKey& initiator =
      s.role == Role::Initiator ? s.local_identity : s.remote_identity;
  const IdentityPublicKey& responder =
      s.role == Role::Initiator ? s.remote_identity : s.local_identity;
  Bytes ad;
  ad.reserve(1 + 2 + kEd25519PublicBytes + 2 + kEd25519PublicBytes);
  ad.push_back(0x01);  // AD version
  append_u16(ad, static_cast<std::uint16_t>(kEd25519PublicBytes));
  append(ad, initiator.view());
  append_u16(ad, static_cast<std::uint16_t>(kEd25519PublicBytes));
  append(ad, responder.view());
  return ad;
}

// A required 32-byte key into its slot.
Result<void> load_key(SessionState& s, KeySlot slot, const std::string& field, const char* name) {
  if (field.size() != kKeyBytes) return corrupt(name);
  std::copy(field.begin(), field.end(), s.key(slot).begin());
  return {};
}

// An optional 32-byte key: empty means absent.
Result<bool> load_optional_key(SessionState& s, KeySlot slot, const std::string& field,
                               const char* name) {
  if (field.empty()) return false;
  EXILE_TRY(load_key(s, slot, field, name));
  return true;
}

Result<void> load_skipped(SessionState& s, const pb::SessionState& m) {
  if (m.skipped_chains_size() > static_cast<int>(kMaxSkippedChains)) {
    return corrupt("too many skipped chains");
  }
  std::size_t total = 0;
  for (const auto& chain : m.skipped_chains()) {
    if (chain.header_key().size() != kKeyBytes) return corrupt("skipped chain header key");
    if (chain.keys().empty()) return corrupt("empty skipped chain");
    total += static_cast<std::size_t>(chain.keys_size());
    if (total > kMaxSkippedKeys) return corrupt("too many skipped keys");
  }
  for (const auto& chain : m.skipped_chains()) {
    const SkippedKeyStore::Key header_key(key_bytes(chain.header_key()));
    for (const auto& key : chain.keys()) {
      if (key.message_key().size() != kKeyBytes) return corrupt("skipped message key");
      // Straight from the message (wiped by WipeOnExit) into the store: no other copy.
      s.skipped.restore(header_key, key_bytes(key.message_key()), key.counter(),
                        key.stored_at_ms());
    }
  }
  return {};
}

Result<void> load_fields(SessionState& s, const pb::SessionState& m) {
  if (m.role() == pb::SessionState::ROLE_INITIATOR) {
    s.role = Role::Initiator;
  } else if (m.role() == pb::SessionState::ROLE_RESPONDER) {
    s.role = Role::Responder;
  } else {
    return corrupt("role");
  }
  // The AD is not free data: it is fixed by the two identities and the role, and every AEAD
  // of the session binds to it. A state whose AD disagrees with its identities is refused.
  const ByteView ad = bytes_of(m.associated_data());
  const Bytes expected_ad = expected_associated_data(s);
  if (!std::ranges::equal(ad, expected_ad)) return corrupt("associated data");
  const ByteView initial = bytes_of(m.initial_header());
  if (initial.size() != kInitialHeaderBytes || initial[0] != kInitialHeaderType) {
    return corrupt("initial header");
  }
  s.associated_data.assign(ad.begin(), ad.end());
  s.initial_header.assign(initial.begin(), initial.end());

  EXILE_TRY(load_key(s, KeySlot::Root, m.root_key(), "root key"));
  EXILE_TRY(load_key(s, KeySlot::RatchetSecret, m.ratchet_secret_key(), "ratchet secret"));
  if (m.ratchet_public_key().size() != kX25519Bytes) return corrupt("ratchet public key");
  std::array<std::uint8_t, kX25519Bytes> derived{};
  crypto_scalarmult_base(derived.data(), s.key(KeySlot::RatchetSecret).data());
  if (sodium_memcmp(derived.data(), m.ratchet_public_key().data(), kX25519Bytes) != 0) {
    return corrupt("ratchet key pair mismatch");
  }
  s.ratchet_public = derived;
  if (!m.remote_ratchet_key().empty()) {
    auto remote = X25519PublicKey::from_bytes(bytes_of(m.remote_ratchet_key()));
    if (!remote) return corrupt("remote ratchet key");
    s.remote_ratchet_key = *remote;
  }
  auto flag = load_optional_key(s, KeySlot::SendChain, m.send_chain_key(), "send chain key");
  if (!flag) return fail(std::move(flag).error());
  s.has_send_chain = *flag;
  flag = load_optional_key(s, KeySlot::RecvChain, m.recv_chain_key(), "receive chain key");
  if (!flag) return fail(std::move(flag).error());
  s.has_recv_chain = *flag;
  flag = load_optional_key(s, KeySlot::SendHeader, m.send_header_key(), "send header key");
  if (!flag) return fail(std::move(flag).error());
  s.has_send_header_key = *flag;
  flag = load_optional_key(s, KeySlot::RecvHeader, m.recv_header_key(), "receive header key");
  if (!flag) return fail(std::move(flag).error());
  s.has_recv_header_key = *flag;
  EXILE_TRY(load_key(s, KeySlot::NextSendHeader, m.next_send_header_key(), "next send hk"));
  EXILE_TRY(load_key(s, KeySlot::NextRecvHeader, m.next_recv_header_key(), "next receive hk"));

  s.send_count = m.send_count();
  s.recv_count = m.recv_count();
  s.previous_send_count = m.previous_send_count();
  s.send_ratchet_pending = m.send_ratchet_pending();
  s.awaiting_first_reply = m.awaiting_first_reply();

  // The invariants of session_state.h.
  if (s.has_recv_chain != s.has_recv_header_key) return corrupt("receive chain without header key");
  if (s.has_recv_chain && !s.remote_ratchet_key) return corrupt("receive chain without DHr");
  if (s.has_send_chain && (!s.has_send_header_key || !s.remote_ratchet_key)) {
    return corrupt("send chain without header key or DHr");
  }
  if (s.send_ratchet_pending &&
      (!s.remote_ratchet_key || !s.has_send_header_key || s.has_send_chain)) {
    return corrupt("pending send ratchet");
  }
  if (s.awaiting_first_reply && s.role != Role::Initiator) return corrupt("awaiting reply");

  if (m.past_chains_size() > static_cast<int>(kMaxPastChains)) return corrupt("past chains");
  for (const auto& past : m.past_chains()) {
    if (past.header_key().size() != kKeyBytes) return corrupt("past chain header key");
    const std::size_t i = s.past_chain_count++;
    std::copy(past.header_key().begin(), past.header_key().end(),
              s.key(SessionState::past_slot(i)).begin());
    s.past_chain_end[i] = past.end();
  }
  return load_skipped(s, m);
}

}  // namespace

SecureBytes serialize_state(const SessionState& s, std::uint32_t version) {
  pb::SessionState m;
  const WipeOnExit wipe_guard(m);
  m.set_version(version);
  m.set_role(s.role == Role::Initiator ? pb::SessionState::ROLE_INITIATOR
                                       : pb::SessionState::ROLE_RESPONDER);
  set(m.mutable_local_identity(), s.local_identity.view());
  set(m.mutable_remote_identity(), s.remote_identity.view());
  set(m.mutable_associated_data(), s.associated_data);
  set(m.mutable_initial_header(), s.initial_header);
  set(m.mutable_root_key(), s.key(KeySlot::Root));
  set(m.mutable_ratchet_secret_key(), s.key(KeySlot::RatchetSecret));
  set(m.mutable_ratchet_public_key(), s.ratchet_public);
  if (s.remote_ratchet_key) set(m.mutable_remote_ratchet_key(), s.remote_ratchet_key->view());
  if (s.has_send_chain) set(m.mutable_send_chain_key(), s.key(KeySlot::SendChain));
  if (s.has_recv_chain) set(m.mutable_recv_chain_key(), s.key(KeySlot::RecvChain));
  if (s.has_send_header_key) set(m.mutable_send_header_key(), s.key(KeySlot::SendHeader));
  if (s.has_recv_header_key) set(m.mutable_recv_header_key(), s.key(KeySlot::RecvHeader));
  set(m.mutable_next_send_header_key(), s.key(KeySlot::NextSendHeader));
  set(m.mutable_next_recv_header_key(), s.key(KeySlot::NextRecvHeader));
  m.set_send_count(s.send_count);
  m.set_recv_count(s.recv_count);
  m.set_previous_send_count(s.previous_send_count);
  m.set_send_ratchet_pending(s.send_ratchet_pending);
  m.set_awaiting_first_reply(s.awaiting_first_reply);

  pb::SkippedChain* chain = nullptr;
  for (std::size_t i = 0; i < s.skipped.size(); ++i) {
    const SkippedKey& entry = s.skipped[i];
    if (s.skipped.starts_run(i)) {
      chain = m.add_skipped_chains();
      set(chain->mutable_header_key(), entry.header_key);
    }
    pb::SkippedKey* key = chain->add_keys();
    key->set_counter(entry.counter);
    set(key->mutable_message_key(), entry.message_key);
    key->set_stored_at_ms(entry.stored_at_ms);
  }
  for (std::size_t i = 0; i < s.past_chain_count; ++i) {
    pb::PastChain* past = m.add_past_chains();
    set(past->mutable_header_key(), s.key(SessionState::past_slot(i)));
    past->set_end(s.past_chain_end[i]);
  }

  // Without maps, protobuf's output is deterministic (fields in number order). The array
  // overload writes straight into the wiped buffer, with no intermediate copy.
  SecureBytes out(m.ByteSizeLong());
  if (!m.SerializeToArray(out.data(), static_cast<int>(out.size()))) std::abort();
  return out;
}

Result<std::unique_ptr<SessionState>> deserialize_state(ByteView bytes, std::uint32_t version) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return fail(ErrorCode::StateCorrupt, "session state: too large");
  }
  pb::SessionState m;
  const WipeOnExit wipe_guard(m);
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return fail(ErrorCode::StateCorrupt, "session state: does not parse");
  }
  if (m.version() == 0) return fail(ErrorCode::StateCorrupt, "session state: no version");
  if (m.version() != version) return fail(ErrorCode::UnsupportedVersion);

  auto local = IdentityPublicKey::from_bytes(bytes_of(m.local_identity()));
  auto remote = IdentityPublicKey::from_bytes(bytes_of(m.remote_identity()));
  if (!local || !remote) return fail(ErrorCode::StateCorrupt, "session state: identity key");
  auto state = std::make_unique<SessionState>(*local, *remote);
  auto loaded = load_fields(*state, m);
  if (!loaded) return fail(std::move(loaded).error());
  prepare_body_ad(*state);
  return state;
}

}  // namespace exile::crypto::detail
