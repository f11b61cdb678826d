#include "cli/text_views.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <QJsonArray>
#include <QJsonObject>

#include "cli/json_views.h"

namespace exile::cli {
namespace {

class TextViews : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

std::vector<std::uint8_t> image(std::uint8_t fill) { return std::vector<std::uint8_t>(144, fill); }

TEST_F(TextViews, SafetyNumberInTwelveGroupsFourToALine) {
  std::string digits;
  for (int i = 0; i < 60; ++i) digits += static_cast<char>('0' + i % 10);
  const std::string expected =
      "01234 56789 01234 56789\n01234 56789 01234 56789\n01234 56789 01234 56789\n";
  EXPECT_EQ(format_safety_number(digits), expected);
  std::string spaced;
  for (int g = 0; g < 12; ++g) spaced += digits.substr(static_cast<std::size_t>(g) * 5, 5) + " ";
  EXPECT_EQ(format_safety_number(spaced), expected);
  EXPECT_EQ(format_safety_number("123"), "123\n");
}

TEST_F(TextViews, KeyImageIsTwelveRowsOfTwelveDoubleCells) {
  std::vector<std::uint8_t> cells = image(0);
  cells[0] = 3;
  cells[11] = 1;
  cells[143] = 2;
  const std::string text = format_key_image(cells);
  std::vector<std::string> rows;
  std::size_t start = 0;
  for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    rows.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  ASSERT_EQ(rows.size(), 12u);
  const std::string light = "░";
  for (const auto& row : rows) EXPECT_EQ(row.size(), 24 * light.size());  // 3 bytes each
  EXPECT_EQ(rows[0].substr(0, 6), "██");
  EXPECT_EQ(rows[0].substr(6, 6), "░░");
  EXPECT_EQ(rows[0].substr(66, 6), "▒▒");
  EXPECT_EQ(rows[11].substr(66, 6), "▓▓");
  std::string all_light;
  for (int i = 0; i < 24; ++i) all_light += light;
  EXPECT_EQ(rows[5], all_light);
  EXPECT_EQ(format_key_image(image(4)), "(no key image)\n");
  EXPECT_EQ(format_key_image(std::vector<std::uint8_t>(143, 0)), "(no key image)\n");
}

TEST_F(TextViews, MessagesAndTime) {
  EXPECT_EQ(format_time(0), "1970-01-01 00:00");
  engine::MessageView m;
  m.id = 12;
  m.outgoing = true;
  m.text = "hello";
  m.state = engine::MessageState::Delivered;
  m.sent_at = from_millis(86'400'000 + 3'600'000 + 120'000);
  EXPECT_EQ(format_message(to_json(m)), "#12 1970-01-02 01:02 me: hello (delivered)");
  m.outgoing = false;
  m.state = engine::MessageState::Received;
  m.expires_at = from_millis(2 * 86'400'000);
  EXPECT_EQ(format_message(to_json(m)),
            "#12 1970-01-02 01:02 them: hello [disappears 1970-01-03 00:00]");
  m.expires_at.reset();
  m.kind = engine::MessageKind::TimerChanged;
  m.timer_seconds = 3600;
  EXPECT_EQ(format_message(to_json(m)), "#12 1970-01-02 01:02 them: [set the timer to 1 hour]");
  m.kind = engine::MessageKind::Undecryptable;
  EXPECT_EQ(format_message(to_json(m)),
            "#12 1970-01-02 01:02 them: [a message that could not be decrypted]");
}

TEST_F(TextViews, CommandResults) {
  EXPECT_EQ(render_text(Send{3, "x"}, QJsonObject{{"message", 12}}, false), "Message 12 sent.\n");
  EXPECT_EQ(render_text(Send{3, "x"}, QJsonObject{{"message", 12}}, true), "Message 12 saved.\n");
  EXPECT_EQ(render_text(Chats{}, QJsonArray{}, false), "No chats.\n");
  EXPECT_EQ(render_text(History{}, QJsonArray{}, false), "No messages.\n");
  EXPECT_EQ(render_text(Requests{}, QJsonArray{}, false), "No contact requests.\n");
  EXPECT_EQ(render_text(Timer{3, "1h"}, QJsonObject{{"timer_seconds", 3600}}, false),
            "Timer of chat 3: 1 hour.\n");
  EXPECT_EQ(render_text(Timer{3, "off"}, QJsonObject{{"timer_seconds", QJsonValue()}}, false),
            "Timer of chat 3: off.\n");
  EXPECT_EQ(render_text(Read{3, {}}, QJsonObject{{"up_to", 9}}, false), "Read up to message 9.\n");
  EXPECT_EQ(render_text(Read{3, {}}, QJsonObject{{"up_to", QJsonValue()}}, false),
            "No messages to mark read.\n");
  EXPECT_EQ(render_text(Invite{}, QJsonObject{{"link", "exile://l"}, {"qr_text", "QR\n"}}, false),
            "exile://l\n\nQR\n");

  engine::ChatSummary chat;
  chat.id = 3;
  chat.contact_name = "Bob";
  chat.verified = true;
  chat.timer_seconds = 86400;
  chat.unread = 2;
  QJsonArray chats{to_json(chat)};
  EXPECT_EQ(render_text(Chats{}, chats, false),
            "3  Bob  active, verified, timer 1 day, 2 unread\n");

  engine::Verification v;
  for (int i = 0; i < 60; ++i) v.safety_number += '7';
  v.key_image = image(0);
  const std::string text = render_text(Verify{3, {}}, to_json(v), false);
  EXPECT_NE(text.find("77777 77777 77777 77777\n"), std::string::npos);
  EXPECT_NE(text.find("exile-cli verify 3 --mark-verified"), std::string::npos);
  EXPECT_NE(text.find("░░"), std::string::npos);
}

}  // namespace
}  // namespace exile::cli
