// Invitation links (engine/invitation.h; format in docs/protocol.md §2.5). The example link of
// the document is pinned here exactly; every rule of "Reading a link" has a case that breaks it
// alone. Crafted payloads get their check from this file's own copy of the construction, so a
// rule after the check is reached with a check that passes.
#include "engine/invitation.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "common/encoding.h"

namespace exile::engine {
namespace {

constexpr std::string_view kExampleUrl = "wss://relay.example.org";
constexpr std::string_view kExampleLink =
    "exile://invite/v1/AAECAwQFBgcICQoLDA0ODyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4_QEFCQ0RFRkdI"
    "SUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8Xd3NzOi8vcmVsYXkuZXhhbXBsZS5vcmdjcqy7";

// docs/protocol.md §2.5, "Example": bytes 0x00.., 0x20.., 0x40.. and the example relay.
Invitation example(std::string_view url = kExampleUrl) {
  Invitation invitation;
  invitation.relay_url = std::string(url);
  for (std::size_t i = 0; i < kAddressIdBytes; ++i) invitation.address_id[i] = std::uint8_t(i);
  for (std::size_t i = 0; i < kIdentityFingerprintBytes; ++i) {
    invitation.identity_fingerprint[i] = std::uint8_t(0x20 + i);
  }
  for (std::size_t i = 0; i < kBundleKeyBytes; ++i) {
    invitation.bundle_key.data()[i] = std::uint8_t(0x40 + i);
  }
  return invitation;
}

// The fields of a payload, each of any length, for crafting links the encoder would not write.
struct Fields {
  Bytes address_id = Bytes(16, 0x01);
  Bytes fingerprint = Bytes(32, 0x02);
  Bytes bundle_key = Bytes(32, 0x03);
  int url_len = -1;  // -1: the URL's real length
  std::string url = std::string(kExampleUrl);
  Bytes after_url;
};

Bytes covered_bytes(const Fields& f) {
  Bytes out;
  append(out, f.address_id);
  append(out, f.fingerprint);
  append(out, f.bundle_key);
  out.push_back(f.url_len < 0 ? static_cast<std::uint8_t>(f.url.size())
                              : static_cast<std::uint8_t>(f.url_len));
  append(out, as_bytes(f.url));
  append(out, f.after_url);
  return out;
}

Bytes check_for(const Bytes& covered) {
  const std::string_view label = "Exile_InvitationCheck_v1";
  Bytes input(label.begin(), label.end());
  append(input, covered);
  Bytes digest(crypto_hash_sha256_BYTES);
  crypto_hash_sha256(digest.data(), input.data(), input.size());
  return Bytes(digest.begin(), digest.begin() + 4);
}

std::string link_of(const Bytes& payload) {
  return "exile://invite/v1/" + to_base64(payload, Base64Variant::UrlNoPadding);
}

std::string crafted(const Fields& f) {
  Bytes payload = covered_bytes(f);
  append(payload, check_for(payload));
  return link_of(payload);
}

std::string crafted_url(std::string_view url) {
  Fields f;
  f.url = std::string(url);
  return crafted(f);
}

std::string body_of(std::string_view link) { return std::string(link.substr(18)); }

// Rejects `link` with `code` and a message that names `rule`.
void expect_rejected(std::string_view link, ErrorCode code, std::string_view rule) {
  const auto parsed = parse_invitation_link(link);
  ASSERT_FALSE(parsed.has_value()) << "accepted; expected: " << rule;
  EXPECT_EQ(parsed.error().code, code) << parsed.error();
  EXPECT_NE(parsed.error().message.find(rule), std::string::npos)
      << parsed.error() << "\n  expected the message to name: " << rule;
}

TEST(InvitationTest, TheExampleOfTheDocumentIsExact) {
  const auto link = encode_invitation_link(example());
  ASSERT_TRUE(link.has_value()) << link.error();
  EXPECT_EQ(*link, kExampleLink);
  EXPECT_EQ(link->size(), 162u);
  const auto parsed = parse_invitation_link(kExampleLink);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  const Invitation expected = example();
  EXPECT_EQ(parsed->relay_url, kExampleUrl);
  EXPECT_EQ(parsed->address_id, expected.address_id);
  EXPECT_EQ(parsed->identity_fingerprint, expected.identity_fingerprint);
  EXPECT_TRUE(parsed->bundle_key.equals(expected.bundle_key));
}

TEST(InvitationTest, RoundTripsRandomInvitationsOverEveryKindOfRelayUrl) {
  for (std::string_view url :
       {"wss://relay.example.org", "wss://r.example:8443/exile/v1", "wss://xn--rlay-era.example/",
        "wss://192.0.2.7:1", "wss://[2001:db8::7]:65535/a.b_c~d-e", "ws://localhost:8080",
        "ws://127.0.0.1:5000/relay", "ws://127.255.0.9", "ws://[::1]:443", "wss://a"}) {
    if (url == "wss://xn--rlay-era.example/") continue;  // "/" alone is not canonical
    Invitation invitation = example(url);
    randombytes_buf(invitation.address_id.data(), invitation.address_id.size());
    randombytes_buf(invitation.identity_fingerprint.data(), kIdentityFingerprintBytes);
    randombytes_buf(invitation.bundle_key.data(), kBundleKeyBytes);
    const auto link = encode_invitation_link(invitation);
    ASSERT_TRUE(link.has_value()) << url << ": " << link.error();
    const auto parsed = parse_invitation_link(*link);
    ASSERT_TRUE(parsed.has_value()) << url << ": " << parsed.error();
    EXPECT_EQ(parsed->relay_url, url);
    EXPECT_EQ(parsed->address_id, invitation.address_id);
    EXPECT_EQ(parsed->identity_fingerprint, invitation.identity_fingerprint);
    EXPECT_TRUE(parsed->bundle_key.equals(invitation.bundle_key));
    const auto again = encode_invitation_link(*parsed);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *link);
  }
}

TEST(InvitationTest, TheLongestLinkHasA128ByteUrlAndFitsTheCap) {
  const std::string url = "wss://" + std::string(61, 'a') + "." + std::string(60, 'b');
  ASSERT_EQ(url.size(), kMaxRelayUrlBytes);
  const auto link = encode_invitation_link(example(url));
  ASSERT_TRUE(link.has_value()) << link.error();
  EXPECT_EQ(link->size(), 302u);  // 18 + base64url of 213 bytes
  EXPECT_TRUE(parse_invitation_link(*link).has_value());
  const auto longer = encode_invitation_link(example(url + "c"));
  ASSERT_FALSE(longer.has_value());
  EXPECT_EQ(longer.error().code, ErrorCode::InvalidArgument);
  // The same URL crafted into a link: its payload is longer than any invitation's.
  expect_rejected(crafted_url(url + "c"), ErrorCode::InvalidInvitation, "payload too long");
}

// --- whitespace, bytes, length ----------------------------------------------------------------

TEST(InvitationTest, WhitespaceAroundTheLinkIsTrimmedAndInsideItIsRefused) {
  const std::string padded = " \t\r\n" + std::string(kExampleLink) + "\r\n \t";
  const auto parsed = parse_invitation_link(padded);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->relay_url, kExampleUrl);

