// HMAC-SHA256 and HKDF-SHA256 (crypto/hkdf.h) against the published vectors:
//   tests/vectors/rfc5869-hkdf-sha256.txt  RFC 5869 Appendix A.1-A.3 (every SHA-256 case)
//   tests/vectors/rfc4231-hmac-sha256.txt  RFC 4231 §4 (HMAC-SHA256)
// Both copied from Debian's python3-cryptography-vectors; sources named in the files.
#include "crypto/hkdf.h"

#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/encoding.h"

namespace exile::crypto {
namespace {

// "name = value" lines; '#' comments and blank lines ignored. A record ends where a name it
// already holds appears again (COUNT / Len open the next case in these files).
using Record = std::map<std::string, std::string>;

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

std::vector<Record> read_records(const std::string& name) {
  const std::string path = std::string(EXILE_VECTORS_DIR) + "/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in.is_open()) << path;
  std::vector<Record> records;
  Record current;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = trim(line.substr(0, eq));
    if (current.contains(key)) {
      records.push_back(std::move(current));
      current.clear();
    }
    current[key] = trim(line.substr(eq + 1));
  }
  if (!current.empty()) records.push_back(std::move(current));
  return records;
}

Bytes hex(const std::string& text) {
  auto decoded = from_hex(text);
  EXPECT_TRUE(decoded.has_value()) << text;
  return decoded.value_or(Bytes{});
}

std::vector<Record> hkdf_vectors() {
  std::vector<Record> out;
  for (auto& r : read_records("rfc5869-hkdf-sha256.txt")) {
    if (r["Hash"] == "SHA-256") out.push_back(std::move(r));
  }
  return out;
}

TEST(Hkdf, AllRfc5869Sha256CasesArePresent) { EXPECT_EQ(hkdf_vectors().size(), 3u); }

TEST(Hkdf, Rfc5869Extract) {
  for (auto& v : hkdf_vectors()) {
    std::array<std::uint8_t, kHmacSha256Bytes> prk{};
    hkdf_extract(prk, hex(v["salt"]), hex(v["IKM"]));
    EXPECT_EQ(to_hex(prk), v["PRK"]) << "COUNT " << v["COUNT"];
  }
}

TEST(Hkdf, Rfc5869Expand) {
  for (auto& v : hkdf_vectors()) {
    Bytes okm(std::stoul(v["L"]));
    ASSERT_TRUE(hkdf_expand(okm, hex(v["PRK"]), hex(v["info"])).has_value());
    EXPECT_EQ(to_hex(okm), v["OKM"]) << "COUNT " << v["COUNT"];
  }
}

TEST(Hkdf, Rfc5869ExtractThenExpand) {
  for (auto& v : hkdf_vectors()) {
    Bytes okm(std::stoul(v["L"]));
    ASSERT_TRUE(hkdf_sha256(okm, hex(v["salt"]), hex(v["IKM"]), hex(v["info"])).has_value());
    EXPECT_EQ(to_hex(okm), v["OKM"]) << "COUNT " << v["COUNT"];
  }
}

TEST(Hkdf, EmptySaltMeansHashLenZeros) {
  const Bytes ikm(22, 0x0b);
  const Bytes zeros(kHmacSha256Bytes, 0);
  std::array<std::uint8_t, kHmacSha256Bytes> with_empty{};
  std::array<std::uint8_t, kHmacSha256Bytes> with_zeros{};
  hkdf_extract(with_empty, {}, ikm);
  hkdf_extract(with_zeros, zeros, ikm);
  EXPECT_EQ(with_empty, with_zeros);
}

TEST(Hkdf, OutputLimitIs255Blocks) {
  const Bytes prk(kHmacSha256Bytes, 0x42);
  Bytes max(kHkdfMaxOutput);
  EXPECT_TRUE(hkdf_expand(max, prk, {}).has_value());
  EXPECT_TRUE(hkdf_sha256(max, {}, prk, {}).has_value());

  Bytes too_long(kHkdfMaxOutput + 1);
  const auto expanded = hkdf_expand(too_long, prk, {});
  ASSERT_FALSE(expanded.has_value());
  EXPECT_EQ(expanded.error().code, ErrorCode::InvalidArgument);
  const auto derived = hkdf_sha256(too_long, {}, prk, {});
  ASSERT_FALSE(derived.has_value());
  EXPECT_EQ(derived.error().code, ErrorCode::InvalidArgument);
}

TEST(Hkdf, ShorterOutputIsAPrefix) {
  const Bytes prk(kHmacSha256Bytes, 0x17);
  const Bytes info = {'i', 'n', 'f', 'o'};
  Bytes full(kHkdfMaxOutput);
  ASSERT_TRUE(hkdf_expand(full, prk, info).has_value());
  for (const std::size_t n : {0u, 1u, 31u, 32u, 33u, 64u, 100u, 8159u}) {
    Bytes part(n);
    ASSERT_TRUE(hkdf_expand(part, prk, info).has_value());
    EXPECT_TRUE(std::equal(part.begin(), part.end(), full.begin())) << n;
  }
}

std::vector<Record> hmac_vectors() { return read_records("rfc4231-hmac-sha256.txt"); }

TEST(HmacSha256, Rfc4231CasesArePresent) { EXPECT_EQ(hmac_vectors().size(), 6u); }

TEST(HmacSha256, Rfc4231OneShot) {
  for (auto& v : hmac_vectors()) {
    std::array<std::uint8_t, kHmacSha256Bytes> mac{};
    hmac_sha256(mac, hex(v["Key"]), hex(v["Msg"]));
    EXPECT_EQ(to_hex(mac), v["MD"]) << "Len " << v["Len"];
  }
}

TEST(HmacSha256, Rfc4231KeyedStateWithMultiPartInput) {
  for (auto& v : hmac_vectors()) {
    const Bytes msg = hex(v["Msg"]);
    const HmacSha256Key key(hex(v["Key"]));
    // Every way of cutting the message into three parts gives the one-shot MAC, and the key
    // state survives each use.
    for (std::size_t a = 0; a <= msg.size(); a += 3) {
      for (std::size_t b = a; b <= msg.size(); b += 5) {
        const ByteView whole(msg);
        std::array<std::uint8_t, kHmacSha256Bytes> mac{};
        key.mac(mac, whole.subspan(0, a), whole.subspan(a, b - a), whole.subspan(b));
        ASSERT_EQ(to_hex(mac), v["MD"]) << "Len " << v["Len"] << " cut " << a << "," << b;
      }
    }
    std::array<std::uint8_t, kHmacSha256Bytes> single{};
    key.mac(single, msg);
    EXPECT_EQ(to_hex(single), v["MD"]);
  }
}

TEST(HmacSha256, KeyReuseIsStable) {
  const Bytes chain_key(32, 0x33);
  const HmacSha256Key key(chain_key);
  const std::uint8_t one[1] = {0x01};
  const std::uint8_t two[1] = {0x02};
  std::array<std::uint8_t, kHmacSha256Bytes> mk1{};
  std::array<std::uint8_t, kHmacSha256Bytes> ck{};
  std::array<std::uint8_t, kHmacSha256Bytes> mk2{};
  key.mac(mk1, one);
  key.mac(ck, two);
  key.mac(mk2, one);
  EXPECT_EQ(mk1, mk2);
  EXPECT_NE(mk1, ck);
  std::array<std::uint8_t, kHmacSha256Bytes> direct{};
  hmac_sha256(direct, chain_key, one);
  EXPECT_EQ(direct, mk1);
}

}  // namespace
}  // namespace exile::crypto
