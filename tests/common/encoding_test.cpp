// Hex and base64 (common/encoding.h): RFC 4648 §10 test vectors, both base64 variants, and
// rejection of malformed input.
#include "common/encoding.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace exile {
namespace {

Bytes bytes_of(std::string_view text) {
  const ByteView view = as_bytes(text);
  return Bytes(view.begin(), view.end());
}

TEST(Hex, EncodesLowercase) {
  const Bytes data = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  EXPECT_EQ(to_hex(data), "00017f80abff");
  EXPECT_EQ(to_hex({}), "");
}

TEST(Hex, RoundTrips) {
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  const auto decoded = from_hex(to_hex(all));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, all);
}

TEST(Hex, AcceptsUppercase) {
  const auto decoded = from_hex("ABCDEF");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, (Bytes{0xab, 0xcd, 0xef}));
}

// The empty string decodes without handing libsodium a null output buffer (UBSan caught that:
// sodium_hex2bin's output is declared nonnull).
TEST(Hex, DecodesEmpty) {
  const auto decoded = from_hex("");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->empty());
  const auto secret = secret_from_hex("");
  ASSERT_TRUE(secret.has_value());
  EXPECT_TRUE(secret->empty());
}

TEST(Hex, RejectsMalformed) {
  for (const std::string_view bad : {"0", "abc", "zz", "0g", "00 11", " 00", "00\n", "0x00"}) {
    const auto decoded = from_hex(bad);
    ASSERT_FALSE(decoded.has_value()) << "input: '" << bad << "'";
    EXPECT_EQ(decoded.error().code, ErrorCode::InvalidEncoding);
  }
}

TEST(Hex, SecretVariantDecodesIntoSecureBytes) {
  const auto decoded = secret_from_hex("deadbeef");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(constant_time_equal(view(*decoded), Bytes{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_FALSE(secret_from_hex("dea").has_value());
}

// RFC 4648 §10.
struct Base64Case {
  std::string_view plain;
  std::string_view standard;
  std::string_view url;
};
constexpr Base64Case kRfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

TEST(Base64, Rfc4648Vectors) {
  for (const auto& c : kRfc4648) {
    const Bytes plain = bytes_of(c.plain);
    EXPECT_EQ(to_base64(plain), c.standard);
    EXPECT_EQ(to_base64(plain, Base64Variant::Standard), c.standard);
    EXPECT_EQ(to_base64(plain, Base64Variant::UrlNoPadding), c.url);

    const auto standard = from_base64(c.standard);
    ASSERT_TRUE(standard.has_value()) << c.standard;
    EXPECT_EQ(*standard, plain);
    const auto url = from_base64(c.url, Base64Variant::UrlNoPadding);
    ASSERT_TRUE(url.has_value()) << c.url;
    EXPECT_EQ(*url, plain);
  }
}

TEST(Base64, VariantsUseTheirOwnAlphabet) {
  const Bytes data = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(to_base64(data, Base64Variant::Standard), "+/+/");
  EXPECT_EQ(to_base64(data, Base64Variant::UrlNoPadding), "-_-_");
  EXPECT_FALSE(from_base64("-_-_", Base64Variant::Standard).has_value());
  EXPECT_FALSE(from_base64("+/+/", Base64Variant::UrlNoPadding).has_value());
}

TEST(Base64, RoundTripsEveryLength) {
  for (std::size_t n = 0; n < 70; ++n) {
    Bytes data(n);
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>(i * 37 + n);
    for (const auto variant : {Base64Variant::Standard, Base64Variant::UrlNoPadding}) {
      const auto decoded = from_base64(to_base64(data, variant), variant);
      ASSERT_TRUE(decoded.has_value()) << n;
      EXPECT_EQ(*decoded, data);
    }
  }
}

TEST(Base64, RejectsMalformed) {
  for (const std::string_view bad : {"Zg", "Zg=", "Z", "Zm9v!", "Zm9v Zm9v", "Zg==Zg==", "Zg==x"}) {
    const auto decoded = from_base64(bad, Base64Variant::Standard);
    ASSERT_FALSE(decoded.has_value()) << "input: '" << bad << "'";
    EXPECT_EQ(decoded.error().code, ErrorCode::InvalidEncoding);
  }
  for (const std::string_view bad : {"Zg==", "Z", "Zm9v+", "Zm9v/", "Zm 9v"}) {
    EXPECT_FALSE(from_base64(bad, Base64Variant::UrlNoPadding).has_value()) << bad;
  }
}

TEST(Base64, SecretVariantDecodesIntoSecureBytes) {
  const auto decoded = secret_from_base64("Zm9vYmFy");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(constant_time_equal(view(*decoded), bytes_of("foobar")));
  const auto url = secret_from_base64("Zm9vYg", Base64Variant::UrlNoPadding);
  ASSERT_TRUE(url.has_value());
  EXPECT_TRUE(constant_time_equal(view(*url), bytes_of("foob")));
  EXPECT_FALSE(secret_from_base64("Zm9v!").has_value());
}

}  // namespace
}  // namespace exile