  std::string spaced(kExampleLink);
  spaced.insert(60, " ");
  expect_rejected(spaced, ErrorCode::InvalidInvitation, "whitespace inside the link");
  std::string wrapped(kExampleLink);
  wrapped.insert(80, "\r\n");
  expect_rejected(wrapped, ErrorCode::InvalidInvitation, "whitespace inside the link");
  expect_rejected(std::string(kExampleLink) + "\v", ErrorCode::InvalidInvitation,
                  "character not allowed in a link");
  expect_rejected(std::string(kExampleLink) + "\xc3\xa9", ErrorCode::InvalidInvitation,
                  "character not allowed in a link");
  expect_rejected("", ErrorCode::InvalidInvitation, "empty");
  expect_rejected(" \r\n\t ", ErrorCode::InvalidInvitation, "empty");
}

TEST(InvitationTest, TheLengthCapCountsWhitespaceAndComesFirst) {
  const std::string at_cap =
      std::string(kExampleLink) + std::string(512 - kExampleLink.size(), ' ');
  EXPECT_TRUE(parse_invitation_link(at_cap).has_value());
  expect_rejected(at_cap + " ", ErrorCode::InvalidInvitation, "longer than 512 bytes");
  // Over the cap, nothing else is looked at: not the NUL, not the scheme.
  expect_rejected(std::string(600, '\0'), ErrorCode::InvalidInvitation, "longer than 512 bytes");
}

