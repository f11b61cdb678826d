// The desktop app in real windows under Xvfb, with the real QML (ui/), against real exile-relay
// processes and an exile-cli daemon as the other person (tests/e2e/support):
//  - the welcome screen: the passphrase floor, then a profile made by typing and clicking;
//  - an invitation pasted and accepted; chat both ways; read ticks; the safety number equal on
//    both sides and the verified mark; Korean typed through an input method;
//  - a self-destruct timer: gone on the app's side by its injected clock, on the daemon's in
//    real time;
//  - lock: nothing of the profile visible; unlock through the unlock screen;
//  - the invitation's QR code, decoded by zbarimg, is the invitation link.
// Screenshots of every main screen (English and Korean, 1280×800 and 800×600) are written to
// $EXILE_SCREENSHOT_DIR when it is set (scripts/screenshots), else to the test's directory.
#include <gtest/gtest.h>

#include <QAccessible>
#include <QElapsedTimer>
#include <QGuiApplication>
#include <QPointer>
#include <QQuickStyle>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>
#include <QtQml/QQmlExtensionPlugin>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <utility>

#include "app/app_window.h"
#include "e2e/support/world.h"
#include "engine/tapped_transport.h"  // tests/engine
#include "gui_support.h"

Q_IMPORT_QML_PLUGIN(ExilePlugin)

