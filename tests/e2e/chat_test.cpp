// End to end, with real processes: two exile-relay processes and exile-cli daemons on their
// own profiles, driven through the daemon's JSON pipes (docs/cli.md "Daemon").
//  - an invitation accepted across two home relays, chat both ways, equal safety numbers, the
//    verified mark;
//  - receipts (delivered, read), delete for both, self-destruct timers on both sides in real
//    time;
//  - bad links and bad requests: a clear error, the daemon keeps working, nothing changed.
#include <gtest/gtest.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "e2e/support/world.h"
#include "engine/invitation.h"

namespace exile::test {
namespace {

using namespace std::chrono_literals;

qint64 q(std::int64_t v) { return static_cast<qint64>(v); }

// The message of `chat` whose text is `text`, if the daemon has it.
std::optional<QJsonObject> find_text(DaemonProcess& daemon, std::int64_t chat,
                                     const std::string& text) {
  for (const auto& m : all_messages(daemon, chat)) {
    if (m.value("text").toString().toStdString() == text) return m;
  }
  return std::nullopt;
}

std::int64_t send_text(DaemonProcess& daemon, std::int64_t chat, const std::string& text) {
  const auto result =
      call(daemon,
           QJsonObject{{"cmd", "send"}, {"chat", q(chat)}, {"text", QString::fromStdString(text)}});
  return result ? result->toObject().value("message").toInteger() : 0;
}

TEST(E2eChat, InvitationAcrossRelaysChatBothWaysSafetyNumbersAndVerifiedMark) {
  World world;
  ASSERT_TRUE(world.ok());
  Person* alice = world.add_person("alice", world.relay_a());
  ASSERT_NE(alice, nullptr);
  Person* bob = world.add_person("bob", world.relay_b());
  ASSERT_NE(bob, nullptr);

  // Alice invites; Bob (home relay B) accepts her link (home relay A); she accepts his request.
  const auto pair = start_chat(*alice, *bob);
  ASSERT_NE(pair.inviter_chat, 0);
  const auto a_chat = pair.inviter_chat;
  const auto b_chat = pair.accepter_chat;

  const auto a_summary = chat_summary(alice->d(), a_chat);
  const auto b_summary = chat_summary(bob->d(), b_chat);
  ASSERT_TRUE(a_summary && b_summary);
  EXPECT_EQ(a_summary->value("state"), "active");
  EXPECT_EQ(a_summary->value("contact_name"), "bob");
  EXPECT_EQ(b_summary->value("contact_name"), "alice");
  EXPECT_FALSE(a_summary->value("verified").toBool());

  // Chat both ways.
  ASSERT_NE(send_text(alice->d(), a_chat, "hello bob, from relay A"), 0);
  ASSERT_NE(send_text(bob->d(), b_chat, "hello alice, from relay B"), 0);
  ASSERT_NE(send_text(alice->d(), a_chat, "how are you?"), 0);
  ASSERT_TRUE(wait_until(
      [&] {
        return texts(all_messages(bob->d(), b_chat), false) ==
               std::vector<std::string>{"hello bob, from relay A", "how are you?"};
      },
      30s))
      << bob->d().recent_output();
  ASSERT_TRUE(wait_until(
      [&] {
        return texts(all_messages(alice->d(), a_chat), false) ==
               std::vector<std::string>{"hello alice, from relay B"};
      },
      30s))
      << alice->d().recent_output();
  // Delivery receipts come back: Alice's messages end Delivered.
  EXPECT_TRUE(wait_until(
      [&] {
        for (const auto& m : all_messages(alice->d(), a_chat)) {
          if (m.value("outgoing").toBool() && m.value("state") != "delivered") return false;
        }
        return true;
      },
      30s));

  // The same safety number and key image on both sides, and the one Alice saw in the request.
  const auto a_verify = call(alice->d(), QJsonObject{{"cmd", "verify"}, {"chat", q(a_chat)}});
  const auto b_verify = call(bob->d(), QJsonObject{{"cmd", "verify"}, {"chat", q(b_chat)}});
  ASSERT_TRUE(a_verify && b_verify);
  const auto a_number = a_verify->toObject().value("safety_number").toString().toStdString();
  EXPECT_EQ(a_number.size(), 12u * 5u + 11u);  // 12 groups of 5 digits, with separators
  EXPECT_EQ(a_number, b_verify->toObject().value("safety_number").toString().toStdString());
  EXPECT_EQ(a_number, pair.request_safety_number);
  EXPECT_EQ(a_verify->toObject().value("key_image"), b_verify->toObject().value("key_image"));
  EXPECT_EQ(a_verify->toObject().value("key_image").toArray().size(), 144);
  EXPECT_FALSE(a_verify->toObject().value("verified").toBool());

  // The verified mark: set on Alice's side only, then cleared.
  const auto marked = call(
      alice->d(), QJsonObject{{"cmd", "verify"}, {"chat", q(a_chat)}, {"mark_verified", true}});
  ASSERT_TRUE(marked);
  EXPECT_TRUE(marked->toObject().value("verified").toBool());
  EXPECT_TRUE(chat_summary(alice->d(), a_chat)->value("verified").toBool());
  EXPECT_FALSE(chat_summary(bob->d(), b_chat)->value("verified").toBool());
  const auto unmarked = call(
      alice->d(), QJsonObject{{"cmd", "verify"}, {"chat", q(a_chat)}, {"mark_verified", false}});
  ASSERT_TRUE(unmarked);
  EXPECT_FALSE(unmarked->toObject().value("verified").toBool());

  EXPECT_EQ(alice->d().quit(), 0);
  EXPECT_EQ(bob->d().quit(), 0);
}

TEST(E2eChat, ReadReceiptsDeleteForBothAndTimersOnBothSides) {
  World world;
  ASSERT_TRUE(world.ok());
  Person* alice = world.add_person("alice", world.relay_a());
  ASSERT_NE(alice, nullptr);
  Person* bob = world.add_person("bob", world.relay_b());
  ASSERT_NE(bob, nullptr);
  const auto pair = start_chat(*alice, *bob);
  ASSERT_NE(pair.inviter_chat, 0);
  const auto a_chat = pair.inviter_chat;
  const auto b_chat = pair.accepter_chat;

  // Read receipts: Bob reads, Alice's message becomes Read.
  const auto first = send_text(alice->d(), a_chat, "please read this");
  ASSERT_NE(first, 0);
  ASSERT_TRUE(
      wait_until([&] { return find_text(bob->d(), b_chat, "please read this").has_value(); }, 30s));
  EXPECT_EQ(find_text(bob->d(), b_chat, "please read this")->value("state"), "received");
  EXPECT_EQ(chat_summary(bob->d(), b_chat)->value("unread").toInteger(), 1);
  const auto read = call(bob->d(), QJsonObject{{"cmd", "read"}, {"chat", q(b_chat)}});
  ASSERT_TRUE(read);
  EXPECT_NE(read->toObject().value("up_to").toInteger(), 0);
  EXPECT_EQ(find_text(bob->d(), b_chat, "please read this")->value("state"), "read");
  EXPECT_EQ(chat_summary(bob->d(), b_chat)->value("unread").toInteger(), 0);
  ASSERT_TRUE(wait_until(
      [&] {
        const auto m = find_text(alice->d(), a_chat, "please read this");
        return m && m->value("state") == "read";
      },
      30s))
      << alice->d().recent_output();

  // Delete for both.
  const auto doomed = send_text(alice->d(), a_chat, "delete me for both");
  ASSERT_NE(doomed, 0);
  ASSERT_TRUE(wait_until(
      [&] { return find_text(bob->d(), b_chat, "delete me for both").has_value(); }, 30s));
  bob->d().clear_events();
  ASSERT_TRUE(call(
      alice->d(),
      QJsonObject{
          {"cmd", "delete"}, {"chat", q(a_chat)}, {"message", q(doomed)}, {"for_both", true}}));
  EXPECT_FALSE(find_text(alice->d(), a_chat, "delete me for both").has_value());
  EXPECT_TRUE(bob->d().wait_event(
      [](const QJsonObject& e) { return e.value("event") == "message_deleted"; }, 30s));
  EXPECT_TRUE(wait_until(
      [&] { return !find_text(bob->d(), b_chat, "delete me for both").has_value(); }, 30s));
  EXPECT_TRUE(find_text(bob->d(), b_chat, "please read this").has_value());
  const auto search = call(bob->d(), QJsonObject{{"cmd", "search"}, {"query", "delete"}});
  ASSERT_TRUE(search);
  EXPECT_TRUE(search->toArray().isEmpty());

  // A 5-second timer, set by Alice, reaches Bob as a notice.
  const auto timer =
      call(alice->d(), QJsonObject{{"cmd", "timer"}, {"chat", q(a_chat)}, {"timer", 5}});
  ASSERT_TRUE(timer);
  EXPECT_EQ(timer->toObject().value("timer_seconds").toInteger(), 5);
  ASSERT_TRUE(wait_until(
      [&] {
        const auto chat = chat_summary(bob->d(), b_chat);
        return chat && chat->value("timer_seconds").toInteger() == 5;
      },
      30s));
  auto notices = [](const std::vector<QJsonObject>& messages) {
    int n = 0;
    for (const auto& m : messages) n += m.value("kind") == "timer_changed" ? 1 : 0;
    return n;
  };
  EXPECT_EQ(notices(all_messages(alice->d(), a_chat)), 1);
  EXPECT_EQ(notices(all_messages(bob->d(), b_chat)), 1);

  // A message under the timer: its countdown starts when Bob reads it (his side) and when his
  // read receipt arrives (Alice's side).
  ASSERT_NE(send_text(alice->d(), a_chat, "self-destructing"), 0);
  ASSERT_TRUE(
      wait_until([&] { return find_text(bob->d(), b_chat, "self-destructing").has_value(); }, 30s));
  const auto received = find_text(bob->d(), b_chat, "self-destructing");
  EXPECT_EQ(received->value("timer_seconds").toInteger(), 5);
  EXPECT_TRUE(received->value("expires_at").isNull());
  alice->d().clear_events();
  bob->d().clear_events();
  const auto read_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(call(bob->d(), QJsonObject{{"cmd", "read"}, {"chat", q(b_chat)}}));
  const auto counting = find_text(bob->d(), b_chat, "self-destructing");
  ASSERT_TRUE(counting);
  EXPECT_FALSE(counting->value("expires_at").isNull());
  ASSERT_TRUE(wait_until(
      [&] {
        const auto m = find_text(alice->d(), a_chat, "self-destructing");
        return m && m->value("state") == "read" && !m->value("expires_at").isNull();
      },
      4s))
      << alice->d().recent_output();
  // Still there before its time.
  EXPECT_TRUE(find_text(bob->d(), b_chat, "self-destructing").has_value());
  std::this_thread::sleep_for(6s - (std::chrono::steady_clock::now() - read_at));
  // About six seconds of real time later, gone on both sides (a little slack for the receipt).
  EXPECT_TRUE(wait_until(
      [&] {
        return !find_text(bob->d(), b_chat, "self-destructing") &&
               !find_text(alice->d(), a_chat, "self-destructing");
      },
      2s))
      << "bob:\n"
      << bob->d().recent_output() << "alice:\n"
      << alice->d().recent_output();
  EXPECT_GE(bob->d().count_events(
                [](const QJsonObject& e) { return e.value("event") == "message_deleted"; }),
            1u);
  EXPECT_GE(alice->d().count_events(
                [](const QJsonObject& e) { return e.value("event") == "message_deleted"; }),
            1u);
  // The timer notices stay, and so does the message sent before the timer.
  EXPECT_EQ(notices(all_messages(alice->d(), a_chat)), 1);
  EXPECT_EQ(notices(all_messages(bob->d(), b_chat)), 1);
  EXPECT_TRUE(find_text(alice->d(), a_chat, "please read this").has_value());
  EXPECT_TRUE(find_text(bob->d(), b_chat, "please read this").has_value());
  const auto gone = call(bob->d(), QJsonObject{{"cmd", "search"}, {"query", "destructing"}});
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->toArray().isEmpty());

