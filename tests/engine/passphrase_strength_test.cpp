// passphrase_strength (engine.h): the estimate behind the app's strength meter and floor.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/engine.h"

namespace exile::engine {
namespace {

TEST(PassphraseStrength, EmptyAndShortAreVeryWeakAndRefused) {
  EXPECT_EQ(passphrase_strength("").score, 0);
  EXPECT_FALSE(passphrase_strength("").acceptable);
  EXPECT_EQ(passphrase_strength("abc").score, 0);
  EXPECT_FALSE(passphrase_strength("Xy7$kQ2").acceptable);  // strong characters, too short
}

TEST(PassphraseStrength, RepeatsRunsAndCommonWordsCountForLittle) {
  EXPECT_FALSE(passphrase_strength("aaaaaaaaaaaaaaaa").acceptable);
  EXPECT_FALSE(passphrase_strength("abcdefghijklmnop").acceptable);
  EXPECT_FALSE(passphrase_strength("1234567890123").acceptable);
  EXPECT_FALSE(passphrase_strength("password123!").acceptable);
  EXPECT_FALSE(passphrase_strength("Tr0ub4dorTr0ub4dorTr0ub4dor").acceptable);  // one unit, thrice
  EXPECT_LT(passphrase_strength("qwertyqwerty").score, 2);
  // Long and varied enough by length and classes alone, but made of words guessers try first
  // (in any case): the common-word rule refuses it, and the same length of other words passes.
  EXPECT_FALSE(passphrase_strength("ILoveYouDragon7!").acceptable);
  EXPECT_TRUE(passphrase_strength("IHaveYouPigeon7!").acceptable);
}

TEST(PassphraseStrength, LongVariedPassphrasesPass) {
  const auto words = passphrase_strength("velvet harbor quietly sings");
  EXPECT_TRUE(words.acceptable);
  EXPECT_EQ(words.score, 4);
  EXPECT_TRUE(passphrase_strength("n7#Lq2vW9x!m").acceptable);
  // Korean: Hangul syllables come from a large alphabet; the floor still wants 10 characters.
  EXPECT_TRUE(passphrase_strength("조용한 항구에서 노래한다").acceptable);
  EXPECT_FALSE(passphrase_strength("조용한항구").acceptable);
}

TEST(PassphraseStrength, ScoreGrowsWithLength) {
  int last = -1;
  for (const char* p :
       {"kq", "kqzm7", "kqzm7wpx", "kqzm7wpx3r", "kqzm7wpx3rtv9b", "kqzm7wpx3rtv9bnd2s"}) {
    const int score = passphrase_strength(p).score;
    EXPECT_GE(score, last) << p;
    last = score;
  }
  EXPECT_EQ(last, 4);
}

TEST(PassphraseStrength, BrokenUtf8IsCountedByteByByte) {
  const std::string broken = "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5";
  const auto s = passphrase_strength(broken);
  EXPECT_GT(s.bits, 0);
}

TEST(ProfileExists, OnlyAKeyFileMakesAProfile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("exile-profile-exists-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(profile_exists(dir));
  std::filesystem::create_directories(dir);
  EXPECT_FALSE(profile_exists(dir));
  { std::ofstream(dir / "exile.db") << "x"; }
  EXPECT_FALSE(profile_exists(dir));
  { std::ofstream(dir / "exile.key") << "x"; }
  EXPECT_TRUE(profile_exists(dir));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace exile::engine
