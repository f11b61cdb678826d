#include "cli/arguments.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace exile::cli {
namespace {

Result<Invocation> parse(std::vector<std::string> args) { return parse_arguments(args); }

template <class T>
T command_of(std::vector<std::string> args) {
  auto invocation = parse(std::move(args));
  EXPECT_TRUE(invocation.has_value()) << (invocation ? "" : invocation.error().message);
  if (!invocation) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(invocation->command));
  return std::get<T>(invocation->command);
}

void expect_usage_error(std::vector<std::string> args) {
  auto invocation = parse(args);
  std::string joined;
  for (const auto& a : args) joined += a + " ";
  ASSERT_FALSE(invocation.has_value()) << joined;
  EXPECT_EQ(invocation.error().code, ErrorCode::InvalidArgument) << joined;
}

TEST(Arguments, GlobalOptionsBeforeAndAfterTheCommand) {
  auto invocation = parse(
      {"--profile", "/tmp/p", "chats", "--json", "--wait=250", "--passphrase-file", "/tmp/pw"});
  ASSERT_TRUE(invocation.has_value()) << invocation.error().message;
  EXPECT_EQ(invocation->action, Action::Run);
  EXPECT_EQ(invocation->options.profile, std::filesystem::path("/tmp/p"));
  EXPECT_EQ(invocation->options.passphrase_file, std::filesystem::path("/tmp/pw"));
  EXPECT_TRUE(invocation->options.json);
  EXPECT_EQ(invocation->options.wait, std::chrono::milliseconds(250));
  EXPECT_TRUE(std::holds_alternative<Chats>(invocation->command));
}