  EXPECT_EQ(alice->d().quit(), 0);
  EXPECT_EQ(bob->d().quit(), 0);
}

std::string with_payload_changed(const std::string& link,
                                 const std::function<void(engine::Invitation&)>& change) {
  auto invitation = engine::parse_invitation_link(link);
  if (!invitation) {
    ADD_FAILURE() << "the daemon's link does not parse";
    return {};
  }
  change(*invitation);
  auto encoded = engine::encode_invitation_link(*invitation);
  if (!encoded) {
    ADD_FAILURE() << "the changed link does not encode";
    return {};
  }
  return *encoded;
}

TEST(E2eChat, BadLinksAndBadRequestsGetClearErrorsAndChangeNothing) {
  World world;
  ASSERT_TRUE(world.ok());
  Person* alice = world.add_person("alice", world.relay_a());
  ASSERT_NE(alice, nullptr);
  Person* bob = world.add_person("bob", world.relay_b());
  ASSERT_NE(bob, nullptr);
  const auto pair = start_chat(*alice, *bob);
  ASSERT_NE(pair.inviter_chat, 0);
  ASSERT_TRUE(sync_until_ok(alice->d(), 20s));
  ASSERT_TRUE(sync_until_ok(bob->d(), 20s));

  const auto link = call(alice->d(), QJsonObject{{"cmd", "invite"}})
                        ->toObject()
                        .value("link")
                        .toString()
                        .toStdString();
  ASSERT_FALSE(link.empty());
  const auto bob_chats = call(bob->d(), QJsonObject{{"cmd", "chats"}});
  const auto alice_chats = call(alice->d(), QJsonObject{{"cmd", "chats"}});
  ASSERT_TRUE(bob_chats && alice_chats);
  ASSERT_EQ(bob_chats->toArray().size(), 1);

  // A payload character changed (still base64url): the check fails.
  std::string damaged = link;
  const auto mid = std::string("exile://invite/v1/").size() + 20;
  damaged[mid] = damaged[mid] == 'A' ? 'B' : 'A';
  std::string newer = link;
  newer.replace(newer.find("/v1/"), 4, "/v2/");

  struct Case {
    const char* what;
    std::string link;
    std::vector<int> codes;  // acceptable error codes (src/common/error.h)
  };
  const std::vector<Case> cases = {
      {"not a link", "hello there", {500}},
      {"empty", "", {500}},
      {"bad base64", "exile://invite/v1/!!!notbase64!!!", {500}},
      {"cut off", link.substr(0, link.size() - 10), {500, 501}},
      {"damaged", damaged, {501}},
      {"newer version", newer, {208}},
      {"too long", link + std::string(600, 'A'), {500}},
      // Valid format, another identity's fingerprint: the bundle Alice's relay serves does not
      // match it.
      {"wrong fingerprint",
       with_payload_changed(link, [](engine::Invitation& i) { i.identity_fingerprint[0] ^= 1; }),
       {203}},
      // Valid format, an address that does not exist on Alice's relay.
      {"no such address",
       with_payload_changed(link, [](engine::Invitation& i) { i.address_id[0] ^= 1; }),
       {408, 402}},
      // Valid format, a relay nobody listens on.
      {"no relay there",
       with_payload_changed(link, [](engine::Invitation& i) { i.relay_url = "ws://127.0.0.1:9"; }),
       {458, 450, 451}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const auto asked = std::chrono::steady_clock::now();
    const auto answer = bob->d().request(
        QJsonObject{{"cmd", "accept"}, {"link", QString::fromStdString(c.link)}}, 60s);
    std::printf("e2e: accept (%s) answered %d in %lld ms\n", c.what,
                answer.value("error").toObject().value("code").toInt(),
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - asked)
                                           .count()));
    ASSERT_FALSE(answer.value("ok").toBool());
    const auto error = answer.value("error").toObject();
    const auto code = error.value("code").toInt();
    EXPECT_NE(std::find(c.codes.begin(), c.codes.end(), code), c.codes.end())
        << "got " << QJsonDocument(answer).toJson(QJsonDocument::Compact).toStdString();
    EXPECT_FALSE(error.value("message").toString().isEmpty());
    // The error says nothing of the link.
    if (c.link.size() > 30) {
      EXPECT_FALSE(error.value("message").toString().contains(
          QString::fromStdString(c.link.substr(18, 12))));
    }
    EXPECT_EQ(call(bob->d(), QJsonObject{{"cmd", "chats"}}), bob_chats);
  }