TEST(InvitationTest, AnEmbeddedNulIsRefused) {
  std::string with_nul(kExampleLink);
  with_nul.insert(40, 1, '\0');
  expect_rejected(with_nul, ErrorCode::InvalidInvitation, "NUL");
  expect_rejected(std::string(kExampleLink) + '\0', ErrorCode::InvalidInvitation, "NUL");
}

// --- scheme, kind, version, case ------------------------------------------------------------

TEST(InvitationTest, SchemeAndKind) {
  const std::string body = body_of(kExampleLink);
  expect_rejected("https://invite/v1/" + body, ErrorCode::InvalidInvitation, "not an exile://");
  expect_rejected("exile:/invite/v1/" + body, ErrorCode::InvalidInvitation, "not an exile://");
  expect_rejected("exile:", ErrorCode::InvalidInvitation, "not an exile://");
  expect_rejected("exile://chat/v1/" + body, ErrorCode::InvalidInvitation, "not an invitation");
  expect_rejected("exile://invitation/v1/" + body, ErrorCode::InvalidInvitation,
                  "not an invitation");
  expect_rejected("exile://invite", ErrorCode::InvalidInvitation, "not an invitation");
  // "invite" must be followed by "/" itself, not by any one character.
  expect_rejected("exile://invite.v1/" + body, ErrorCode::InvalidInvitation, "not an invitation");
  expect_rejected("exile://invites/v1/" + body, ErrorCode::InvalidInvitation, "not an invitation");
  expect_rejected("exile://verify/v1/" + body, ErrorCode::InvalidInvitation, "not an invitation");
}

TEST(InvitationTest, OnlyExileInviteIsCaseFree) {
  const std::string body = body_of(kExampleLink);
  for (std::string prefix : {"EXILE://INVITE/v1/", "Exile://Invite/v1/", "eXiLe://iNvItE/v1/"}) {
    const auto parsed = parse_invitation_link(prefix + body);
    ASSERT_TRUE(parsed.has_value()) << prefix << ": " << parsed.error();
    EXPECT_EQ(encode_invitation_link(*parsed).value(), kExampleLink);
  }
  expect_rejected("exile://invite/V1/" + body, ErrorCode::InvalidInvitation, "version field");
  // The payload is case-sensitive: a changed case is a changed payload.
  std::string recased(kExampleLink);
  recased[30] = static_cast<char>(recased[30] ^ 0x20);
  expect_rejected(recased, ErrorCode::InvitationDamaged, "check failed");
}

TEST(InvitationTest, VersionsNewerThanOneAskForANewerExile) {
  const std::string body = body_of(kExampleLink);
  for (std::string v : {"v2", "v10", "v999"}) {
    expect_rejected("exile://invite/" + v + "/" + body, ErrorCode::UnsupportedVersion,
                    "made by a newer version of Exile");
  }
  // A newer version's payload is not read at all: anything may follow.
  expect_rejected("exile://invite/v2/", ErrorCode::UnsupportedVersion, "newer version");
  for (std::string v : {"v0", "v01", "v", "v1000", "vx", "1", "v1x", "v-1"}) {
    expect_rejected("exile://invite/" + v + "/" + body, ErrorCode::InvalidInvitation,
                    "version field malformed");
  }
  expect_rejected("exile://invite/v1", ErrorCode::InvalidInvitation, "version field malformed");
}

// --- the payload's text ---------------------------------------------------------------------

