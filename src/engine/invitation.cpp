// Invitation links (docs/protocol.md §2.5). A link is
//
//   "exile://invite/v1/" base64url-without-padding( payload )
//   payload = address_id (16) ‖ identity_fingerprint (32) ‖ bundle_key (32)
//           ‖ u8 url_len ‖ relay_url (url_len) ‖ check (4)
//   check   = SHA-256( "Exile_InvitationCheck_v1" ‖ every payload byte before it )[0..4)
//
// Invariants: parse accepts exactly the links encode writes, up to surrounding whitespace and
// the ASCII case of "exile://invite" (the fuzz target checks it); the bundle key never leaves
// wiped memory on its way in or out, and no error message holds a byte of the input.
#include "engine/invitation.h"

#include <sodium.h>

#include <algorithm>
#include <ostream>

#include "common/encoding.h"
#include "common/sodium.h"
#include "crypto/x3dh.h"
#include "engine/detail/relay_url.h"
#include "relay/wire/wire.h"

namespace exile::engine {

static_assert(kAddressIdBytes == relay::wire::kQueueIdBytes);
static_assert(kIdentityFingerprintBytes == sizeof(crypto::IdentityFingerprint{}.bytes));

namespace {

constexpr std::string_view kPrefix = "exile://invite/";  // [0, kCaseFreeBytes) in any case
constexpr std::size_t kCaseFreeBytes = 14;               // "exile://invite"
constexpr std::string_view kSchemePrefix = "exile://";
constexpr std::string_view kVersionOne = "v1/";
constexpr std::string_view kCheckLabel = "Exile_InvitationCheck_v1";
constexpr std::size_t kCheckBytes = 4;
constexpr std::size_t kUrlLenOffset = kAddressIdBytes + kIdentityFingerprintBytes + kBundleKeyBytes;
constexpr std::size_t kUrlOffset = kUrlLenOffset + 1;
constexpr std::size_t kMinPayloadBytes = kUrlOffset + kCheckBytes;  // an empty URL is refused later
constexpr std::size_t kMaxPayloadBytes = kUrlOffset + kMaxRelayUrlBytes + kCheckBytes;
static_assert(kMaxRelayUrlBytes <= 255, "url_len is one byte");

std::unexpected<Error> invalid(std::string message) {
  return fail(ErrorCode::InvalidInvitation, std::move(message));
}
std::unexpected<Error> damaged(std::string message) {
  return fail(ErrorCode::InvitationDamaged, std::move(message));
}

std::array<std::uint8_t, kCheckBytes> check_of(ByteView covered) {
  ensure_sodium();
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, as_bytes(kCheckLabel).data(), kCheckLabel.size());
  crypto_hash_sha256_update(&state, covered.data(), covered.size());
  TempSecret<crypto_hash_sha256_BYTES> digest;
  crypto_hash_sha256_final(&state, digest.data());
  sodium_memzero(&state, sizeof state);  // it has absorbed the bundle key
  std::array<std::uint8_t, kCheckBytes> check{};
  std::copy_n(digest.data(), kCheckBytes, check.begin());
  return check;
}

bool is_paste_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

unsigned base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<unsigned>(c - 'A');
  if (c >= 'a' && c <= 'z') return static_cast<unsigned>(c - 'a') + 26;
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0') + 52;
  return c == '-' ? 62 : 63;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view text, std::string_view lowercase) {
  return text.size() == lowercase.size() &&
         std::equal(text.begin(), text.end(), lowercase.begin(),
                    [](char a, char b) { return ascii_lower(a) == b; });
}

// "v" version "/", version = 1..999 without a leading zero; 0 if the field is malformed.
unsigned read_version(std::string_view& rest) {
  if (rest.empty() || rest.front() != 'v') return 0;
  std::size_t digits = 1;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  const std::size_t count = digits - 1;
  if (count == 0 || count > 3 || rest[1] == '0') return 0;
  if (digits >= rest.size() || rest[digits] != '/') return 0;
  unsigned version = 0;
  for (std::size_t i = 1; i < digits; ++i) version = version * 10 + unsigned(rest[i] - '0');
  rest.remove_prefix(digits + 1);
  return version;
}

}  // namespace

