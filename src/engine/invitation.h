// Invitation links: what a user shares so that others can start a secret chat with them
// (PROTOCOL.md "Starting a secret chat"). The format, byte for byte, and the reasons for it are
// in docs/protocol.md §2.5 ("Invitation link"); this header only names the values.
//
// A link is a capability: whoever holds it can open the inviter's sealed contact bundle. The
// bundle key lives in guarded memory (SecureBuffer), no error message holds any part of a link,
// and printing an Invitation prints nothing of it. Callers show a link to its owner on purpose;
// they never log it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/secure_buffer.h"

namespace exile::engine {

inline constexpr std::size_t kAddressIdBytes = 16;            // the address queue's send_id
inline constexpr std::size_t kIdentityFingerprintBytes = 32;  // docs/protocol.md §2.4
inline constexpr std::size_t kBundleKeyBytes = 32;            // opens the sealed contact bundle
inline constexpr std::size_t kMaxRelayUrlBytes = 128;
// Checked before anything else is looked at, whitespace included.
inline constexpr std::size_t kMaxInvitationLinkBytes = 512;

struct Invitation {
  std::string relay_url;  // wss://host[:port][/path], or ws:// to loopback only
  std::array<std::uint8_t, kAddressIdBytes> address_id{};
  std::array<std::uint8_t, kIdentityFingerprintBytes> identity_fingerprint{};
  SecureBuffer<kBundleKeyBytes> bundle_key;
};

// The one canonical link of an invitation. InvalidArgument if the relay URL breaks a rule of
// §2.5 or the bundle key is all zero: such a link would be refused by every reader.
[[nodiscard]] Result<std::string> encode_invitation_link(const Invitation& invitation);

// Reads a link as pasted or scanned. Errors (docs/protocol.md §2.5, "Reading a link"):
// InvalidInvitation (not an invitation link, with the failed rule named), InvitationDamaged
// (the check failed: copy it again) and UnsupportedVersion (made by a newer Exile).
[[nodiscard]] Result<Invitation> parse_invitation_link(std::string_view link);

// Prints "Invitation{redacted}": an invitation names its owner's relay and address.
std::ostream& operator<<(std::ostream& os, const Invitation& invitation);

}  // namespace exile::engine
