#include "cli/daemon_request.h"

#include <gtest/gtest.h>

#include <QJsonArray>

namespace exile::cli {
namespace {

template <class T>
T parsed(const char* line) {
  DaemonRequest request = parse_daemon_request(line);
  EXPECT_TRUE(request.command.has_value())
      << line << ": " << (request.command ? "" : request.command.error().message);
  if (!request.command) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*request.command)) << line;
  if (!std::holds_alternative<T>(*request.command)) return T{};
  return std::get<T>(*request.command);
}

void refused(const char* line, ErrorCode code = ErrorCode::InvalidArgument) {
  DaemonRequest request = parse_daemon_request(line);
  ASSERT_FALSE(request.command.has_value()) << line;
  EXPECT_EQ(request.command.error().code, code) << line;
}

TEST(DaemonRequest, IdIsEchoedAsGiven) {
  EXPECT_EQ(parse_daemon_request(R"({"id": 7, "cmd": "chats"})").id, QJsonValue(7));
  EXPECT_EQ(parse_daemon_request(R"({"id": "x", "cmd": "chats"})").id, QJsonValue("x"));
  EXPECT_EQ(parse_daemon_request(R"({"id": [1, {"a": null}], "cmd": "nope"})").id.toArray().size(),
            2);
  EXPECT_TRUE(parse_daemon_request(R"({"cmd": "chats"})").id.isNull());
  EXPECT_TRUE(parse_daemon_request("not json").id.isNull());
}

