// Error codes: every code has a readable text and its enumerator's name, and the names are
// unique (scripts read them from exile-cli's JSON, docs/cli.md).
#include "common/error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace exile {
namespace {

TEST(ErrorTest, EveryCodeHasADistinctNameAndAText) {
  std::set<std::string> names;
  int codes = 0;
  for (int value = 0; value < 1000; ++value) {
    const auto code = static_cast<ErrorCode>(value);
    const auto name = name_of(code);
    if (name == "Unknown") continue;  // not a code
    ++codes;
    EXPECT_TRUE(names.insert(std::string(name)).second) << name;
    EXPECT_FALSE(to_string(code).empty()) << name;
  }
  EXPECT_EQ(codes, 60);
  EXPECT_EQ(name_of(ErrorCode::ChatNotReady), "ChatNotReady");
  EXPECT_EQ(name_of(ErrorCode::RelayTlsFailed), "RelayTlsFailed");
  EXPECT_EQ(name_of(ErrorCode::InvalidArgument), "InvalidArgument");
}

}  // namespace
}  // namespace exile
