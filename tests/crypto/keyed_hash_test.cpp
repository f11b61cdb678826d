// KeyedBlake2b (crypto/keyed_hash.h): keyed BLAKE2b-256 as the relay's command MAC. The
// expected values were computed with Python's hashlib.blake2b(digest_size=32, key=...), an
// implementation independent of libsodium's.
#include "crypto/keyed_hash.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "common/encoding.h"

namespace exile::crypto {
namespace {

std::array<std::uint8_t, 32> counting_key() {
  std::array<std::uint8_t, 32> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  return key;
}

std::string hex_of(const std::array<std::uint8_t, kKeyedBlake2bBytes>& tag) {
  return to_hex(ByteView(tag.data(), tag.size()));
}

TEST(KeyedBlake2bTest, MatchesAnIndependentImplementation) {
  const auto key = counting_key();
  const KeyedBlake2b mac(key);
  const std::string label = "exile-relay-cmd-v2";
  const std::array<std::uint8_t, 8> id{0, 0, 0, 0, 0, 0, 0, 7};
  const std::string command = "command bytes";
  std::array<std::uint8_t, kKeyedBlake2bBytes> tag{};
  mac.mac(tag, as_bytes(label), id, as_bytes(command));
  EXPECT_EQ(hex_of(tag), "34c6fc4af04bdaa37033136dbb51b558a90c79668372448a569ece72946d5bde");
  mac.mac(tag, {});
  EXPECT_EQ(hex_of(tag), "4e51e7a913fc80137da52880fecca175bf81e117d5c68126dc2774033517ea0d");
}

TEST(KeyedBlake2bTest, PartsAreConcatenatedAndTheKeyMatters) {
  const auto key = counting_key();
  const KeyedBlake2b mac(key);
  const std::string whole = "exile-relay-cmd-v2 and the rest";
  std::array<std::uint8_t, kKeyedBlake2bBytes> one{};
  std::array<std::uint8_t, kKeyedBlake2bBytes> split{};
  mac.mac(one, as_bytes(whole));
  mac.mac(split, as_bytes(whole.substr(0, 5)), as_bytes(whole.substr(5, 9)),
          as_bytes(whole.substr(14)));
  EXPECT_EQ(one, split);
  // The same object tags again and again from its keyed state.
  std::array<std::uint8_t, kKeyedBlake2bBytes> again{};
  mac.mac(again, as_bytes(whole));
  EXPECT_EQ(one, again);

  auto other_key = key;
  other_key[31] ^= 1;
  std::array<std::uint8_t, kKeyedBlake2bBytes> other{};
  KeyedBlake2b(other_key).mac(other, as_bytes(whole));
  EXPECT_NE(one, other);
  std::string changed = whole;
  changed.back() ^= 1;
  mac.mac(other, as_bytes(changed));
  EXPECT_NE(one, other);
}

}  // namespace
}  // namespace exile::crypto
