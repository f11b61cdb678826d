#include "cli/passphrase.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace exile::cli {
namespace {

std::string as_string(const SecureBytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

class Passphrase : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& name, const std::string& content) {
    const auto path = dir_.path() / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  void TearDown() override { unsetenv(kPassphraseVariable); }
  test::TempDir dir_;
};

TEST_F(Passphrase, FileFirstLineOnly) {
  EXPECT_EQ(as_string(*read_passphrase_file(write("a", "correct horse\nsecond line\n"))),
            "correct horse");
  EXPECT_EQ(as_string(*read_passphrase_file(write("b", "windows\r\n"))), "windows");
  EXPECT_EQ(as_string(*read_passphrase_file(write("c", "no newline"))), "no newline");
  EXPECT_EQ(as_string(*read_passphrase_file(write("d", " spaces kept \n"))), " spaces kept ");
  EXPECT_EQ(as_string(*read_passphrase_file(write("e", ""))), "");
}

TEST_F(Passphrase, FileRefusals) {
  auto missing = read_passphrase_file(dir_.path() / "missing");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(missing.error().message.find("missing"), std::string::npos);  // no path in it
  auto longest = read_passphrase_file(write("f", std::string(kMaxPassphraseBytes, 'x') + "\n"));
  ASSERT_TRUE(longest.has_value());
  EXPECT_EQ(longest->size(), kMaxPassphraseBytes);
  auto too_long = read_passphrase_file(write("g", std::string(kMaxPassphraseBytes + 1, 'x')));
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error().message.find('x'), std::string::npos);
}

TEST_F(Passphrase, FileBeforeVariable) {
  setenv(kPassphraseVariable, "from the variable", 1);
  EXPECT_EQ(as_string(*read_passphrase(write("h", "from the file\n"), PassphraseUse::Unlock)),
            "from the file");
  EXPECT_EQ(as_string(*read_passphrase(std::nullopt, PassphraseUse::Unlock)), "from the variable");
  EXPECT_TRUE(passphrase_source_exists(std::nullopt));
}

TEST_F(Passphrase, NewPassphraseMayNotBeEmpty) {
  setenv(kPassphraseVariable, "", 1);
  EXPECT_TRUE(read_passphrase(std::nullopt, PassphraseUse::Unlock).has_value());
  auto created = read_passphrase(std::nullopt, PassphraseUse::Create);
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().code, ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace exile::cli
