// Session: the public face of the Double Ratchet (detail/ratchet_*.cpp) plus the X3DH initial
// header that the initiator prefixes until the first reply (docs/protocol.md §"Initial
// envelope").
#include "crypto/session.h"

#include <sodium.h>

#include <algorithm>
#include <ostream>

#include "crypto/detail/chain.h"
#include "crypto/detail/no_throw.h"
#include "crypto/detail/ratchet.h"
#include "crypto/detail/session_state.h"
#include "crypto/detail/state_codec.h"

namespace exile::crypto {
namespace {

constexpr std::uint8_t kInitialType = static_cast<std::uint8_t>(EnvelopeType::Initial);

Result<void> check_seed_sizes(const SessionSeed& seed, const Bytes& initial_header) {
  if (seed.associated_data.empty() ||
      seed.associated_data.size() > detail::kMaxAssociatedDataBytes) {
    return fail(ErrorCode::InvalidArgument, "session: associated data size");
  }
  if (initial_header.empty() || initial_header.size() > detail::kMaxInitialHeaderBytes ||
      initial_header[0] != kInitialType) {
    return fail(ErrorCode::InvalidArgument, "session: initial header");
  }
  return {};
}

void copy_key(detail::SessionState& s, detail::KeySlot slot, ByteView from) {
  std::copy(from.begin(), from.end(), s.key(slot).begin());
}

}  // namespace

// The type byte is the envelope's format version (docs/protocol.md §1.6): a value other than
// Ratchet or Initial can only come from a newer writer, so it is UnsupportedVersion, not
// MalformedMessage. Nothing else of the envelope is read.
Result<EnvelopeType> envelope_type(ByteView envelope) {
  if (envelope.empty()) return fail(ErrorCode::MalformedMessage, "envelope: empty");
  switch (envelope[0]) {
    case static_cast<std::uint8_t>(EnvelopeType::Ratchet): return EnvelopeType::Ratchet;
    case static_cast<std::uint8_t>(EnvelopeType::Initial): return EnvelopeType::Initial;
    default: return fail(ErrorCode::UnsupportedVersion, "envelope: unknown type");
  }
}

// RatchetInitAliceHE: DHs = new key pair, DHr = Bob's signed prekey,
// RK, CKs, NHKs = KDF_RK(SK, DH(DHs, DHr)), HKs = shared HKa, NHKr = shared NHKb.
Result<Session> Session::initiate(X3dhInitiation&& initiation, Rng& rng) {
  return detail::no_throw([&]() -> Result<Session> {
    SessionSeed& seed = initiation.seed;
    EXILE_TRY(check_seed_sizes(seed, initiation.initial_header));
    auto s = std::make_unique<detail::SessionState>(seed.local_identity, seed.remote_identity);
    s->role = detail::Role::Initiator;
    s->associated_data = std::move(seed.associated_data);
    s->initial_header = std::move(initiation.initial_header);

    rng.fill(s->key(detail::KeySlot::RatchetSecret));
    crypto_scalarmult_base(s->ratchet_public.data(), s->key(detail::KeySlot::RatchetSecret).data());
    TempSecret<kX25519Bytes> dh;
    EXILE_TRY(
        x25519(dh.span(), s->key(detail::KeySlot::RatchetSecret), initiation.remote_ratchet_key));
    detail::kdf_rk(s->key(detail::KeySlot::Root), s->key(detail::KeySlot::SendChain),
                   s->key(detail::KeySlot::NextSendHeader), seed.root_key.span(), dh.span());
    copy_key(*s, detail::KeySlot::SendHeader, seed.initiator_header_key.view());
    copy_key(*s, detail::KeySlot::NextRecvHeader, seed.responder_next_header_key.view());
    s->remote_ratchet_key = initiation.remote_ratchet_key;
    s->has_send_chain = true;
    s->has_send_header_key = true;
    s->awaiting_first_reply = true;
    detail::prepare_body_ad(*s);
    return Session(std::move(s));
  });
}

// RatchetInitBobHE: DHs = the signed prekey pair, RK = SK, NHKs = shared NHKb,
// NHKr = shared HKa; no sending chain until the first message arrives.
Result<Session> Session::respond(X3dhResponse&& response) {
  return detail::no_throw([&]() -> Result<Session> {
    SessionSeed& seed = response.seed;
    EXILE_TRY(check_seed_sizes(seed, response.initial_header));
    auto s = std::make_unique<detail::SessionState>(seed.local_identity, seed.remote_identity);
    s->role = detail::Role::Responder;
    s->associated_data = std::move(seed.associated_data);
    s->initial_header = std::move(response.initial_header);
    copy_key(*s, detail::KeySlot::RatchetSecret, response.ratchet_key.secret().view());
    s->ratchet_public = response.ratchet_key.public_key().bytes();
    copy_key(*s, detail::KeySlot::Root, seed.root_key.view());
    copy_key(*s, detail::KeySlot::NextSendHeader, seed.responder_next_header_key.view());
    copy_key(*s, detail::KeySlot::NextRecvHeader, seed.initiator_header_key.view());
    detail::prepare_body_ad(*s);
    return Session(std::move(s));
  });
}

Session::Session(std::unique_ptr<detail::SessionState> state) : state_(std::move(state)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Result<Bytes> Session::encrypt(ByteView plaintext, Rng& rng) {
  return detail::no_throw([&] { return detail::ratchet_encrypt(*state_, plaintext, rng); });
}

Result<SecureBytes> Session::decrypt(ByteView envelope, UnixMillis now) {
  return detail::no_throw([&]() -> Result<SecureBytes> {
    auto type = envelope_type(envelope);
    if (!type) return fail(std::move(type).error());
    if (*type == EnvelopeType::Ratchet) {
      return detail::ratchet_decrypt(*state_, envelope, to_millis(now));
    }
    // Initial envelopes flow from initiator to responder only, and must repeat the very X3DH
    // header this session was accepted from.
    if (state_->role != detail::Role::Responder) return fail(ErrorCode::NotThisSession);
    auto initial = parse_initial_message(envelope);
    if (!initial) return fail(std::move(initial).error());
    if (!constant_time_equal(initial->header_bytes, state_->initial_header)) {
      return fail(ErrorCode::NotThisSession);
    }
    return detail::ratchet_decrypt(*state_, initial->ratchet_envelope, to_millis(now));
  });
}

SecureBytes Session::serialize() const { return detail::serialize_state(*state_, kStateVersion); }

Result<Session> Session::deserialize(ByteView bytes) {
  return detail::no_throw([&]() -> Result<Session> {
    auto state = detail::deserialize_state(bytes, kStateVersion);
    if (!state) return fail(std::move(state).error());
    return Session(std::move(*state));
  });
}

const IdentityPublicKey& Session::local_identity() const { return state_->local_identity; }
const IdentityPublicKey& Session::remote_identity() const { return state_->remote_identity; }
bool Session::awaiting_first_reply() const { return state_->awaiting_first_reply; }
std::size_t Session::skipped_key_count() const { return state_->skipped.size(); }

std::ostream& operator<<(std::ostream& os, const Session&) { return os << "Session{redacted}"; }

}  // namespace exile::crypto