namespace exile::test {
namespace {

using namespace std::chrono_literals;
using app::AppController;
using app::AppOptions;
using app::AppWindow;

constexpr char kAppPassphrase[] = "velvet harbor quietly sings";

qint64 q(std::int64_t v) { return static_cast<qint64>(v); }

// Sets the promise when the scope ends, unless now() did: a test that returns early on a failed
// assertion must not leave a thread waiting for it.
struct ReleaseOnExit {
  std::promise<void>* promise;
  void now() {
    if (promise != nullptr) std::exchange(promise, nullptr)->set_value();
  }
  ~ReleaseOnExit() { now(); }
};

std::unique_ptr<AppWindow> open_window(const std::filesystem::path& profile,
                                       const std::string& relay, const Clock* clock = nullptr,
                                       engine::RelayTransportFactory relays = {}) {
  AppOptions options;
  options.engine.profile_dir = profile;
  options.engine.fast_kdf = true;
  options.environment.clock = clock;
  options.environment.relays = std::move(relays);
  options.default_relay = QString::fromStdString(relay);
  auto window = std::make_unique<AppWindow>(std::move(options));
  window->controller().setLanguage(QStringLiteral("en"));
  window->controller().setIdleLockMinutes(0);
  if (!window->load()) return nullptr;
  window->window()->resize(1280, 800);
  window->window()->show();
  window->window()->requestActivate();
  return window;
}

// Through the welcome screen, as a user: the floor first, then a passphrase that passes it.
void create_through_welcome(AppWindow& w, const QString& name) {
  auto* window = w.window();
  ASSERT_NE(wait_for_item(window, "welcomePage"), nullptr);
  auto* create = find_item(window, "createProfileButton");
  ASSERT_NE(create, nullptr);
  type_into(find_item(window, "welcomeNameField"), name);
  type_into(find_item(window, "welcomePassphraseField"), "password1");
  type_into(find_item(window, "welcomeRepeatField"), "password1");
  EXPECT_FALSE(create->isEnabled()) << "a weak passphrase passed the floor";
  find_item(window, "welcomePassphraseField")->setProperty("text", QString());
  find_item(window, "welcomeRepeatField")->setProperty("text", QString());
  type_into(find_item(window, "welcomePassphraseField"), kAppPassphrase);
  type_into(find_item(window, "welcomeRepeatField"), kAppPassphrase);
  ASSERT_TRUE(pump_until([&] { return create->isEnabled(); }, 2s));
  click(create);
  ASSERT_TRUE(
      pump_until([&] { return w.controller().stage() == AppController::Stage::Unlocked; }, 60s))
      << w.controller().error().toStdString();
  ASSERT_TRUE(pump_until([&] { return !w.controller().invitationLink().isEmpty(); }, 30s));
}

// The same from the keyboard alone: the name field has the focus, Tab walks the form in order
// and Enter on the last field creates the profile.
void create_with_keyboard_only(AppWindow& w, const QString& name) {
  auto* window = w.window();
  ASSERT_NE(wait_for_item(window, "welcomePage"), nullptr);
  auto* name_field = find_item(window, "welcomeNameField");
  ASSERT_TRUE(pump_until([&] { return name_field->hasActiveFocus(); }, 5s))
      << "the welcome screen does not start in the name field";
  const auto typed = [&](const QString& text) {
    for (const QChar ch : text) {
      QTest::sendKeyEvent(QTest::Click, window, Qt::Key_unknown, QString(ch), Qt::NoModifier);
    }
  };
  typed(name);
  press_key(window, Qt::Key_Tab);
  ASSERT_TRUE(find_item(window, "welcomePassphraseField")->hasActiveFocus());
  typed(kAppPassphrase);
  press_key(window, Qt::Key_Tab);
  ASSERT_TRUE(find_item(window, "welcomeRepeatField")->hasActiveFocus());
  typed(kAppPassphrase);
  press_key(window, Qt::Key_Tab);
  ASSERT_TRUE(find_item(window, "welcomeRelayField")->hasActiveFocus());
  press_key(window, Qt::Key_Tab);
  ASSERT_TRUE(find_item(window, "createProfileButton")->hasActiveFocus());
  press_key(window, Qt::Key_Space);
  ASSERT_TRUE(
      pump_until([&] { return w.controller().stage() == AppController::Stage::Unlocked; }, 60s))
      << w.controller().error().toStdString();
  ASSERT_TRUE(pump_until([&] { return !w.controller().invitationLink().isEmpty(); }, 30s));
}

std::filesystem::path screenshot_dir(const World& world) {
  if (const char* dir = std::getenv("EXILE_SCREENSHOT_DIR"); dir != nullptr && dir[0] != 0) {
    return dir;
  }
  return world.dir().path() / "screenshots";
}

// Saves the screen, and checks on the way that a screen reader can name every control on it
// and that Tab reaches each of them.
void save(QQuickWindow* window, const std::filesystem::path& file) {
  std::filesystem::create_directories(file.parent_path());
  const QImage image = grab(window);
  ASSERT_FALSE(image.isNull());
  ASSERT_TRUE(image.save(QString::fromStdString(file.string())));
  EXPECT_EQ(unnamed_controls(window).join(QStringLiteral("; ")).toStdString(), "")
      << "controls without an accessible name on " << file.filename().string();
  EXPECT_EQ(unreachable_by_tab(window).join(QStringLiteral("; ")).toStdString(), "")
      << "controls the keyboard cannot reach on " << file.filename().string();
}

TEST(AppGui, ChatWithACliDaemonThroughRealRelays) {
  World world;
  ASSERT_TRUE(world.ok());
  Person* bob = world.add_person("Bob", world.relay_b(), "bob");
  ASSERT_NE(bob, nullptr);
  ManualClock clock(from_millis(QDateTime::currentMSecsSinceEpoch()));
  auto app = open_window(world.dir().path() / "alice", world.relay_a().url(), &clock);
  ASSERT_NE(app, nullptr);
  auto* window = app->window();
  AppController& c = app->controller();
  create_through_welcome(*app, "Alice");
  EXPECT_EQ(c.displayName(), "Alice");

  // Bob's link, pasted into the new-chat page; Bob accepts the request it makes.
  const auto invite = call(bob->d(), QJsonObject{{"cmd", "invite"}});
  ASSERT_TRUE(invite);
  const QString link = invite->toObject().value("link").toString();
  click(find_item(window, "newChatButton"));
  auto* input = wait_for_item(window, "invitationInputField");
  ASSERT_NE(input, nullptr);
  c.copyToClipboard(link);  // the link arrives as a paste, Ctrl+V in the field
  input->forceActiveFocus();
  press_key(window, Qt::Key_V, Qt::ControlModifier);
  ASSERT_EQ(input->property("text").toString(), link);
  click(find_item(window, "startChatButton"));
  ASSERT_TRUE(pump_until([&] { return c.currentChat() != 0; }, 60s)) << c.error().toStdString();
  const auto request = bob->d().wait_event(
      [](const QJsonObject& e) { return e.value("event") == "contact_request_received"; }, 30s);
  ASSERT_TRUE(request);
  const auto accepted = call(
      bob->d(), QJsonObject{{"cmd", "accept-request"}, {"request", request->value("request")}});
  ASSERT_TRUE(accepted);
  const auto b_chat = accepted->toObject().value("chat").toInteger();
  ASSERT_TRUE(
      pump_until([&] { return c.currentChatInfo().value("state").toString() == "active"; }, 30s));
  if (auto* close = find_item(window, "newChatCloseButton");
      close != nullptr && close->isVisible()) {
    click(close);
  }

  // Alice types (Korean through the input method) and presses Enter.
  auto* composer = wait_for_item(window, "composerInput");
  ASSERT_NE(composer, nullptr);
  type_into(composer, "Hello Bob ");
  compose(composer, QStringLiteral("ㅇ"), QStringLiteral("안녕"));
  press_key(window, Qt::Key_Return);
  const std::string hello = "Hello Bob 안녕";
  ASSERT_TRUE(pump_until(
      [&] { return texts(all_messages(bob->d(), b_chat), false) == std::vector{hello}; }, 30s));
  EXPECT_TRUE(composer->property("text").toString().isEmpty());

  // Bob answers; the open chat shows it and reads it: Bob sees his message read.
  ASSERT_TRUE(
      call(bob->d(), QJsonObject{{"cmd", "send"}, {"chat", q(b_chat)}, {"text", "Hi Alice"}}));
  ASSERT_TRUE(pump_until([&] { return visible_texts(window).contains("Hi Alice"); }, 30s));
  ASSERT_TRUE(pump_until(
      [&] {
        for (const auto& m : all_messages(bob->d(), b_chat)) {
          if (m.value("text") == "Hi Alice") return m.value("state") == "read";
        }
        return false;
      },
      30s));
  // Bob reads Alice's message: her bubble's state becomes read.
  ASSERT_TRUE(call(bob->d(), QJsonObject{{"cmd", "read"}, {"chat", q(b_chat)}}));
  ASSERT_TRUE(pump_until(
      [&] {
        auto* m = c.messages();
        for (int row = 0; row < m->rowCount(); ++row) {
          const auto i = m->index(row);
          if (m->data(i, app::MessageListModel::OutgoingRole).toBool()) {
            return m->data(i, app::MessageListModel::StateRole).toString() == "read";
          }
        }
        return false;
      },
      30s));

  // Bob types: the header says so, and stops saying so when he stops.
  ASSERT_TRUE(
      call(bob->d(), QJsonObject{{"cmd", "typing"}, {"chat", q(b_chat)}, {"typing", true}}));
  ASSERT_TRUE(pump_until([&] { return visible_texts(window).contains("typing…"); }, 30s));
  ASSERT_TRUE(
      call(bob->d(), QJsonObject{{"cmd", "typing"}, {"chat", q(b_chat)}, {"typing", false}}));
  ASSERT_TRUE(pump_until([&] { return !visible_texts(window).contains("typing…"); }, 30s));

  // Search (Ctrl+F): message text finds the chat, a word nobody wrote finds none.
  press_key(window, Qt::Key_F, Qt::ControlModifier);
  auto* search = find_item(window, "searchField");
  ASSERT_TRUE(search->hasActiveFocus());
  type_into(search, "Alice");
  ASSERT_TRUE(pump_until([&] { return c.chats()->rowCount() == 1; }, 5s));
  press_key(window, Qt::Key_A, Qt::ControlModifier);  // cleared as a user would
  press_key(window, Qt::Key_Backspace);
  type_into(search, "zebrafish");
  ASSERT_TRUE(pump_until([&] { return c.chats()->rowCount() == 0; }, 5s));
  press_key(window, Qt::Key_A, Qt::ControlModifier);  // cleared as a user would
  press_key(window, Qt::Key_Backspace);
  ASSERT_TRUE(pump_until([&] { return c.chats()->rowCount() == 1; }, 5s));

  // Delete for both, from the message's context menu: gone in the app and at Bob's.
  composer->forceActiveFocus();
  type_into(composer, "to be deleted");
  press_key(window, Qt::Key_Return);
  ASSERT_TRUE(pump_until([&] { return visible_texts(window).contains("to be deleted"); }, 10s));
  ASSERT_TRUE(pump_until(
      [&] {
        const auto got = texts(all_messages(bob->d(), b_chat), false);
        return std::find(got.begin(), got.end(), "to be deleted") != got.end();
      },
      30s));
  QQuickItem* doomed = nullptr;
  for (auto* text : find_items(window, "messageText")) {
    if (text->property("text").toString() == "to be deleted") doomed = text;
  }
  ASSERT_NE(doomed, nullptr);
  const QPointF at = doomed->mapToScene(QPointF(doomed->width() / 2, doomed->height() / 2));
  QTest::mouseClick(window, Qt::RightButton, {}, at.toPoint());
  click(wait_for_item(window, "deleteForBothMenuItem"));
  ASSERT_TRUE(pump_until([&] { return !visible_texts(window).contains("to be deleted"); }, 10s));
  ASSERT_TRUE(pump_until(
      [&] {
        const auto got = texts(all_messages(bob->d(), b_chat), false);
        return std::find(got.begin(), got.end(), "to be deleted") == got.end();
      },
      30s));

  // The chat info: Bob's safety number, the key image, then the verified mark.

  click(find_item(window, "chatInfoButton"));
  ASSERT_TRUE(
      pump_until([&] { return c.verification().value("groups").toList().size() == 12; }, 10s));
  const auto bob_view = call(bob->d(), QJsonObject{{"cmd", "verify"}, {"chat", q(b_chat)}});
  ASSERT_TRUE(bob_view);
  EXPECT_EQ(c.verification().value("safetyNumber").toString(),
            bob_view->toObject().value("safety_number").toString());
  ASSERT_NE(wait_for_item(window, "keyImage"), nullptr);
  click(wait_for_item(window, "markVerifiedButton"));
  ASSERT_TRUE(pump_until([&] { return c.currentChatInfo().value("verified").toBool(); }, 10s));
  press_key(window, Qt::Key_Escape);

  // A 5-second timer set by Alice reaches Bob; his message under it goes on both sides.
  c.setTimer(5);
  ASSERT_TRUE(pump_until(
      [&] {
        const auto chat = chat_summary(bob->d(), b_chat);
        return chat && chat->value("timer_seconds").toInteger() == 5;
      },
      30s));
  ASSERT_TRUE(
      call(bob->d(), QJsonObject{{"cmd", "send"}, {"chat", q(b_chat)}, {"text", "vanishing"}}));
  ASSERT_TRUE(pump_until([&] { return visible_texts(window).contains("vanishing"); }, 30s));
  // Read on opening: Alice's countdown runs; Bob's runs from the receipt, on his real clock.
  ASSERT_TRUE(wait_for_item(window, "countdownLabel", 10s) != nullptr);
  clock.advance(std::chrono::seconds(6));
  ASSERT_TRUE(app->controller().engine_for_tests()->run_timers());
  ASSERT_TRUE(pump_until([&] { return !visible_texts(window).contains("vanishing"); }, 10s));
  ASSERT_TRUE(pump_until(
      [&] {
        const auto bobs = texts(all_messages(bob->d(), b_chat), true);
        return std::find(bobs.begin(), bobs.end(), "vanishing") == bobs.end();
      },
      30s));

  // Lock: nothing of the profile stays on screen. Unlock through the unlock screen.
  press_key(window, Qt::Key_L, Qt::ControlModifier);
  ASSERT_TRUE(pump_until([&] { return c.stage() == AppController::Stage::Locked; }, 10s));
  ASSERT_NE(wait_for_item(window, "unlockPage"), nullptr);
  const auto shown = visible_texts(window).join("\n");
  for (const char* secret : {"Bob", "Hi Alice", "Hello Bob", "Alice"}) {
    EXPECT_FALSE(shown.contains(secret)) << secret << " is visible while locked";
  }
  type_into(find_item(window, "unlockPassphraseField"), "not the passphrase");
  press_key(window, Qt::Key_Return);
  ASSERT_TRUE(pump_until([&] { return !c.error().isEmpty(); }, 30s));
  EXPECT_EQ(c.error(), "Wrong passphrase.");  // the app's sentence, not the engine's
  EXPECT_TRUE(visible_texts(window).contains("Wrong passphrase."));
  EXPECT_EQ(c.stage(), AppController::Stage::Locked);
  find_item(window, "unlockPassphraseField")->setProperty("text", QString());
  type_into(find_item(window, "unlockPassphraseField"), kAppPassphrase);
  // The main screen is made while the unlock runs (held here as a slow Argon2id would be),
  // unseen under the lock screen, and is the one shown once unlocked: not made again then.
  std::promise<void> release;
  c.run_on_worker_for_tests([held = release.get_future().share()] { held.wait(); });
  ReleaseOnExit release_worker{&release};
  press_key(window, Qt::Key_Return);
  ASSERT_TRUE(c.busy());
  QPointer<QQuickItem> made_while_locked;
  ASSERT_TRUE(pump_until(
      [&] { return (made_while_locked = find_item(window, "mainPage")) != nullptr; }, 10s));
  EXPECT_EQ(c.stage(), AppController::Stage::Locked);
  EXPECT_FALSE(test::shown(made_while_locked))
      << "the main screen shows before the profile is open";
  EXPECT_FALSE(made_while_locked->isEnabled());
  release_worker.now();
  ASSERT_TRUE(pump_until([&] { return c.stage() == AppController::Stage::Unlocked; }, 30s));
  ASSERT_TRUE(pump_until([&] { return visible_texts(window).contains("Bob"); }, 10s));
  EXPECT_EQ(find_item(window, "mainPage"), made_while_locked.data()) << "made again at unlock";

  // The UI thread never waits for the engine: with the engine's thread held (a completion that
  // blocks it, as a stalled disk would hold a commit) the window opens the chat, takes typing
  // and a send, searches and opens the chat's info, each at once, and keeps drawing; what was
  // asked for is done once the engine goes on. The hold ends by itself after 10 s, so that a
  // window that does wait shows here as a slow action, not as a hung test.
  {
    const auto chat = static_cast<engine::ChatId>(
        c.chats()->data(c.chats()->index(0), app::ChatListModel::ChatIdRole).toLongLong());
    std::promise<void> release_engine;
    std::promise<void> entered;
    auto engine_held = entered.get_future();
    c.engine_for_tests()->send_text(
        chat, "sent while the engine waits",
        [held = release_engine.get_future().share(),
         entered = std::make_shared<std::promise<void>>(std::move(entered))](auto) {
          entered->set_value();
          (void)held.wait_for(10s);
        });
    ReleaseOnExit release_on_exit{&release_engine};
    ASSERT_TRUE(
        pump_until([&] { return engine_held.wait_for(0s) == std::future_status::ready; }, 10s));

    int frames = 0;
    QObject counting;  // the connection ends with this block, before `frames` does
    QObject::connect(window, &QQuickWindow::frameSwapped, &counting, [&] { ++frames; });
    QElapsedTimer since_tick;
    qint64 longest_gap = 0;
    QTimer tick;
    tick.setInterval(10);
    QObject::connect(&tick, &QTimer::timeout,
                     [&] { longest_gap = std::max(longest_gap, since_tick.restart()); });
    since_tick.start();
    tick.start();
    std::vector<std::pair<const char*, qint64>> actions;
    const auto timed = [&](const char* what, const std::function<void()>& action) {
      QElapsedTimer took;
      took.start();
      action();
      actions.emplace_back(what, took.elapsed());
    };
    timed("open the chat", [&] { click(find_item(window, "chatListItem_0")); });
    auto* held_composer = wait_for_item(window, "composerInput");
    ASSERT_NE(held_composer, nullptr);
    timed("type", [&] { type_into(held_composer, "typed while the engine waits"); });
    timed("send", [&] { press_key(window, Qt::Key_Return); });
    timed("search", [&] {
      press_key(window, Qt::Key_F, Qt::ControlModifier);
      type_into(find_item(window, "searchField"), "Bob");
      press_key(window, Qt::Key_Escape);
    });
    timed("open the chat info", [&] { click(find_item(window, "chatInfoButton")); });
    QTest::qWait(1500);  // timers, the worker's turns and frames, while still held
    tick.stop();
    ASSERT_EQ(engine_held.wait_for(0s), std::future_status::ready);
    for (const auto& [what, ms] : actions) {
      EXPECT_LT(ms, 2000) << what << " waited for the engine (" << ms << " ms)";
    }
    EXPECT_LT(longest_gap, 2000) << "the UI thread stopped for " << longest_gap << " ms";
    EXPECT_GT(frames, 0) << "no frame was drawn while the engine was held";
    release_on_exit.now();
    press_key(window, Qt::Key_Escape);
    ASSERT_TRUE(pump_until(
        [&] {
          const auto bobs = texts(all_messages(bob->d(), b_chat), false);
          return std::find(bobs.begin(), bobs.end(), "typed while the engine waits") !=
                     bobs.end() &&
                 std::find(bobs.begin(), bobs.end(), "sent while the engine waits") != bobs.end();
        },
        30s));
  }

  // The invitation's QR code reads back as the link the app shows.
  ASSERT_TRUE(pump_until([&] { return !c.invitationLink().isEmpty(); }, 30s));
  click(find_item(window, "newChatButton"));
  auto* qr = wait_for_item(window, "invitationQr");
  ASSERT_NE(qr, nullptr);
  ASSERT_TRUE(pump_until([&] { return qr->property("status").toInt() == 1; }, 10s));  // Ready
  const std::string shown_link = c.invitationLink().toStdString();
  EXPECT_EQ(decode_qr(grab_item(window, qr), world.dir().path()), shown_link);
  press_key(window, Qt::Key_Escape);
  // ... and it is the link exile-cli gives for the same profile (the app locked: one opener).
  c.lock();
  const auto cli =
      run_cli({"--profile", (world.dir().path() / "alice").string(), "--json", "invite"},
              {std::string("EXILE_PASSPHRASE=") + kAppPassphrase});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find(shown_link), std::string::npos);
}

// A profile made from the keyboard alone; a link given on the command line waits for the
// unlock, then for the user's yes; declining a request from the new-chat page removes it; the
// idle lock locks a window left alone.
TEST(AppGui, ALinkFromTheCommandLineADeclinedRequestAndTheIdleLock) {
  World world;
  ASSERT_TRUE(world.ok());
  Person* bob = world.add_person("Bob", world.relay_b(), "bob");
  ASSERT_NE(bob, nullptr);
  Person* carol = world.add_person("Carol", world.relay_b(), "carol");
  ASSERT_NE(carol, nullptr);
  auto app = open_window(world.dir().path() / "alice", world.relay_a().url());
  ASSERT_NE(app, nullptr);
  auto* window = app->window();
  AppController& c = app->controller();
  create_with_keyboard_only(*app, "Alice");
  c.lock();
  ASSERT_NE(wait_for_item(window, "unlockPage"), nullptr);

  // exile exile://… while locked: nothing is asked until the profile is open.
  const auto invite = call(bob->d(), QJsonObject{{"cmd", "invite"}});
  ASSERT_TRUE(invite);
  c.set_pending_link(invite->toObject().value("link").toString());
  EXPECT_EQ(wait_for_item(window, "pendingLinkDialog", 500ms), nullptr);
  type_into(find_item(window, "unlockPassphraseField"), kAppPassphrase);
  press_key(window, Qt::Key_Return);
  auto* confirm = wait_for_item(window, "pendingLinkConfirmButton", 30s);
  ASSERT_NE(confirm, nullptr);
  click(confirm);
  ASSERT_TRUE(pump_until([&] { return c.currentChat() != 0; }, 60s)) << c.error().toStdString();
  EXPECT_TRUE(c.pendingLink().isEmpty());
  ASSERT_TRUE(bob->d().wait_event(
      [](const QJsonObject& e) { return e.value("event") == "contact_request_received"; }, 30s));

  // Carol asks Alice; Alice declines on the new-chat page.
  ASSERT_TRUE(pump_until([&] { return !c.invitationLink().isEmpty(); }, 30s));
  ASSERT_TRUE(call(carol->d(), QJsonObject{{"cmd", "accept"}, {"link", c.invitationLink()}}, 60s));
  ASSERT_TRUE(pump_until([&] { return c.requests()->rowCount() == 1; }, 30s));
  press_key(window, Qt::Key_N, Qt::ControlModifier);
  auto* decline = wait_for_item(window, "declineRequestButton_0");
  ASSERT_NE(decline, nullptr);
  EXPECT_TRUE(visible_texts(window).contains("Carol"));
  click(decline);
  ASSERT_TRUE(pump_until([&] { return c.requests()->rowCount() == 0; }, 10s));
  press_key(window, Qt::Key_Escape);

  // The chat list from the keyboard: Ctrl+F, Down into the list, Return opens its chat.
  const qint64 bobs_chat = c.currentChat();
  ASSERT_NE(bobs_chat, 0);
  c.closeChat();
  ASSERT_TRUE(pump_until([&] { return c.currentChat() == 0; }, 5s));
  press_key(window, Qt::Key_F, Qt::ControlModifier);
  press_key(window, Qt::Key_Down);
  press_key(window, Qt::Key_Return);
  ASSERT_TRUE(pump_until([&] { return c.currentChat() == bobs_chat; }, 5s));

  // Left alone for a minute of the controller's idle clock, the window locks; input delays it.
  c.set_idle_minute_for_tests(std::chrono::milliseconds(400));
  c.setIdleLockMinutes(1);
  for (int i = 0; i < 4; ++i) {
    QTest::qWait(200);
    press_key(window, Qt::Key_Shift);  // any key counts
    ASSERT_EQ(c.stage(), AppController::Stage::Unlocked);
  }
  ASSERT_TRUE(pump_until([&] { return c.stage() == AppController::Stage::Locked; }, 3s));
  EXPECT_FALSE(visible_texts(window).join("\n").contains("Carol"));
}

// Every main screen in English and Korean, at 1280×800 and 800×600: two app windows (Alice and
// Bob), each on its own profile, in a secret chat through the relays.
// What a real relay cannot be asked for, made by a tap on Alice's transport between two app
// windows: a message the relay refuses for good (over its size limit) shows failed with Retry,
// and Retry sends it again in place of the failed one; an envelope corrupted on the way shows
// at Bob's as the undecryptable marker, and the chat goes on.
TEST(AppGui, ARetriedFailedMessageAndAnUndecryptableOne) {
  World world;
  ASSERT_TRUE(world.ok());
  auto taps = std::make_shared<test::TappedTransport::Taps>();
  auto alice =
      open_window(world.dir().path() / "alice", world.relay_a().url(), nullptr, test::tapped(taps));
  ASSERT_NE(alice, nullptr);
  create_through_welcome(*alice, "Alice");
  auto bob = open_window(world.dir().path() / "bob", world.relay_b().url());
  ASSERT_NE(bob, nullptr);
  create_through_welcome(*bob, "Bob");
  bob->controller().acceptInvitation(alice->controller().invitationLink());
  ASSERT_TRUE(pump_until([&] { return alice->controller().requests()->rowCount() == 1; }, 60s));
  alice->controller().acceptRequest(
      alice->controller()
          .requests()
          ->data(alice->controller().requests()->index(0), app::RequestListModel::RequestIdRole)
          .toLongLong());
  ASSERT_TRUE(pump_until([&] { return alice->controller().currentChat() != 0; }, 60s));
  ASSERT_TRUE(pump_until(
      [&] { return bob->controller().currentChatInfo().value("state").toString() == "active"; },
      60s));
  auto* window = alice->window();
  window->requestActivate();  // Bob's window came last: Alice's takes the keys again
  ASSERT_TRUE(pump_until([&] { return window->isActive(); }, 5s));
  auto* composer = wait_for_item(window, "composerInput");
  ASSERT_NE(composer, nullptr);

  // Refused for good: failed, with Retry. Retry: Bob gets it, and Alice's chat shows it once.
  // A long text, so that the tap takes it and not a receipt or typing notice going out first.
  const QString refused =
      QStringLiteral("too large for the relay at first ") + QString(2000, QLatin1Char('x'));
  {
    std::lock_guard hold(taps->mutex);
    taps->oversize_next_send_longer_than = 1500;
  }
  type_into(composer, refused.left(40));
  composer->setProperty("text", refused);
  press_key(window, Qt::Key_Return);
  auto* retry = wait_for_item(window, "retryButton", 30s);
  ASSERT_NE(retry, nullptr) << "no failed message with Retry";
  EXPECT_TRUE(visible_texts(window).contains(refused));
  click(retry);
  ASSERT_TRUE(pump_until([&] { return visible_texts(bob->window()).contains(refused); }, 30s));
  ASSERT_TRUE(pump_until(
      [&] {
        for (auto* item : find_items(window, "retryButton")) {
          if (test::shown(item)) return false;
        }
        return true;
      },
      10s));
  const auto bubbles_with = [&](const QString& text) {  // the open chat's rows, not the list's
    auto* m = alice->controller().messages();
    int n = 0;
    for (int row = 0; row < m->rowCount(); ++row) {
      n += m->data(m->index(row), app::MessageListModel::TextRole).toString() == text ? 1 : 0;
    }
    return n;
  };
  EXPECT_EQ(bubbles_with(refused), 1) << "the failed bubble stayed beside its retry";

  // Corrupted on the way: Bob's chat marks it, keeps it, and goes on.
  {
    std::lock_guard hold(taps->mutex);
    taps->corrupt_next_send = true;
  }
  alice->controller().sendText(QStringLiteral("garbled on the way"));
  const QString marker = QStringLiteral("This message could not be decrypted");
  ASSERT_TRUE(pump_until([&] { return visible_texts(bob->window()).contains(marker); }, 30s));
  alice->controller().sendText(QStringLiteral("arrives whole"));
  ASSERT_TRUE(pump_until(
      [&] { return visible_texts(bob->window()).contains(QStringLiteral("arrives whole")); }, 30s));
  EXPECT_FALSE(visible_texts(bob->window()).contains(QStringLiteral("garbled on the way")));
  alice->controller().lock();
  bob->controller().lock();
}

TEST(AppGui, ScreenshotsOfEveryMainScreen) {
  World world;
  ASSERT_TRUE(world.ok());
  const auto dir = screenshot_dir(world);
  auto alice = open_window(world.dir().path() / "alice", world.relay_a().url());
  ASSERT_NE(alice, nullptr);
  // main() set another style in the environment, as a desktop session may: the screens are made
  // for Fusion, and the window keeps it.
  EXPECT_EQ(QQuickStyle::name().toStdString(), "Fusion");
  auto* window = alice->window();
  for (const char* language : {"en", "ko"}) {
    alice->controller().setLanguage(language);
    ASSERT_NE(wait_for_item(window, "welcomePage"), nullptr);
    save(window, dir / ("welcome-" + std::string(language) + ".png"));
  }
  alice->controller().setLanguage("en");
  create_through_welcome(*alice, "Alice Kim");
  auto bob = open_window(world.dir().path() / "bob", world.relay_b().url());
  ASSERT_NE(bob, nullptr);
  create_through_welcome(*bob, "박서준");
  // Bob accepts Alice's link; Alice accepts his request.
  bob->controller().acceptInvitation(alice->controller().invitationLink());
  ASSERT_TRUE(pump_until([&] { return alice->controller().requests()->rowCount() == 1; }, 60s));
  click(find_item(window, "newChatButton"));
  ASSERT_NE(wait_for_item(window, "invitationQr"), nullptr);
  for (const char* language : {"en", "ko"}) {
    alice->controller().setLanguage(language);
    save(window, dir / ("new-chat-" + std::string(language) + ".png"));
  }
  alice->controller().setLanguage("en");
  click(find_item(window, "newChatCloseButton"));
  const auto request = alice->controller().requests()->data(
      alice->controller().requests()->index(0), app::RequestListModel::RequestIdRole);
  alice->controller().acceptRequest(request.toLongLong());
  ASSERT_TRUE(pump_until([&] { return alice->controller().currentChat() != 0; }, 60s));
  ASSERT_TRUE(pump_until(
      [&] { return bob->controller().currentChatInfo().value("state").toString() == "active"; },
      60s));
  const std::vector<std::pair<AppWindow*, QString>> lines = {
      {bob.get(), "안녕하세요! 드디어 연결됐네요."},
      {alice.get(), "Hi! Yes, it works. Did you check the safety number?"},
      {bob.get(), "Not yet. Let's compare them when we meet on Friday."},
      {alice.get(), "Deal. I set a timer on this chat, so old messages go away on their own."},
      {bob.get(), "좋아요, 금요일에 봐요."}};
  for (const auto& [who, text] : lines) {
    who->controller().sendText(text);
    AppWindow* other = who == alice.get() ? bob.get() : alice.get();
    ASSERT_TRUE(pump_until([&] { return visible_texts(other->window()).contains(text); }, 30s));
  }
  alice->controller().setTimer(3600);
  ASSERT_TRUE(pump_until(
      [&] { return alice->controller().currentChatInfo().value("timerSeconds").toInt() == 3600; },
      30s));
  window->requestActivate();  // the chat is read while its window is active
  ASSERT_TRUE(pump_until([&] { return window->isActive(); }, 5s));
  ASSERT_TRUE(pump_until(
      [&] {
        auto* chats = alice->controller().chats();
        return chats->data(chats->index(0), app::ChatListModel::UnreadRole).toInt() == 0;
      },
      10s));
  for (const auto& [width, height] : {std::pair{1280, 800}, std::pair{800, 600}}) {
    window->resize(width, height);
    // 1280×800 gives the names the README and the AppStream metadata show (main-en.png).
    const std::string size =
        width == 1280 ? "" : "-" + std::to_string(width) + "x" + std::to_string(height);
    for (const char* language : {"en", "ko"}) {
      alice->controller().setLanguage(language);
      const std::string suffix = std::string(language) + size + ".png";
      save(window, dir / ("main-" + suffix));
      click(find_item(window, "chatInfoButton"));
      ASSERT_NE(wait_for_item(window, "keyImage"), nullptr);
      save(window, dir / ("chat-info-" + suffix));
      click(find_item(window, "chatInfoCloseButton"));
      click(find_item(window, "settingsButton"));
      ASSERT_NE(wait_for_item(window, "languageComboBox"), nullptr);
      save(window, dir / ("settings-" + suffix));
      click(find_item(window, "settingsCloseButton"));
    }
  }
  window->resize(1280, 800);
  alice->controller().setLanguage("en");
  alice->controller().lock();
  for (const char* language : {"en", "ko"}) {
    alice->controller().setLanguage(language);
    ASSERT_NE(wait_for_item(window, "unlockPage"), nullptr);
    save(window, dir / ("unlock-" + std::string(language) + ".png"));
  }
}

}  // namespace
}  // namespace exile::test

int main(int argc, char** argv) {
  // Software rendering: the same pixels on every machine, no GPU needed under Xvfb.
  qputenv("QT_QUICK_BACKEND", "software");
  QGuiApplication app(argc, argv);
  QGuiApplication::setOrganizationName(QStringLiteral("Exile"));
  QGuiApplication::setApplicationName(QStringLiteral("exile-gui-test"));
  QStandardPaths::setTestModeEnabled(true);  // settings in ~/.qttest, not the user's
  // As a Plasma session does; AppWindow must keep Qt Quick Controls' Fusion style all the same.
  qputenv("QT_QUICK_CONTROLS_STYLE", "Basic");
  // As with a screen reader running: items make their accessible parts when they are created.
  QAccessible::setActive(true);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