  // Alice accepting her own link.
  const auto own = alice->d().request(
      QJsonObject{{"cmd", "accept"}, {"link", QString::fromStdString(link)}}, 60s);
  EXPECT_FALSE(own.value("ok").toBool()) << QJsonDocument(own).toJson().toStdString();
  EXPECT_EQ(call(alice->d(), QJsonObject{{"cmd", "chats"}}), alice_chats);

  // Requests that are not requests.
  bob->d().write_line("this is not json");
  auto unreadable = bob->d().null_id_answer(10s);
  ASSERT_TRUE(unreadable);
  EXPECT_EQ(unreadable->value("error").toObject().value("code").toInt(), 101);  // InvalidEncoding
  bob->d().write_line("[1,2,3]");
  unreadable = bob->d().null_id_answer(10s);
  ASSERT_TRUE(unreadable);
  EXPECT_FALSE(unreadable->value("ok").toBool());
  for (const auto& [line, id] : std::vector<std::pair<std::string, int>>{
           {R"({"id":9001,"cmd":"accept"})", 9001},
           {R"({"id":9002,"cmd":"accept","link":"x","lnik":"y"})", 9002},
           {R"({"id":9003,"cmd":"fly"})", 9003},
           {R"({"id":9004,"cmd":"accept","link":17})", 9004},
           {R"({"id":9005,"cmd":"send","chat":-4,"text":"x"})", 9005},
           {R"({"id":9006,"cmd":"init","name":"x"})", 9006}}) {
    SCOPED_TRACE(line);
    bob->d().write_line(line);
    const auto answer = bob->d().answer(id, 10s);
    EXPECT_FALSE(answer.value("ok").toBool());
    EXPECT_EQ(answer.value("error").toObject().value("code").toInt(), 100)  // InvalidArgument
        << QJsonDocument(answer).toJson(QJsonDocument::Compact).toStdString();
  }
  const auto no_chat =
      bob->d().request(QJsonObject{{"cmd", "send"}, {"chat", 987654}, {"text", "to nobody"}});
  EXPECT_EQ(no_chat.value("error").toObject().value("code").toInt(), 305);  // NotFound