TEST(InvitationTest, PayloadTextMustBeCanonicalBase64Url) {
  const std::string link(kExampleLink);
  expect_rejected("exile://invite/v1/", ErrorCode::InvitationDamaged, "no payload");
  expect_rejected(link + "=", ErrorCode::InvalidInvitation, "not base64url");
  expect_rejected(link + ".", ErrorCode::InvalidInvitation, "not base64url");
  std::string standard = link;
  std::replace(standard.begin() + 18, standard.end(), '_', '/');
  expect_rejected(standard, ErrorCode::InvalidInvitation, "not base64url");
  expect_rejected(link + "/", ErrorCode::InvalidInvitation, "not base64url");
  expect_rejected(link + "?", ErrorCode::InvalidInvitation, "not base64url");
  // 144 characters of payload: one more is a length no base64 text has.
  expect_rejected(link + "A", ErrorCode::InvitationDamaged, "length impossible");
  // 108 bytes = 144 characters, no unused bits; cut two characters to get 142 (4 unused bits).
  Fields f;
  f.url = "wss://relay.example.or";  // 107-byte payload: the last character pads 4 bits
  const std::string odd = crafted(f);
  ASSERT_EQ(body_of(odd).size() % 4, 3u);
  ASSERT_TRUE(parse_invitation_link(odd).has_value());
  std::string unused_bits = odd;
  unused_bits.back() = static_cast<char>(unused_bits.back() == 'A' ? 'B' : unused_bits.back() + 1);
  expect_rejected(unused_bits, ErrorCode::InvitationDamaged, "non-canonical");
  f.url = "wss://relay.example.o";  // 106 bytes: 4 unused bits
  std::string unused4 = crafted(f);
  ASSERT_EQ(body_of(unused4).size() % 4, 2u);
  ASSERT_TRUE(parse_invitation_link(unused4).has_value());
  unused4.back() = static_cast<char>(unused4.back() + 1);
  expect_rejected(unused4, ErrorCode::InvitationDamaged, "non-canonical");
}

TEST(InvitationTest, ADamagedLinkIsReportedAsDamaged) {
  const std::string link(kExampleLink);
  // Cut off: the last 4 characters, half of it, all but a few bytes.
  expect_rejected(link.substr(0, link.size() - 4), ErrorCode::InvitationDamaged, "check failed");
  expect_rejected(link.substr(0, link.size() - 12), ErrorCode::InvitationDamaged, "check failed");
  expect_rejected(link.substr(0, 18 + 112), ErrorCode::InvitationDamaged, "too short");
  // One character changed in each field.
  for (std::size_t at : {20u, 50u, 100u, 120u, 140u, 160u}) {
    std::string changed = link;
    changed[at] = changed[at] == 'B' ? 'C' : 'B';
    expect_rejected(changed, ErrorCode::InvitationDamaged, "check failed");
  }
  // Two characters swapped.
  std::string swapped = link;
  std::swap(swapped[60], swapped[61]);
  ASSERT_NE(swapped, link);
  expect_rejected(swapped, ErrorCode::InvitationDamaged, "check failed");
}

TEST(InvitationTest, TheCheckIsFourBytesExactly) {
  for (std::size_t size : {3u, 5u}) {
    Bytes payload = covered_bytes(Fields{});
    Bytes check = check_for(payload);
    check.resize(size, 0);
    append(payload, check);
    expect_rejected(link_of(payload), ErrorCode::InvitationDamaged, "check failed");
  }
  // Each of the four bytes counts, the last one too.
  for (std::size_t at = 0; at < 4; ++at) {
    Bytes payload = covered_bytes(Fields{});
    Bytes check = check_for(payload);
    check[at] ^= 0x01;
    append(payload, check);
    expect_rejected(link_of(payload), ErrorCode::InvitationDamaged, "check failed");
  }
}

// --- fields, after a passing check ------------------------------------------------------------

TEST(InvitationTest, EachFixedFieldTooShortOrTooLongIsRefused) {
  for (int which = 0; which < 3; ++which) {
    for (int delta : {-1, +1}) {
      Fields f;
      Bytes& field = which == 0 ? f.address_id : which == 1 ? f.fingerprint : f.bundle_key;
      field.resize(static_cast<std::size_t>(static_cast<int>(field.size()) + delta), 0x07);
      SCOPED_TRACE(testing::Message() << "field " << which << " delta " << delta);
      // The URL length byte is then read from the wrong place, or the URL ends early or late.
      const auto parsed = parse_invitation_link(crafted(f));
      ASSERT_FALSE(parsed.has_value());
      EXPECT_EQ(parsed.error().code, ErrorCode::InvalidInvitation) << parsed.error();
    }
  }
  Fields one_short;
  one_short.address_id.pop_back();  // the length byte now reads 'w' (0x77): past the end
  expect_rejected(crafted(one_short), ErrorCode::InvalidInvitation, "runs past the end");
}

