// exile-app-bench: the desktop app's start, a long chat's opening and scrolling, and its memory
// (docs/performance.md, "Desktop app"). scripts/bench app builds it, makes the profile once, and
// runs `app` beside exile-bare-window (bare_window.cpp) under one Xvfb.
//
//   exile-app-bench generate --relay-bin PATH --dir DIR [--messages 100000]
//                   [--chat-messages 50000] [--chats 50] [--turn 100] [--fast-kdf]
//     Makes DIR/profile: one profile ("Alice", Argon2id at the app's cost unless --fast-kdf)
//     with `--chats` secret chats, one of them holding `--chat-messages` messages and the others
//     the rest, evenly. Every message is real: each chat's contact is a second profile in this
//     process, both engines talk through an exile-relay child process (durable store,
//     DIR/relay/data) on 127.0.0.1, and they take turns, each writing 1 … 2·turn − 1 messages
//     (the completion form of send_text, committed together) and waiting until the other side
//     has stored the last one. A shared clock starts 90 days back and moves forward a step each
//     turn, so the chats span days (day separators) and their last activity differs. Before the
//     last three chats (the long one is the newest), everything received is marked read; those
//     three keep their last turn unread. Each contact's profile is deleted once its chat is
//     done. DIR/bench.json records the relay's port, the long chat's id and the time taken.
//     The passphrase is EXILE_BENCH_PASSPHRASE.
//
//   exile-app-bench app --profile DIR --chat ID [--expect-messages N]
//     A fresh process: QGuiApplication, the Fusion style, the software Qt Quick backend, and the
//     app's own AppWindow (src/app) on the profile, at 1280×800, language English. Times are
//     from the process's start (startup_clock.h):
//       first_frame_ms   the first frame (the unlock page);
//       unlock_ms        AppController::unlock() (EXILE_BENCH_PASSPHRASE, called at that first
//                        frame) until the stage is Unlocked: Argon2id, opening the store, the
//                        engine's start;
//       chat_list_ms     the first frame with the chat list's rows (app.chats has rows, the
//                        chatListView has its first delegate shown);
//       app_minus_unlock_ms = chat_list_ms − unlock_ms;
//     then app.openChat(ID): open_ms until the first frame showing its newest message; then the
//     scroll to the top: positionViewAtEnd() on the message view (BottomToTop: its end is the
//     oldest message, at the top) once per frame, which makes the model read the next page,
//     until app.messages.complete and the oldest message's delegate is inside the view in a
//     swapped frame (scroll_ms); then VmRSS and VmHWM. One JSON line on stdout.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QGuiApplication>
#include <QtQml/QQmlExtensionPlugin>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/app_window.h"
#include "common/clock.h"
#include "common/result.h"
#include "engine/engine.h"
#include "engine_bench_support.h"
#include "startup_clock.h"

Q_IMPORT_QML_PLUGIN(ExilePlugin)

namespace exile::bench::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using engine::ChatId;
using engine::Engine;

SecureBytes env_passphrase() {
  const char* text = std::getenv("EXILE_BENCH_PASSPHRASE");
  if (text == nullptr || text[0] == 0) die("EXILE_BENCH_PASSPHRASE is not set");
  const std::string_view view(text);
  return SecureBytes(view.begin(), view.end());
}

SecureBytes contact_passphrase() {
  const std::string_view text = "bench contact passphrase";
  return SecureBytes(text.begin(), text.end());
}

// ---- generate -------------------------------------------------------------------------------

// The clock every engine of the generator reads: moved forward by the generator between turns.
class SharedClock final : public Clock {
 public:
  explicit SharedClock(UnixMillis start) : ms_(to_millis(start)) {}
  [[nodiscard]] UnixMillis now() const override { return from_millis(ms_.load()); }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }

 private:
  std::atomic<std::int64_t> ms_;
};