Result<std::string> encode_invitation_link(const Invitation& invitation) {
  if (auto problem = detail::relay_url_problem(invitation.relay_url)) {
    return fail(ErrorCode::InvalidArgument, std::string(*problem));
  }
  if (!invitation.bundle_key.valid()) {
    return fail(ErrorCode::InvalidArgument, "invitation: no bundle key");
  }
  ensure_sodium();
  if (sodium_is_zero(invitation.bundle_key.data(), kBundleKeyBytes) == 1) {
    return fail(ErrorCode::InvalidArgument, "invitation: bundle key is all zero");
  }
  SecureBytes payload;
  payload.reserve(kMaxPayloadBytes);
  payload.insert(payload.end(), invitation.address_id.begin(), invitation.address_id.end());
  payload.insert(payload.end(), invitation.identity_fingerprint.begin(),
                 invitation.identity_fingerprint.end());
  const ByteView key = invitation.bundle_key.view();
  payload.insert(payload.end(), key.begin(), key.end());
  payload.push_back(static_cast<std::uint8_t>(invitation.relay_url.size()));
  const ByteView url = as_bytes(invitation.relay_url);
  payload.insert(payload.end(), url.begin(), url.end());
  const auto check = check_of(view(payload));
  payload.insert(payload.end(), check.begin(), check.end());

  // Straight into the link, so no other copy of the encoded key is left behind.
  const std::size_t encoded_size =
      sodium_base64_encoded_len(payload.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string link;
  link.reserve(kPrefix.size() + kVersionOne.size() + encoded_size);
  link.append(kPrefix).append(kVersionOne);
  const std::size_t body = link.size();
  link.resize(body + encoded_size);  // encoded_size counts the terminating NUL
  sodium_bin2base64(link.data() + body, encoded_size, payload.data(), payload.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  link.pop_back();
  return link;
}

Result<Invitation> parse_invitation_link(std::string_view link) {
  // 1. Bounds and bytes, before any decoding.
  if (link.size() > kMaxInvitationLinkBytes) return invalid("invitation: longer than 512 bytes");
  if (link.find('\0') != std::string_view::npos) return invalid("invitation: contains a NUL byte");
  while (!link.empty() && is_paste_space(link.front())) link.remove_prefix(1);
  while (!link.empty() && is_paste_space(link.back())) link.remove_suffix(1);
  if (link.empty()) return invalid("invitation: empty");
  for (char c : link) {
    if (is_paste_space(c)) {
      return invalid("invitation: whitespace inside the link");
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte > 0x7e) return invalid("invitation: character not allowed in a link");
  }

  // 2. Scheme, kind, version.
  if (link.size() < kSchemePrefix.size() ||
      !equals_ignoring_case(link.substr(0, kSchemePrefix.size()), kSchemePrefix)) {
    return invalid("invitation: not an exile:// link");
  }
  if (link.size() < kPrefix.size() ||
      !equals_ignoring_case(link.substr(0, kCaseFreeBytes), kPrefix.substr(0, kCaseFreeBytes)) ||
      link[kCaseFreeBytes] != '/') {
    return invalid("invitation: an exile:// link, but not an invitation");
  }
  std::string_view rest = link.substr(kPrefix.size());
  const unsigned version = read_version(rest);
  if (version == 0) return invalid("invitation: version field malformed");
  if (version != 1) {
    return fail(ErrorCode::UnsupportedVersion,
                "invitation: made by a newer version of Exile; update Exile to open it");
  }

  // 3. The payload's text: base64url, canonical, of a possible length.
  if (rest.empty()) return damaged("invitation: damaged (no payload)");
  if (!std::all_of(rest.begin(), rest.end(), is_base64url)) {
    return invalid("invitation: payload is not base64url (A-Z a-z 0-9 - _, no padding)");
  }
  if (rest.size() % 4 == 1) return damaged("invitation: damaged (payload length impossible)");
  const std::size_t tail_bits = (rest.size() % 4) * 6 % 8;  // bits the last character pads
  if (tail_bits != 0 && (base64url_value(rest.back()) & ((1u << tail_bits) - 1)) != 0) {
    return damaged("invitation: damaged (non-canonical base64url: unused bits set)");
  }
  const std::size_t payload_size =
      rest.size() / 4 * 3 + (rest.size() % 4 == 0 ? 0 : rest.size() % 4 - 1);
  if (payload_size < kMinPayloadBytes) return damaged("invitation: damaged (payload too short)");
  if (payload_size > kMaxPayloadBytes) return invalid("invitation: payload too long");
  // sodium_base642bin refuses what rules 12 and 13 refuse as well; they come first to name the
  // rule. Text that passed them always decodes, to payload_size bytes.
  auto decoded = secret_from_base64(rest, Base64Variant::UrlNoPadding);
  if (!decoded) return damaged("invitation: damaged (payload does not decode)");
  const SecureBytes& payload = *decoded;

  // 4. The check, then the fields: a damaged link is reported as such, never read.
  const ByteView covered(payload.data(), payload.size() - kCheckBytes);
  const auto check = check_of(covered);
  if (sodium_memcmp(check.data(), payload.data() + covered.size(), kCheckBytes) != 0) {
    return damaged("invitation: damaged (check failed); copy the whole link again");
  }
  const std::size_t url_len = payload[kUrlLenOffset];
  if (kUrlOffset + url_len > covered.size()) {
    return invalid("invitation: relay URL runs past the end of the payload");
  }
  if (kUrlOffset + url_len < covered.size()) {
    return invalid("invitation: bytes after the relay URL");
  }
  const std::string_view url(reinterpret_cast<const char*>(payload.data() + kUrlOffset), url_len);
  if (auto problem = detail::relay_url_problem(url)) return invalid(std::string(*problem));
  const std::uint8_t* key = payload.data() + kAddressIdBytes + kIdentityFingerprintBytes;
  if (sodium_is_zero(key, kBundleKeyBytes) == 1) {
    return invalid("invitation: bundle key is all zero");
  }

  Invitation invitation;
  invitation.relay_url = std::string(url);
  std::copy_n(payload.data(), kAddressIdBytes, invitation.address_id.begin());
  std::copy_n(payload.data() + kAddressIdBytes, kIdentityFingerprintBytes,
              invitation.identity_fingerprint.begin());
  std::copy_n(key, kBundleKeyBytes, invitation.bundle_key.data());
  return invitation;
}

std::ostream& operator<<(std::ostream& os, const Invitation&) {
  return os << "Invitation{redacted}";
}

}  // namespace exile::engine