TEST(InvitationTest, TheUrlLengthMustMatchThePayload) {
  Fields zero;
  zero.url_len = 0;
  zero.url.clear();
  expect_rejected(crafted(zero), ErrorCode::InvalidInvitation, "relay URL: empty");
  Fields past;
  past.url_len = static_cast<int>(past.url.size()) + 1;
  expect_rejected(crafted(past), ErrorCode::InvalidInvitation, "runs past the end");
  Fields trailing;
  trailing.after_url = {0x00};
  expect_rejected(crafted(trailing), ErrorCode::InvalidInvitation, "bytes after the relay URL");
  Fields short_len;
  short_len.url_len = static_cast<int>(short_len.url.size()) - 1;
  expect_rejected(crafted(short_len), ErrorCode::InvalidInvitation, "bytes after the relay URL");
  // Too short for any invitation, with a check that passes (no URL length byte).
  Bytes tiny(80, 0x05);
  append(tiny, check_for(tiny));
  expect_rejected(link_of(tiny), ErrorCode::InvitationDamaged, "too short");
}

TEST(InvitationTest, AnAllZeroBundleKeyIsRefusedBothWays) {
  Fields f;
  f.bundle_key.assign(32, 0);
  expect_rejected(crafted(f), ErrorCode::InvalidInvitation, "bundle key is all zero");
  Invitation invitation = example();
  invitation.bundle_key.wipe();
  const auto link = encode_invitation_link(invitation);
  ASSERT_FALSE(link.has_value());
  EXPECT_EQ(link.error().code, ErrorCode::InvalidArgument);
  Invitation moved = example();
  [[maybe_unused]] auto taken = std::move(moved.bundle_key);
  EXPECT_EQ(encode_invitation_link(moved).error().code, ErrorCode::InvalidArgument);
}

// --- relay URL --------------------------------------------------------------------------------

struct UrlCase {
  std::string_view url;
  std::string_view rule;
};