// A deterministic generator of message texts: English words, 1 to about 60 of them, the
// lengths skewed short as in a chat.
class Texts {
 public:
  explicit Texts(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  std::uint64_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  std::string text() {
    static constexpr std::string_view kWords[] = {
        "the",     "a",       "see",    "you",     "tomorrow", "at",      "usual",  "place",
        "I",       "think",   "we",     "should",  "call",     "them",    "before", "noon",
        "train",   "was",     "late",   "again",   "did",      "get",     "my",     "message",
        "yes",     "no",      "maybe",  "later",   "coffee",   "after",   "work",   "meeting",
        "moved",   "to",      "Friday", "thanks",  "sounds",   "good",    "what",   "about",
        "dinner",  "send",    "me",     "the",     "address",  "please",  "on",     "my",
        "way",     "running", "ten",    "minutes", "behind",   "sorry",   "can",    "not",
        "believe", "it",      "rained", "all",     "day",      "weekend", "plans",  "ok"};
    const std::size_t roll = below(100);
    const std::size_t words = roll < 60 ? 1 + below(8) : roll < 90 ? 8 + below(18) : 25 + below(36);
    std::string out;
    for (std::size_t i = 0; i < words; ++i) {
      if (i > 0) out += ' ';
      out += kWords[below(std::size(kWords))];
    }
    out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    out += below(4) == 0 ? "?" : ".";
    return out;
  }

 private:
  std::uint64_t state_;
};

class Profile {
 public:
  Profile(fs::path dir, std::string name, std::string relay, const Clock* clock, bool fast_kdf)
      : dir_(std::move(dir)),
        name_(std::move(name)),
        relay_(std::move(relay)),
        clock_(clock),
        fast_kdf_(fast_kdf) {}
  ~Profile() { lock(); }

  void create(const SecureBytes& passphrase) {
    engine::Environment environment;
    environment.clock = clock_;
    engine_ = must(Engine::create({.profile_dir = dir_, .fast_kdf = fast_kdf_},
                                  std::move(environment), {name_, relay_}, passphrase),
                   "create");
    subscription_ = engine_->subscribe([this](const engine::Event& event) {
      if (std::holds_alternative<engine::AddressReady>(event)) ++address_ready_;
      if (std::holds_alternative<engine::ContactRequestReceived>(event)) ++requests_;
    });
  }
  void lock() {
    subscription_.reset();
    if (engine_) engine_->lock();
    engine_.reset();
  }
  Engine& engine() { return *engine_; }
  [[nodiscard]] std::size_t address_ready() const { return address_ready_; }
  [[nodiscard]] std::size_t requests() const { return requests_; }
  void sync() {
    must(await<void>([&](engine::Done<void> done) { engine().sync(120s, 200ms, std::move(done)); },
                     125s),
         "sync");
  }