TEST(Arguments, Defaults) {
  auto invocation = parse({"chats"});
  ASSERT_TRUE(invocation.has_value());
  EXPECT_FALSE(invocation->options.profile.has_value());
  EXPECT_FALSE(invocation->options.passphrase_file.has_value());
  EXPECT_FALSE(invocation->options.json);
  EXPECT_EQ(invocation->options.wait, std::chrono::milliseconds(10'000));
}

TEST(Arguments, HelpAndVersionNeedNoCommand) {
  EXPECT_EQ(parse({"--help"})->action, Action::Help);
  EXPECT_EQ(parse({"-h"})->action, Action::Help);
  EXPECT_EQ(parse({"send", "--help"})->action, Action::Help);
  EXPECT_EQ(parse({"--version"})->action, Action::Version);
  EXPECT_NE(usage_text().find("Exit codes"), std::string_view::npos);
}

TEST(Arguments, EveryCommand) {
  auto init = command_of<Init>({"init", "--name", "Alice", "--relay", "wss://r.example"});
  EXPECT_EQ(init.name, "Alice");
  EXPECT_EQ(init.relay, "wss://r.example");
  command_of<Invite>({"invite"});
  EXPECT_EQ(command_of<Accept>({"accept", "exile://invite/v1/x"}).link, "exile://invite/v1/x");
  command_of<Requests>({"requests"});
  EXPECT_EQ(command_of<AcceptRequest>({"accept-request", "7"}).request, 7);
  EXPECT_EQ(command_of<DeclineRequest>({"decline-request", "8"}).request, 8);
  command_of<Chats>({"chats"});
  auto history = command_of<History>({"history", "3", "--before", "40", "--limit", "10"});
  EXPECT_EQ(history.chat, 3);
  EXPECT_EQ(history.before, 40);
  EXPECT_EQ(history.limit, 10u);
  auto plain_history = command_of<History>({"history", "3"});
  EXPECT_FALSE(plain_history.before.has_value());
  EXPECT_EQ(plain_history.limit, kDefaultHistoryLimit);
  auto send = command_of<Send>({"send", "3", "hello there"});
  EXPECT_EQ(send.chat, 3);
  EXPECT_EQ(send.text, "hello there");
  auto search = command_of<Search>({"search", "word", "--chat", "4", "--limit", "5"});
  EXPECT_EQ(search.query, "word");
  EXPECT_EQ(search.chat, 4);
  EXPECT_EQ(search.limit, 5u);
  EXPECT_EQ(command_of<Search>({"search", "w"}).limit, kDefaultSearchLimit);
  EXPECT_FALSE(command_of<Verify>({"verify", "3"}).mark_verified.has_value());
  EXPECT_EQ(command_of<Verify>({"verify", "3", "--mark-verified"}).mark_verified, true);
  EXPECT_EQ(command_of<Verify>({"verify", "3", "--unmark-verified"}).mark_verified, false);
  EXPECT_EQ(command_of<Timer>({"timer", "3", "1h"}).value, "1h");
  auto del = command_of<Delete>({"delete", "3", "12", "--for-both"});
  EXPECT_EQ(del.chat, 3);
  EXPECT_EQ(del.message, 12);
  auto retry = command_of<Retry>({"retry", "3", "14"});
  EXPECT_EQ(retry.chat, 3);
  EXPECT_EQ(retry.message, 14);
  EXPECT_FALSE(command_of<Read>({"read", "3"}).up_to.has_value());
  EXPECT_EQ(command_of<Read>({"read", "3", "9"}).up_to, 9);
  EXPECT_TRUE(command_of<Typing>({"typing", "3", "on"}).typing);
  EXPECT_FALSE(command_of<Typing>({"typing", "3", "off"}).typing);
  command_of<Daemon>({"daemon"});
}

TEST(Arguments, TextAfterDoubleDashMayStartWithADash) {
  EXPECT_EQ(command_of<Send>({"send", "3", "--", "--not an option"}).text, "--not an option");
  EXPECT_EQ(command_of<Send>({"send", "3", "-"}).text, "-");
}

TEST(Arguments, UsageErrors) {
  expect_usage_error({});
  expect_usage_error({"fly"});
  expect_usage_error({"chats", "--bogus"});
  expect_usage_error({"chats", "-x"});
  expect_usage_error({"chats", "extra"});
  expect_usage_error({"init", "--name", "A"});         // no relay
  expect_usage_error({"init", "--relay", "wss://r"});  // no name
  expect_usage_error({"send", "3"});                   // no text
  expect_usage_error({"send", "3", "two", "words"});   // unquoted text
  expect_usage_error({"send", "x", "hi"});             // not an id
  expect_usage_error({"send", "0", "hi"});             // ids start at 1
  expect_usage_error({"send", "+3", "hi"});
  expect_usage_error({"send", "9223372036854775808", "hi"});  // above 2^63 - 1
  expect_usage_error({"send", "3", "hi", "--limit", "3"});    // not an option of send
  expect_usage_error({"history", "3", "--limit", "0"});
  expect_usage_error({"history", "3", "--limit", "1001"});
  expect_usage_error({"history", "3", "--limit", "1", "--limit", "2"});
  expect_usage_error({"history", "3", "--before", "-1"});
  expect_usage_error({"verify", "3", "--mark-verified", "--unmark-verified"});
  expect_usage_error({"delete", "3", "12"});                    // --for-both is required
  expect_usage_error({"retry", "3"});                           // which message
  expect_usage_error({"retry", "3", "0"});                      // ids start at 1
  expect_usage_error({"delete", "3", "12", "--for-both=yes"});  // a flag takes no value
  expect_usage_error({"typing", "3", "maybe"});
  expect_usage_error({"chats", "--wait"});  // a value is needed
  expect_usage_error({"chats", "--wait", "soon"});
  expect_usage_error({"chats", "--wait", "3600001"});
  expect_usage_error({"chats", "--profile", ""});
}

TEST(Arguments, LargestId) {
  EXPECT_EQ(parse_id("9223372036854775807"), 9223372036854775807);
  EXPECT_FALSE(parse_id("").has_value());
  EXPECT_FALSE(parse_id("1 ").has_value());
  EXPECT_FALSE(parse_id("99999999999999999999999").has_value());
}

TEST(Arguments, ErrorMessagesNeverHoldTheValues) {
  auto invocation = parse({"send", "secret-chat-id", "secret text"});
  ASSERT_FALSE(invocation.has_value());
  EXPECT_EQ(invocation.error().message.find("secret"), std::string::npos);
  invocation = parse({"history", "3", "--limit", "secret"});
  ASSERT_FALSE(invocation.has_value());
  EXPECT_EQ(invocation.error().message.find("secret"), std::string::npos);
}

TEST(Timer, Units) {
  EXPECT_EQ(parse_timer("off").value(), std::nullopt);
  EXPECT_EQ(parse_timer("90").value(), 90u);
  EXPECT_EQ(parse_timer("5s").value(), 5u);
  EXPECT_EQ(parse_timer("1m").value(), 60u);
  EXPECT_EQ(parse_timer("1h").value(), 3600u);
  EXPECT_EQ(parse_timer("1d").value(), 86400u);
  EXPECT_EQ(parse_timer("1w").value(), 604800u);
  EXPECT_EQ(parse_timer("2w").value(), 1209600u);
  EXPECT_EQ(parse_timer("4294967295").value(), 4294967295u);
  EXPECT_EQ(parse_timer("7101w").value(), 7101u * 604800u);  // the largest that fits
}

TEST(Timer, Refused) {
  for (const char* bad : {"", "0", "0s", "s", "1x", "1hh", "-1", "+5", " 5", "5 ", "1.5h", "OFF",
                          "4294967296", "7102w", "49711d", "1193047h", "71582789m"}) {
    auto timer = parse_timer(bad);
    ASSERT_FALSE(timer.has_value()) << bad;
    EXPECT_EQ(timer.error().code, ErrorCode::InvalidArgument);
  }
}

TEST(Timer, Described) {
  EXPECT_EQ(describe_timer(std::nullopt), "off");
  EXPECT_EQ(describe_timer(5), "5 seconds");
  EXPECT_EQ(describe_timer(60), "1 minute");
  EXPECT_EQ(describe_timer(90), "90 seconds");
  EXPECT_EQ(describe_timer(7200), "2 hours");
  EXPECT_EQ(describe_timer(86400), "1 day");
  EXPECT_EQ(describe_timer(604800), "1 week");
}

}  // namespace
}  // namespace exile::cli