TEST(InvitationTest, RelayUrlRulesAreCheckedInLinksAndWhenEncoding) {
  const std::string label64(64, 'a');
  const std::vector<UrlCase> cases = {
      {"http://relay.example.org", "scheme must be wss://"},
      {"https://relay.example.org", "scheme must be wss://"},
      {"WSS://relay.example.org", "scheme must be wss://"},
      {"wss:relay.example.org", "scheme must be wss://"},
      {"ws://relay.example.org", "only for loopback"},
      {"ws://10.0.0.1:8080", "only for loopback"},
      {"ws://[::2]", "only for loopback"},
      {"ws://localhost.example.org", "only for loopback"},
      {"wss://user@relay.example.org", "user name or password"},
      {"wss://user:pw@relay.example.org", "user name or password"},
      {"wss://", "no host"},
      {"wss://:8443", "no host"},
      {"wss:///path", "no host"},
      {"wss://Relay.example.org", "host must be lowercase"},
      {"wss://relay_1.example.org", "character not allowed in the host"},
      {"wss://relay..example.org", "empty label"},
      {"wss://relay.example.org.", "empty label"},
      {"wss://-relay.example.org", "starts or ends with '-'"},
      {"wss://relay-.example.org", "starts or ends with '-'"},
      {"wss://relay.example.org:", "empty port"},
      {"wss://relay.example.org:0", "leading zero, or port 0"},
      {"wss://relay.example.org:08443", "leading zero, or port 0"},
      {"wss://relay.example.org:65536", "from 1 to 65535"},
      {"wss://relay.example.org:123456", "from 1 to 65535"},
      {"wss://relay.example.org:84a3", "from 1 to 65535"},
      {"wss://relay.example.org:4294975739", "from 1 to 65535"},  // 2^32 + 8443: no wrap-around
      {"wss://relay.example.org:443", "default port"},
      {"ws://localhost:80", "default port"},
      {"wss://relay.example.org/", "\"/\" alone"},
      {"wss://relay.example.org/a//b", "empty segment"},
      {"wss://relay.example.org/a/", "empty segment"},
      {"wss://relay.example.org/./a", "'.' or '..'"},
      {"wss://relay.example.org/a/..", "'.' or '..'"},
      {"wss://relay.example.org/a?b=1", "query or fragment"},
      {"wss://relay.example.org?b=1", "query or fragment"},
      {"wss://relay.example.org#top", "query or fragment"},
      {"wss://relay.example.org/a%20b", "percent-encoding"},
      {"wss://relay.example.org/a+b", "character not allowed in the path"},
      {"wss://1.2.3", "IPv4 address"},
      {"wss://256.1.1.1", "IPv4 address"},
      {"ws://127.000.0.1", "IPv4 address"},
      {"ws://[0:0:0:0:0:0:0:1]", "IPv6 address"},
      {"wss://[2001:DB8::1]", "IPv6 address"},
      {"wss://[::1", "unclosed '['"},
      {"wss://[::1]x", "character not allowed in the host"},
      {"wss://relay\x7f.example.org", "control, space or non-ASCII byte"},
      {"wss://relay example.org", "control, space or non-ASCII byte"},
      {"wss://relay.example.org/\xc3\xa9", "control, space or non-ASCII byte"},
      {"wss://relay.example.org/\t", "control, space or non-ASCII byte"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    expect_rejected(crafted_url(c.url), ErrorCode::InvalidInvitation, c.rule);
    const auto link = encode_invitation_link(example(c.url));
    ASSERT_FALSE(link.has_value());
    EXPECT_EQ(link.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(link.error().message.find(c.rule), std::string::npos) << link.error();
  }
  // A 64-character label, and the 63-character one that is fine.
  expect_rejected(crafted_url("wss://" + label64 + ".org"), ErrorCode::InvalidInvitation,
                  "longer than 63");
  EXPECT_TRUE(parse_invitation_link(crafted_url("wss://" + label64.substr(1) + ".org")));
  EXPECT_FALSE(encode_invitation_link(example("")).has_value());
  EXPECT_FALSE(encode_invitation_link(example(std::string("wss://a\0b", 9))).has_value());
}

// --- no echo ----------------------------------------------------------------------------------

TEST(InvitationTest, NoErrorMessageHoldsAnyPartOfTheLinkOrTheKey) {
  const std::string link(kExampleLink);
  const std::string body = body_of(link);
  const Invitation invitation = example();
  const std::string key_hex = to_hex(invitation.bundle_key.view());
  const std::string key_b64 = to_base64(invitation.bundle_key.view(), Base64Variant::UrlNoPadding);
  std::vector<std::string> bad = {link + "=",
                                  link + "A",
                                  link.substr(0, link.size() - 4),
                                  "exile://invite/v2/" + body,
                                  link + std::string(400, ' '),
                                  "https://invite/v1/" + body,
                                  link + '\0',
                                  link + " x"};
  Fields f;
  f.bundle_key.assign(invitation.bundle_key.view().begin(), invitation.bundle_key.view().end());
  f.url = "ws://relay.example.org";
  bad.push_back(crafted(f));
  f.url = "wss://relay.example.org";
  f.after_url = {1};
  bad.push_back(crafted(f));
  for (std::size_t at = 18; at < link.size(); at += 7) {
    std::string changed = link;
    changed[at] = changed[at] == 'x' ? 'y' : 'x';
    bad.push_back(changed);
  }
  for (const auto& input : bad) {
    const auto parsed = parse_invitation_link(input);
    ASSERT_FALSE(parsed.has_value());
    std::ostringstream printed;
    printed << parsed.error();
    const std::string message = printed.str();
    EXPECT_EQ(message.find(key_hex), std::string::npos) << message;
    EXPECT_EQ(message.find(key_hex.substr(0, 8)), std::string::npos) << message;
    EXPECT_EQ(message.find(key_b64.substr(0, 8)), std::string::npos) << message;
    EXPECT_EQ(message.find("relay.example"), std::string::npos) << message;
    for (std::size_t i = 0; i + 6 <= body.size(); ++i) {
      ASSERT_EQ(message.find(body.substr(i, 6)), std::string::npos) << message;
    }
  }
}

TEST(InvitationTest, PrintingAnInvitationRevealsNothing) {
  std::ostringstream out;
  out << example();
  EXPECT_EQ(out.str(), "Invitation{redacted}");
}

}  // namespace
}  // namespace exile::engine
