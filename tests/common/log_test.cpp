// Logging (common/log.h): the sink sees every enabled line with its level and category, the
// level filter drops the rest before formatting, and a null sink restores stderr.
#include "common/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace exile::log {
namespace {

struct Line {
  Level level;
  std::string category;
  std::string text;
};

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_level(Level::Debug);
    set_sink([this](Level level, std::string_view category, std::string_view line) {
      lines_.push_back({level, std::string(category), std::string(line)});
    });
  }
  void TearDown() override {
    set_sink(nullptr);
    set_level(Level::Info);
  }
  std::vector<Line> lines_;
};

// Counts how often it was streamed: proves that a filtered line is never formatted.
struct StreamCounter {
  int* count;
};
std::ostream& operator<<(std::ostream& os, const StreamCounter& counter) {
  ++*counter.count;
  return os << "counted";
}

TEST_F(LogTest, SinkReceivesLevelCategoryAndLine) {
  write_line(Level::Warn, "net", "disconnected");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].level, Level::Warn);
  EXPECT_EQ(lines_[0].category, "net");
  EXPECT_EQ(lines_[0].text, "disconnected");
}

TEST_F(LogTest, EmitStreamsEveryArgument) {
  write(Level::Info, "store", "opened ", 3, " tables in ", 1.5, "s");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].text, "opened 3 tables in 1.5s");
  EXPECT_EQ(lines_[0].category, "store");
}

TEST_F(LogTest, LevelFilterDropsLowerLevels) {
  set_level(Level::Warn);
  EXPECT_FALSE(enabled(Level::Debug));
  EXPECT_FALSE(enabled(Level::Info));
  EXPECT_TRUE(enabled(Level::Warn));
  EXPECT_TRUE(enabled(Level::Error));
  write(Level::Debug, "c", "debug");
  write(Level::Info, "c", "info");
  write(Level::Warn, "c", "warn");
  write(Level::Info, "c", "info2");
  write(Level::Error, "c", "error");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[0].text, "warn");
  EXPECT_EQ(lines_[1].text, "error");
  EXPECT_EQ(lines_[1].level, Level::Error);
}

TEST_F(LogTest, FilteredEmitDoesNotFormat) {
  int count = 0;
  set_level(Level::Error);
  write(Level::Info, "c", StreamCounter{&count});
  EXPECT_EQ(count, 0);
  write(Level::Error, "c", StreamCounter{&count});
  EXPECT_EQ(count, 1);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].text, "counted");
}

TEST_F(LogTest, DebugPassesWhenEnabled) {
  write(Level::Debug, "ratchet", "step");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].level, Level::Debug);
}

TEST_F(LogTest, ReplacingTheSinkRedirects) {
  std::vector<std::string> other;
  set_sink([&other](Level, std::string_view, std::string_view line) { other.emplace_back(line); });
  write(Level::Info, "c", "to the new sink");
  EXPECT_TRUE(lines_.empty());
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0], "to the new sink");
}

TEST_F(LogTest, NullSinkRestoresStderr) {
  set_sink(nullptr);
  ::testing::internal::CaptureStderr();
  write(Level::Warn, "relay", "queue full");
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(lines_.empty());
  EXPECT_EQ(err, "[warn] relay: queue full\n");
}

}  // namespace
}  // namespace exile::log
