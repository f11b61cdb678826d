// The per-source connection cap's accounting (relay/source_limit.h), the open-file budget
// (relay/open_files.h) and their flags. The caps against a real relay: relay_limits_test.cpp.
#include "relay/source_limit.h"

#include <gtest/gtest.h>

#include "relay/config.h"
#include "relay/open_files.h"

namespace exile::relay {
namespace {

std::array<std::uint8_t, 16> v6(std::initializer_list<std::uint8_t> head, std::uint8_t last = 1) {
  std::array<std::uint8_t, 16> out{};
  std::size_t i = 0;
  for (auto b : head) out[i++] = b;
  out[15] = last;
  return out;
}

TEST(SourceLimit, CountsPerSourceUpToTheCapAndForgetsEmptySources) {
  SourceLimiter limiter(2);
  const auto a = source_key_v4({127, 0, 0, 1});
  const auto b = source_key_v4({127, 0, 0, 2});
  EXPECT_TRUE(limiter.acquire(a));
  EXPECT_TRUE(limiter.acquire(a));
  EXPECT_FALSE(limiter.acquire(a)) << "a third from one source";
  EXPECT_TRUE(limiter.acquire(b)) << "another source is not affected";
  limiter.release(a);
  EXPECT_TRUE(limiter.acquire(a)) << "a slot freed by release";
  limiter.release(a);
  limiter.release(a);
  limiter.release(b);
  EXPECT_EQ(limiter.sources(), 0U);
  limiter.release(b);  // an extra release is harmless
  EXPECT_EQ(limiter.sources(), 0U);
}

TEST(SourceLimit, ZeroMeansNoCap) {
  SourceLimiter limiter(0);
  const auto a = source_key_v4({10, 0, 0, 1});
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.acquire(a));
  EXPECT_EQ(limiter.sources(), 0U);
}

TEST(SourceLimit, Ipv6CountsBySlash64AndMappedIpv4AsIpv4) {
  const auto host1 = source_key_v6(v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1}, 1));
  const auto host2 = source_key_v6(v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1}, 2));
  const auto other64 = source_key_v6(v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 2}, 1));
  EXPECT_EQ(host1, host2) << "one /64";
  EXPECT_NE(host1, other64);
  const auto mapped = source_key_v6(v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2}, 7));
  EXPECT_EQ(mapped, source_key_v4({192, 0, 2, 7}));
  // An IPv6 /64 that starts like an IPv4 address is not that address.
  EXPECT_NE(source_key_v6(v6({192, 0, 2, 7})), source_key_v4({192, 0, 2, 7}));
}

TEST(OpenFiles, TheCapFitsTheLimit) {
  const OpenFileLimit limit{128, 128, 128};
  EXPECT_EQ(connections_allowed(128), 128 - kReservedDescriptors);
  EXPECT_EQ(connections_allowed(kReservedDescriptors), 0U);
  auto fits = decide_connection_cap(64, true, limit);
  EXPECT_EQ(fits.max_connections, 64U);
  EXPECT_TRUE(fits.message.empty());
  auto lowered = decide_connection_cap(20000, false, limit);
  EXPECT_EQ(lowered.max_connections, 64U);
  EXPECT_NE(lowered.message.find("lowered to 64"), std::string::npos) << lowered.message;
  auto refused = decide_connection_cap(65, true, limit);
  EXPECT_EQ(refused.max_connections, 0U);
  EXPECT_NE(refused.message.find("at most 64"), std::string::npos) << refused.message;
  EXPECT_EQ(decide_connection_cap(20000, false, OpenFileLimit{10, 10, 10}).max_connections, 0U)
      << "no room for any connection: refused even by default";
}

TEST(OpenFiles, FlagsParse) {
  auto config = parse_command_line({"--data", "/d"});
  ASSERT_TRUE(config);
  EXPECT_EQ(config->max_connections_per_source, 256U);
  EXPECT_FALSE(config->max_connections_explicit);
  config = parse_command_line(
      {"--data", "/d", "--max-connections", "50", "--max-connections-per-source", "0"});
  ASSERT_TRUE(config);
  EXPECT_TRUE(config->max_connections_explicit);
  EXPECT_EQ(config->max_connections_per_source, 0U);
  EXPECT_FALSE(parse_command_line({"--data", "/d", "--max-connections-per-source", "-1"}));
}

}  // namespace
}  // namespace exile::relay