 private:
  fs::path dir_;
  std::string name_;
  std::string relay_;
  const Clock* clock_;
  bool fast_kdf_;
  std::unique_ptr<Engine> engine_;
  engine::Subscription subscription_;
  std::atomic<std::size_t> address_ready_{0};
  std::atomic<std::size_t> requests_{0};
};

struct GenerateConfig {
  fs::path relay_bin;
  fs::path dir;
  std::size_t messages = 100'000;
  std::size_t chat_messages = 50'000;
  std::size_t chats = 50;
  std::size_t turn = 100;
  bool fast_kdf = false;
};

// Waits until `profile`'s newest message in `chat` is `text` (the last one sent to it).
void wait_newest(Profile& profile, ChatId chat, const std::string& text) {
  const bool arrived = wait_until(
      [&] {
        auto newest = profile.engine().messages(chat, {.before = {}, .limit = 1});
        return newest && !newest->empty() && newest->front().text == text;
      },
      600s);
  if (!arrived) die("a turn's last message did not arrive");
}

// `from` writes `texts` into its chat; returns once the other side has stored the last one.
void take_turn(Profile& from, ChatId from_chat, Profile& to, ChatId to_chat,
               const std::vector<std::string>& texts) {
  auto done = std::make_shared<std::atomic<std::size_t>>(0);
  auto refused = std::make_shared<std::atomic<std::size_t>>(0);
  for (const auto& text : texts) {
    from.engine().send_text(from_chat, text, [done, refused](Result<engine::MessageId> id) {
      if (!id) ++*refused;
      ++*done;
    });
  }
  if (!wait_until([&] { return done->load() == texts.size(); }, 600s) || refused->load() != 0) {
    die("a turn's messages were not all committed");
  }
  wait_newest(to, to_chat, texts.back());
}

int generate(const GenerateConfig& config) {
  if (config.chats < 1 || config.chat_messages > config.messages ||
      (config.chats == 1 && config.chat_messages != config.messages)) {
    die("--messages, --chat-messages and --chats do not fit together");
  }
  const auto started = Steady::now();
  fs::remove_all(config.dir);
  fs::create_directories(config.dir);
  RelayChild relay(config.relay_bin, config.dir / "relay", config.messages + 10'000);
  relay.start();

  const auto span = std::chrono::duration_cast<std::chrono::milliseconds>(24h * 90);
  SharedClock clock(
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) -
      span);
  const std::size_t expected_turns = std::max<std::size_t>(1, config.messages / config.turn);
  const auto step = span / static_cast<std::int64_t>(expected_turns + 1);

  Profile alice(config.dir / "profile", "Alice", relay.url(), &clock, config.fast_kdf);
  alice.create(env_passphrase());
  Texts texts(1);
  static constexpr std::string_view kNames[] = {"Mina",   "Jae",  "Sora", "Daniel", "Hana",
                                                "Oliver", "Yuna", "Leo",  "Ines",   "Tomas"};

  ChatId long_chat = 0;
  std::size_t written = 0;
  const std::size_t others = config.chats - 1;
  for (std::size_t c = 0; c < config.chats; ++c) {
    // The long chat last: it is the newest in the list.
    const bool is_long = c + 1 == config.chats;
    const std::size_t count =
        is_long ? config.chat_messages
                : (config.messages - config.chat_messages) / others +
                      (c < (config.messages - config.chat_messages) % others ? 1 : 0);
    const std::string name =
        std::string(kNames[c % std::size(kNames)]) + " " + std::to_string(c + 1);
    const auto chat_started = Steady::now();
    Profile contact(config.dir / "contacts" / std::to_string(c), name, relay.url(), &clock, true);
    contact.create(contact_passphrase());
    if (!wait_until([&] { return contact.address_ready() > 0; }, 60s)) die("no AddressReady");
    const auto link = must(contact.engine().invitation(), "invitation").link;
    const ChatId a_chat = must(await<ChatId>(
                                   [&](engine::Done<ChatId> done) {
                                     alice.engine().accept_invitation(link, std::move(done));
                                   },
                                   120s),
                               "accept_invitation");
    if (!wait_until([&] { return contact.requests() > 0; }, 60s)) die("no contact request");
    const auto requests = must(contact.engine().requests(), "requests");
    const ChatId b_chat =
        must(await<ChatId>(
                 [&](engine::Done<ChatId> done) {
                   contact.engine().accept_request(requests.front().id, std::move(done));
                 },
                 120s),
             "accept_request");
    const bool active = wait_until(
        [&] {
          auto list = alice.engine().chats();
          return list && std::any_of(list->begin(), list->end(), [&](const auto& s) {
                   return s.id == a_chat && s.state == engine::ChatState::Active;
                 });
        },
        60s);
    if (!active) die("a chat did not become active");

    // Turns, the contact first; the last turn is the contact's (something to read).
    std::size_t left = count;
    bool contact_turn = true;
    while (left > 0) {
      std::size_t n = std::min(left, 1 + texts.below(2 * config.turn - 1));
      // The last turn goes to the contact: stop Alice short of the end.
      if (!contact_turn && n == left && left > 1) n = left - 1;
      if (!contact_turn && left == 1) {
        contact_turn = true;
        continue;
      }
      std::vector<std::string> batch;
      for (std::size_t i = 0; i < n; ++i) batch.push_back(texts.text());
      // The last text of a turn must be told apart from any earlier one.
      batch.back() += " #" + std::to_string(written + n);
      if (contact_turn) {
        take_turn(contact, b_chat, alice, a_chat, batch);
      } else {
        take_turn(alice, a_chat, contact, b_chat, batch);
      }
      written += n;
      left -= n;
      contact_turn = !contact_turn;
      clock.advance(step);
    }
    if (c + 3 < config.chats) {
      const auto newest =
          must(alice.engine().messages(a_chat, {.before = {}, .limit = 1}), "newest");
      must(alice.engine().mark_read(a_chat, newest.front().id), "mark_read");
    }
    contact.sync();
    contact.lock();
    fs::remove_all(config.dir / "contacts" / std::to_string(c));
    if (is_long) long_chat = a_chat;
    std::fprintf(stderr, "  chat %zu of %zu: %zu messages in %.1f s (%zu in all)\n", c + 1,
                 config.chats, count, ms_between(chat_started, Steady::now()) / 1e3, written);
  }
  alice.sync();
  alice.lock();
  relay.stop();
  fs::remove_all(config.dir / "contacts");
  const double total_ms = ms_between(started, Steady::now());

  std::uintmax_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(config.dir / "profile")) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  char line[512];
  std::snprintf(line, sizeof line,
                "{\"kind\":\"generate\",\"port\":%d,\"chat\":%" PRId64
                ",\"messages\":%zu,\"chat_messages\":%zu,\"chats\":%zu,\"turn\":%zu,"
                "\"fast_kdf\":%s,\"generate_ms\":%.0f,\"profile_bytes\":%ju}\n",
                relay.port(), long_chat, written, config.chat_messages, config.chats, config.turn,
                config.fast_kdf ? "true" : "false", total_ms, bytes);
  std::ofstream(config.dir / "bench.json") << line;
  std::fputs(line, stdout);
  return 0;
}

