#include "cli/json_views.h"

#include <gtest/gtest.h>

#include <QJsonArray>
#include <QJsonDocument>

namespace exile::cli {
namespace {

engine::MessageView sample_message() {
  engine::MessageView m;
  m.id = 12;
  m.chat = 3;
  m.kind = engine::MessageKind::Text;
  m.outgoing = true;
  m.text = "héllo \"there\"\n";
  m.state = engine::MessageState::Delivered;
  m.sent_at = from_millis(1'700'000'000'123);
  m.received_at = from_millis(1'700'000'000'456);
  m.timer_seconds = 3600;
  m.expires_at = from_millis(1'700'003'600'456);
  return m;
}

QJsonObject parsed(const QJsonObject& object) {
  const std::string line = to_line(object);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line
  return QJsonDocument::fromJson(QByteArray::fromStdString(line)).object();
}

TEST(JsonViews, Message) {
  const QJsonObject o = parsed(to_json(sample_message()));
  EXPECT_EQ(o.size(), 10);
  EXPECT_EQ(o["id"].toInteger(), 12);
  EXPECT_EQ(o["chat"].toInteger(), 3);
  EXPECT_EQ(o["kind"].toString(), "text");
  EXPECT_EQ(o["outgoing"].toBool(), true);
  EXPECT_EQ(o["text"].toString().toStdString(), "héllo \"there\"\n");
  EXPECT_EQ(o["state"].toString(), "delivered");
  EXPECT_EQ(o["sent_at"].toInteger(), 1'700'000'000'123);
  EXPECT_EQ(o["received_at"].toInteger(), 1'700'000'000'456);
  EXPECT_EQ(o["timer_seconds"].toInteger(), 3600);
  EXPECT_EQ(o["expires_at"].toInteger(), 1'700'003'600'456);

  engine::MessageView plain = sample_message();
  plain.timer_seconds.reset();
  plain.expires_at.reset();
  const QJsonObject p = parsed(to_json(plain));
  EXPECT_TRUE(p["timer_seconds"].isNull());
  EXPECT_TRUE(p["expires_at"].isNull());
}

TEST(JsonViews, LargeIdsStayExact) {
  engine::MessageView m = sample_message();
  m.id = (std::int64_t{1} << 53) + 1;  // not a double
  EXPECT_EQ(parsed(to_json(m))["id"].toInteger(), (std::int64_t{1} << 53) + 1);
}

TEST(JsonViews, EnumNames) {
  EXPECT_EQ(to_string(engine::ChatState::Requested), "requested");
  EXPECT_EQ(to_string(engine::ChatState::Pending), "pending");
  EXPECT_EQ(to_string(engine::ChatState::Active), "active");
  EXPECT_EQ(to_string(engine::MessageState::Queued), "queued");
  EXPECT_EQ(to_string(engine::MessageState::Sent), "sent");
  EXPECT_EQ(to_string(engine::MessageState::Delivered), "delivered");
  EXPECT_EQ(to_string(engine::MessageState::Read), "read");
  EXPECT_EQ(to_string(engine::MessageState::Failed), "failed");
  EXPECT_EQ(to_string(engine::MessageState::Received), "received");
  EXPECT_EQ(to_string(engine::MessageKind::Text), "text");
  EXPECT_EQ(to_string(engine::MessageKind::TimerChanged), "timer_changed");
  EXPECT_EQ(to_string(engine::MessageKind::Undecryptable), "undecryptable");
}

TEST(JsonViews, ChatSummary) {
  engine::ChatSummary chat;
  chat.id = 3;
  chat.state = engine::ChatState::Pending;
  chat.contact_name = "Bob";
  chat.verified = true;
  chat.timer_seconds = 60;
  chat.unread = 4;
  chat.created_at = from_millis(1'600'000'000'000);
  QJsonObject o = parsed(to_json(chat));
  EXPECT_EQ(o.size(), 8);
  EXPECT_EQ(o["id"].toInteger(), 3);
  EXPECT_EQ(o["state"].toString(), "pending");
  EXPECT_EQ(o["contact_name"].toString(), "Bob");
  EXPECT_TRUE(o["verified"].toBool());
  EXPECT_EQ(o["timer_seconds"].toInteger(), 60);
  EXPECT_TRUE(o["last_message"].isNull());
  EXPECT_EQ(o["unread"].toInteger(), 4);
  EXPECT_EQ(o["created_at"].toInteger(), 1'600'000'000'000);
  chat.last_message = sample_message();
  o = parsed(to_json(chat));
  EXPECT_EQ(o["last_message"].toObject()["id"].toInteger(), 12);
}

TEST(JsonViews, RequestVerificationInvitation) {
  engine::ContactRequest request{5, "Carol", "12345 67890", from_millis(42)};
  QJsonObject o = parsed(to_json(request));
  EXPECT_EQ(o.size(), 4);
  EXPECT_EQ(o["id"].toInteger(), 5);
  EXPECT_EQ(o["display_name"].toString(), "Carol");
  EXPECT_EQ(o["safety_number"].toString(), "12345 67890");
  EXPECT_EQ(o["received_at"].toInteger(), 42);

  engine::Verification v;
  v.safety_number = "1";
  v.key_image = {0, 1, 2, 3};
  v.qr_payload = {0x00, 0xab, 0xff};
  v.verified = false;
  o = parsed(to_json(v));
  EXPECT_EQ(o.size(), 4);
  EXPECT_EQ(o["key_image"].toArray(), QJsonArray({0, 1, 2, 3}));
  EXPECT_EQ(o["qr_payload"].toString(), "00abff");
  EXPECT_FALSE(o["verified"].toBool());

  o = parsed(to_json(engine::InvitationView{"exile://invite/v1/abc", "██\n"}));
  EXPECT_EQ(o.size(), 2);
  EXPECT_EQ(o["link"].toString(), "exile://invite/v1/abc");
  EXPECT_EQ(o["qr_text"].toString().toStdString(), "██\n");
}

TEST(JsonViews, Errors) {
  Error error(ErrorCode::ChatNotReady, "the chat waits for the contact's answer");
  QJsonObject o = parsed(to_json(error));
  EXPECT_EQ(o.size(), 3);
  EXPECT_EQ(o["code"].toInt(), 504);
  EXPECT_EQ(o["name"].toString().toStdString(), "ChatNotReady");
  EXPECT_EQ(o["message"].toString(), "the chat waits for the contact's answer");
  error.retry_after = std::chrono::milliseconds(1500);
  EXPECT_EQ(parsed(to_json(error))["retry_after_ms"].toInteger(), 1500);
}

TEST(JsonViews, EveryEvent) {
  auto event = [](engine::Event e) { return parsed(to_json(e)); };
  QJsonObject o = event(engine::MessageAdded{3, 12});
  EXPECT_EQ(o, QJsonObject({{"event", "message_added"}, {"chat", 3}, {"message", 12}}));
  EXPECT_EQ(event(engine::MessageChanged{3, 13}),
            QJsonObject({{"event", "message_changed"}, {"chat", 3}, {"message", 13}}));
  EXPECT_EQ(event(engine::MessageDeleted{4, 14}),
            QJsonObject({{"event", "message_deleted"}, {"chat", 4}, {"message", 14}}));
  EXPECT_EQ(event(engine::ChatChanged{5}), QJsonObject({{"event", "chat_changed"}, {"chat", 5}}));
  EXPECT_EQ(event(engine::ContactRequestReceived{6}),
            QJsonObject({{"event", "contact_request_received"}, {"request", 6}}));
  EXPECT_EQ(event(engine::TypingChanged{7, true}),
            QJsonObject({{"event", "typing_changed"}, {"chat", 7}, {"typing", true}}));
  EXPECT_EQ(event(engine::RelayStatus{1, 2}),
            QJsonObject({{"event", "relay_status"}, {"connected", 1}, {"relays", 2}}));
  EXPECT_EQ(event(engine::AddressReady{}), QJsonObject({{"event", "address_ready"}}));
  o = event(engine::EngineError{Error(ErrorCode::RelayTlsFailed, "tls")});
  EXPECT_EQ(o["event"].toString(), "engine_error");
  EXPECT_EQ(o["error"].toObject()["code"].toInt(), 459);
}

TEST(JsonViews, Answers) {
  QJsonObject o = parsed(ok_answer(QJsonValue("a"), QJsonValue(7)));
  EXPECT_EQ(o, QJsonObject({{"id", "a"}, {"ok", true}, {"result", 7}}));
  o = parsed(ok_answer(std::nullopt, QJsonValue(), std::string("queued; will be sent next time")));
  EXPECT_EQ(
      o, QJsonObject(
             {{"ok", true}, {"result", QJsonValue()}, {"note", "queued; will be sent next time"}}));
  o = parsed(
      error_answer(QJsonValue(QJsonObject{{"n", 1}}), Error(ErrorCode::NotFound, "no chat")));
  EXPECT_EQ(o["id"].toObject()["n"].toInt(), 1);
  EXPECT_FALSE(o["ok"].toBool());
  EXPECT_EQ(o["error"].toObject()["code"].toInt(), 305);
  EXPECT_FALSE(o.contains("result"));
}

}  // namespace
}  // namespace exile::cli
