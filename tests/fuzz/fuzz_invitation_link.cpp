// Fuzz target for parse_invitation_link (engine/invitation.h; format in docs/protocol.md §2.5):
// a link arrives pasted, scanned or clicked, so anything goes.
//
// Checks, for any input:
// - parsing never crashes, and fails only with InvalidInvitation, InvitationDamaged or
//   UnsupportedVersion;
// - a link that parses encodes back to exactly the input, once the input's surrounding
//   whitespace is trimmed and "exile://invite" lowercased (the only liberties a reader takes):
//   any other difference means two links for one invitation, a bug;
// - the same bytes read as an invitation's fields (address id, fingerprint, bundle key, then the
//   relay URL) either fail to encode or encode to a link that parses back to the same fields.
//
// Seeds (tests/fuzz/seeds/invitation_link/): the document's example link, the longest link, links
// to every kind of relay host, and damaged, padded, newer-version and non-canonical variants.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/invitation.h"

namespace {

using exile::ErrorCode;
using exile::engine::Invitation;

bool is_paste_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string canonical_form(std::string_view text) {
  while (!text.empty() && is_paste_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_paste_space(text.back())) text.remove_suffix(1);
  std::string out(text);
  for (std::size_t i = 0; i < out.size() && i < 14; ++i) {
    if (out[i] >= 'A' && out[i] <= 'Z') out[i] = static_cast<char>(out[i] - 'A' + 'a');
  }
  return out;
}

bool same(const Invitation& a, const Invitation& b) {
  return a.relay_url == b.relay_url && a.address_id == b.address_id &&
         a.identity_fingerprint == b.identity_fingerprint && a.bundle_key.equals(b.bundle_key);
}

void parse_side(std::string_view text) {
  const auto parsed = exile::engine::parse_invitation_link(text);
  if (!parsed) {
    const ErrorCode code = parsed.error().code;
    if (code != ErrorCode::InvalidInvitation && code != ErrorCode::InvitationDamaged &&
        code != ErrorCode::UnsupportedVersion) {
      std::abort();
    }
    return;
  }
  const auto link = exile::engine::encode_invitation_link(*parsed);
  if (!link || *link != canonical_form(text)) std::abort();
}

void encode_side(const std::uint8_t* data, std::size_t size) {
  using namespace exile::engine;
  constexpr std::size_t kFixed = kAddressIdBytes + kIdentityFingerprintBytes + kBundleKeyBytes;
  if (size < kFixed) return;
  Invitation invitation;
  std::copy_n(data, kAddressIdBytes, invitation.address_id.begin());
  std::copy_n(data + kAddressIdBytes, kIdentityFingerprintBytes,
              invitation.identity_fingerprint.begin());
  std::copy_n(data + kAddressIdBytes + kIdentityFingerprintBytes, kBundleKeyBytes,
              invitation.bundle_key.data());
  invitation.relay_url.assign(reinterpret_cast<const char*>(data) + kFixed, size - kFixed);
  const auto link = encode_invitation_link(invitation);
  if (!link) {
    if (link.error().code != ErrorCode::InvalidArgument) std::abort();
    return;
  }
  const auto parsed = parse_invitation_link(*link);
  if (!parsed || !same(*parsed, invitation)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  parse_side(std::string_view(reinterpret_cast<const char*>(data), size));
  encode_side(data, size);
  return 0;
}