// ---- app ------------------------------------------------------------------------------------

struct AppConfig {
  fs::path profile;
  ChatId chat = 0;
  std::size_t expect_messages = 0;
};

int run_app(const StartClock& clock, double main_ms, const AppConfig& config, int argc,
            char** argv) {
  qputenv("QT_QUICK_BACKEND", "software");
  QGuiApplication qapp(argc, argv);
  QGuiApplication::setOrganizationName(QStringLiteral("Exile"));
  QGuiApplication::setApplicationName(QStringLiteral("exile"));
  QGuiApplication::setApplicationDisplayName(QStringLiteral("Exile"));
  const double qguiapplication_ms = clock.ms();

  exile::app::AppOptions options;
  options.engine.profile_dir = config.profile;
  exile::app::AppWindow app_window(std::move(options));
  auto& controller = app_window.controller();
  controller.setLanguage(QStringLiteral("en"));
  controller.setIdleLockMinutes(0);
  if (controller.stage() != exile::app::AppController::Stage::Locked) die("no profile to unlock");
  if (!app_window.load()) die("the window could not be loaded");
  QQuickWindow* window = app_window.window();
  window->resize(1280, 800);
  window->show();
  const double qml_loaded_ms = clock.ms();

  const double first_frame_ms = wait_frame(
      window, clock, [] { return true; }, 60'000);
  if (first_frame_ms < 0) die("no first frame");

  double unlocked_ms = -1;
  double chats_ms = -1;
  QObject::connect(&controller, &exile::app::AppController::stageChanged, &controller, [&] {
    if (unlocked_ms < 0 && controller.stage() == exile::app::AppController::Stage::Unlocked) {
      unlocked_ms = clock.ms();
    }
  });
  QObject::connect(controller.chats(), &exile::app::ChatListModel::countChanged, &controller, [&] {
    if (chats_ms < 0 && controller.chats()->rowCount() > 0) chats_ms = clock.ms();
  });
  const double unlock_call_ms = clock.ms();
  {
    // The controller overwrites the copy it is given.
    const SecureBytes secret = env_passphrase();
    controller.unlock(QString::fromUtf8(reinterpret_cast<const char*>(secret.data()),
                                        static_cast<qsizetype>(secret.size())));
  }
  const double chat_list_ms = wait_frame(
      window, clock,
      [&] {
        if (controller.chats()->rowCount() == 0) return false;
        auto* list = find_named(window, QStringLiteral("chatListView"));
        return list != nullptr && list->property("count").toInt() > 0 &&
               shown(find_named(list, QStringLiteral("chatListItem_0")));
      },
      120'000);
  if (chat_list_ms < 0) die("the chat list was not shown: " + controller.error().toStdString());
  const std::size_t chats = static_cast<std::size_t>(controller.chats()->rowCount());
  const Memory chat_list_memory = memory();

  // Open the long chat.
  auto* model = controller.messages();
  const double open_call_ms = clock.ms();
  controller.openChat(config.chat);
  const double open_frame_ms = wait_frame(
      window, clock,
      [&] {
        if (model->chatId() != config.chat || model->rowCount() == 0) return false;
        auto* view = find_named(window, QStringLiteral("messageListView"));
        return view != nullptr && view->property("count").toInt() > 0 &&
               shown(find_named(view, QStringLiteral("messageItem_0")));
      },
      120'000);
  if (open_frame_ms < 0) die("the chat did not open");
  const Memory open_memory = memory();

  // Scroll to the top, one step a frame. The view follows the newest message until the user
  // moves away from it (ChatView.qml: atNewest, set when a movement ends); a flick upwards
  // clears it, so clear it the same way before the steps.
  auto* view = find_named(window, QStringLiteral("messageListView"));
  if (view->property("atNewest").isValid()) view->setProperty("atNewest", false);
  std::size_t frames = 0;
  std::size_t stepped_at = 0;
  std::size_t steps = 0;
  const auto counter =
      QObject::connect(window, &QQuickWindow::frameSwapped, window, [&] { ++frames; });
  const auto oldest_shown = [&] {
    if (!model->complete() || model->loading()) return false;
    const int count = view->property("count").toInt();
    auto* oldest = find_named(view, QStringLiteral("messageItem_%1").arg(count - 1));
    if (!shown(oldest)) return false;
    const QRectF rect = oldest->mapRectToItem(view, oldest->boundingRect());
    return rect.bottom() > 0 && rect.top() < view->height();
  };
  const double scroll_start_ms = clock.ms();
  const double scroll_end_ms = wait_frame(window, clock, oldest_shown, 600'000, [&] {
    if (frames > stepped_at || steps == 0) {
      stepped_at = frames;
      ++steps;
      QMetaObject::invokeMethod(view, "positionViewAtEnd");
      window->update();
    }
  });
  QObject::disconnect(counter);
  if (scroll_end_ms < 0) die("the scroll did not reach the oldest message");
  const std::size_t rows = static_cast<std::size_t>(model->rowCount());
  const Memory scrolled = memory();
  // Where the memory is: the delegates the message view holds (its content item's children)
  // and every item of the window.
  std::size_t delegates = 0;
  if (auto* content = view->property("contentItem").value<QQuickItem*>()) {
    delegates = static_cast<std::size_t>(content->childItems().size());
  }
  const std::function<std::size_t(QQuickItem*)> count_items = [&](QQuickItem* item) {
    std::size_t n = 1;
    const auto children = item->childItems();
    for (auto* child : children) n += count_items(child);
    return n;
  };
  const std::size_t items = count_items(window->contentItem());
  if (config.expect_messages != 0 && rows != config.expect_messages) {
    die("the chat shows " + std::to_string(rows) + " messages, expected " +
        std::to_string(config.expect_messages));
  }

  const double unlock_ms = unlocked_ms - unlock_call_ms;
  std::printf(
      "{\"kind\":\"app\",\"start_source\":\"%s\",\"main_ms\":%.1f,\"qguiapplication_ms\":%.1f,"
      "\"qml_loaded_ms\":%.1f,\"first_frame_ms\":%.1f,\"unlock_ms\":%.1f,\"chats_ms\":%.1f,"
      "\"chat_list_ms\":%.1f,\"chat_list_proc_ms\":%.1f,\"app_minus_unlock_ms\":%.1f,"
      "\"chats\":%zu,\"chat_list_rss_mib\":%.1f,\"open_ms\":%.1f,\"open_rss_mib\":%.1f,"
      "\"scroll_ms\":%.1f,\"scroll_steps\":%zu,\"scroll_frames\":%zu,\"rows\":%zu,"
      "\"delegates\":%zu,\"items\":%zu,\"rss_mib\":%.1f,\"hwm_mib\":%.1f}\n",
      clock.source(), main_ms, qguiapplication_ms, qml_loaded_ms, first_frame_ms, unlock_ms,
      chats_ms, chat_list_ms, chat_list_ms - clock.offset_ms(), chat_list_ms - unlock_ms, chats,
      chat_list_memory.rss_mib, open_frame_ms - open_call_ms, open_memory.rss_mib,
      scroll_end_ms - scroll_start_ms, steps, frames, rows, delegates, items, scrolled.rss_mib,
      scrolled.hwm_mib);
  std::fflush(stdout);
  return 0;
}

// ---- main -----------------------------------------------------------------------------------

constexpr char kUsage[] =
    "usage: exile-app-bench generate --relay-bin PATH --dir DIR [--messages N] "
    "[--chat-messages N] [--chats N] [--turn N] [--fast-kdf]\n"
    "       exile-app-bench app --profile DIR --chat ID [--expect-messages N]";

std::size_t positive(int& i, int argc, char** argv) {
  if (i + 1 >= argc) die(std::string(argv[i]) + " needs a value");
  char* end = nullptr;
  const long long v = std::strtoll(argv[++i], &end, 10);
  if (*end != '\0' || v <= 0) die(std::string(argv[i - 1]) + " needs a positive number");
  return static_cast<std::size_t>(v);
}

int main_(const StartClock& clock, double main_ms, int argc, char** argv) {
  if (argc < 2) die(kUsage);
  const std::string_view mode = argv[1];
  if (mode == "generate") {
    GenerateConfig config;
    for (int i = 2; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (arg == "--relay-bin" && i + 1 < argc) {
        config.relay_bin = argv[++i];
      } else if (arg == "--dir" && i + 1 < argc) {
        config.dir = argv[++i];
      } else if (arg == "--messages") {
        config.messages = positive(i, argc, argv);
      } else if (arg == "--chat-messages") {
        config.chat_messages = positive(i, argc, argv);
      } else if (arg == "--chats") {
        config.chats = positive(i, argc, argv);
      } else if (arg == "--turn") {
        config.turn = positive(i, argc, argv);
      } else if (arg == "--fast-kdf") {
        config.fast_kdf = true;
      } else {
        die(kUsage);
      }
    }
    if (config.relay_bin.empty() || config.dir.empty()) die(kUsage);
    QCoreApplication core(argc, argv);
    return generate(config);
  }
  if (mode == "app") {
    AppConfig config;
    for (int i = 2; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (arg == "--profile" && i + 1 < argc) {
        config.profile = argv[++i];
      } else if (arg == "--chat") {
        config.chat = static_cast<ChatId>(positive(i, argc, argv));
      } else if (arg == "--expect-messages") {
        config.expect_messages = positive(i, argc, argv);
      } else {
        die(kUsage);
      }
    }
    if (config.profile.empty() || config.chat == 0) die(kUsage);
    // Qt sees the program's name only.
    int qt_argc = 1;
    return run_app(clock, main_ms, config, qt_argc, argv);
  }
  die(kUsage);
}

}  // namespace
}  // namespace exile::bench::app

int main(int argc, char** argv) {
  const exile::bench::app::StartClock clock;
  const double main_ms = clock.ms();
  exile::bench::g_program = "exile-app-bench";
  return exile::bench::app::main_(clock, main_ms, argc, argv);
}