  // Nothing changed, and both daemons still work: the chat carries a message both ways.
  EXPECT_EQ(call(bob->d(), QJsonObject{{"cmd", "chats"}}), bob_chats);
  const auto requests = call(alice->d(), QJsonObject{{"cmd", "requests"}});
  ASSERT_TRUE(requests);
  EXPECT_TRUE(requests->toArray().isEmpty());
  ASSERT_NE(send_text(bob->d(), pair.accepter_chat, "still here"), 0);
  ASSERT_NE(send_text(alice->d(), pair.inviter_chat, "me too"), 0);
  EXPECT_TRUE(wait_until(
      [&] { return find_text(alice->d(), pair.inviter_chat, "still here").has_value(); }, 30s));
  EXPECT_TRUE(wait_until(
      [&] { return find_text(bob->d(), pair.accepter_chat, "me too").has_value(); }, 30s));
  EXPECT_EQ(alice->d().quit(), 0);
  EXPECT_EQ(bob->d().quit(), 0);
}

// docs/cli.md, "JSON": ERROR's "name" is the ErrorCode's name ("ChatNotReady", "NotFound"), as
// in its example session.
TEST(E2eChat, ErrorNamesAreTheDocumentedCodeNames) {
  World world;
  ASSERT_TRUE(world.ok());
  Person* alice = world.add_person("alice", world.relay_a());
  ASSERT_NE(alice, nullptr);
  const auto no_chat =
      alice->d().request(QJsonObject{{"cmd", "send"}, {"chat", 987654}, {"text", "to nobody"}});
  EXPECT_EQ(no_chat.value("error").toObject().value("code").toInt(), 305);
  EXPECT_EQ(no_chat.value("error").toObject().value("name").toString().toStdString(), "NotFound");
  const auto unknown = alice->d().request(QJsonObject{{"cmd", "fly"}});
  EXPECT_EQ(unknown.value("error").toObject().value("name").toString().toStdString(),
            "InvalidArgument");
  EXPECT_EQ(alice->d().quit(), 0);
}

}  // namespace
}  // namespace exile::test