TEST(DaemonRequest, EveryCommand) {
  parsed<Invite>(R"({"cmd": "invite"})");
  EXPECT_EQ(parsed<Accept>(R"({"cmd": "accept", "link": "exile://x"})").link, "exile://x");
  parsed<Requests>(R"({"cmd": "requests"})");
  EXPECT_EQ(parsed<AcceptRequest>(R"({"cmd": "accept-request", "request": 4})").request, 4);
  EXPECT_EQ(parsed<DeclineRequest>(R"({"cmd": "decline-request", "request": 5})").request, 5);
  parsed<Chats>(R"({"cmd": "chats"})");
  auto h = parsed<History>(R"({"cmd": "history", "chat": 3, "before": 9, "limit": 2})");
  EXPECT_EQ(h.chat, 3);
  EXPECT_EQ(h.before, 9);
  EXPECT_EQ(h.limit, 2u);
  EXPECT_EQ(parsed<History>(R"({"cmd": "history", "chat": 3, "before": null})").limit,
            kDefaultHistoryLimit);
  auto s = parsed<Send>(R"({"id": 1, "cmd": "send", "chat": 3, "text": "hi \u00e9"})");
  EXPECT_EQ(s.chat, 3);
  EXPECT_EQ(s.text, "hi é");
  auto q = parsed<Search>(R"({"cmd": "search", "query": "w", "chat": 2, "limit": 3})");
  EXPECT_EQ(q.query, "w");
  EXPECT_EQ(q.chat, 2);
  EXPECT_EQ(q.limit, 3u);
  EXPECT_FALSE(parsed<Verify>(R"({"cmd": "verify", "chat": 3})").mark_verified.has_value());
  EXPECT_EQ(parsed<Verify>(R"({"cmd": "verify", "chat": 3, "mark_verified": false})").mark_verified,
            false);
  EXPECT_EQ(parsed<Timer>(R"({"cmd": "timer", "chat": 3, "timer": "1h"})").value, "1h");
  EXPECT_EQ(parsed<Timer>(R"({"cmd": "timer", "chat": 3, "timer": 90})").value, "90");
  EXPECT_EQ(parsed<Timer>(R"({"cmd": "timer", "chat": 3, "timer": null})").value, "off");
  auto d = parsed<Delete>(R"({"cmd": "delete", "chat": 3, "message": 8, "for_both": true})");
  EXPECT_EQ(d.message, 8);
  auto r = parsed<Retry>(R"({"cmd": "retry", "chat": 3, "message": 9})");
  EXPECT_EQ(r.chat, 3);
  EXPECT_EQ(r.message, 9);
  EXPECT_FALSE(parsed<Read>(R"({"cmd": "read", "chat": 3})").up_to.has_value());
  EXPECT_EQ(parsed<Read>(R"({"cmd": "read", "chat": 3, "up_to": 11})").up_to, 11);
  EXPECT_TRUE(parsed<Typing>(R"({"cmd": "typing", "chat": 3, "typing": true})").typing);
  auto y = parsed<Sync>(R"({"cmd": "sync", "timeout_ms": 500, "quiet_ms": 0})");
  EXPECT_EQ(y.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(y.quiet, std::chrono::milliseconds(0));
  auto y2 = parsed<Sync>(R"({"cmd": "sync"})");
  EXPECT_EQ(y2.timeout, kDefaultWait);
  EXPECT_EQ(y2.quiet, kDefaultQuiet);
  parsed<Lock>(R"({"cmd": "lock"})");
  parsed<Quit>(R"({"cmd": "quit"})");
}

TEST(DaemonRequest, Refused) {
  refused("", ErrorCode::InvalidEncoding);
  refused("{", ErrorCode::InvalidEncoding);
  refused("[1]", ErrorCode::InvalidEncoding);
  refused(R"("chats")", ErrorCode::InvalidEncoding);
  refused(R"({"id": 1})");  // no cmd
  refused(R"({"cmd": 5})");
  refused(R"({"cmd": "fly"})");
  refused(R"({"cmd": "init", "name": "a"})");  // command line only
  refused(R"({"cmd": "daemon"})");
  refused(R"({"cmd": "chats", "chat": 1})");                // unknown field
  refused(R"({"cmd": "send", "chat": 3})");                 // no text
  refused(R"({"cmd": "send", "chat": "3", "text": "x"})");  // an id is a number
  refused(R"({"cmd": "send", "chat": 3.5, "text": "x"})");
  refused(R"({"cmd": "send", "chat": 0, "text": "x"})");
  refused(R"({"cmd": "send", "chat": -2, "text": "x"})");
  refused(R"({"cmd": "send", "chat": 3, "text": 5})");
  refused(R"({"cmd": "send", "chat": 3, "text": "x", "txet": "y"})");
  refused(R"({"cmd": "history", "chat": 3, "limit": 0})");
  refused(R"({"cmd": "history", "chat": 3, "limit": 1001})");
  refused(R"({"cmd": "verify", "chat": 3, "mark_verified": 1})");
  refused(R"({"cmd": "timer", "chat": 3, "timer": 0})");
  refused(R"({"cmd": "timer", "chat": 3, "timer": 1.5})");
  refused(R"({"cmd": "timer", "chat": 3, "timer": 4294967296})");
  refused(R"({"cmd": "timer", "chat": 3, "timer": true})");
  refused(R"({"cmd": "timer", "chat": 3})");
  refused(R"({"cmd": "delete", "chat": 3, "message": 8})");  // for_both is required
  refused(R"({"cmd": "retry", "chat": 3})");                 // which message
  refused(R"({"cmd": "delete", "chat": 3, "message": 8, "for_both": false})");
  refused(R"({"cmd": "typing", "chat": 3})");
  refused(R"({"cmd": "sync", "timeout_ms": -1})");
  refused(R"({"cmd": "sync", "quiet_ms": 3600001})");
}

TEST(DaemonRequest, TooLongIsRefusedUnread) {
  std::string line = R"({"cmd": "send", "chat": 3, "text": ")";
  line.append(kMaxRequestBytes, 'a');
  line += R"("})";
  DaemonRequest request =
      parse_daemon_request(QByteArrayView(line.data(), static_cast<qsizetype>(line.size())));
  ASSERT_FALSE(request.command.has_value());
  EXPECT_EQ(request.command.error().code, ErrorCode::InvalidArgument);
}

TEST(DaemonRequest, ErrorsNeverQuoteValues) {
  DaemonRequest request =
      parse_daemon_request(R"({"cmd": "send", "chat": "secret", "text": "secret text"})");
  ASSERT_FALSE(request.command.has_value());
  EXPECT_EQ(request.command.error().message.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace exile::cli
