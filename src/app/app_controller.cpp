#include "app/app_controller.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QLocale>
#include <QMetaObject>
#include <QSettings>
#include <QStringList>
#include <algorithm>
#include <type_traits>

#include "app/model_text.h"
#include "common/encoding.h"

namespace exile::app {
namespace {

constexpr int kChatRefreshMs = 30;   // events in a burst cost one chats() read
constexpr int kSearchDelayMs = 200;  // a search runs once typing pauses
constexpr std::size_t kSearchLimit = 500;

SecureBytes take_passphrase(const QString& text) {
  QByteArray utf8 = text.toUtf8();
  SecureBytes out(utf8.begin(), utf8.end());
  sodium_memzero(utf8.data(), static_cast<std::size_t>(utf8.size()));  // ours alone: wiped
  return out;
}

QString key_image_url(const std::vector<std::uint8_t>& cells) {
  QString digits;
  digits.reserve(static_cast<qsizetype>(cells.size()));
  for (auto c : cells) digits.append(QChar('0' + (c & 3)));
  return QStringLiteral("image://keyimage/") + digits;
}

}  // namespace

AppController::AppController(AppOptions options, QObject* parent)
    : QObject(parent), options_(std::move(options)) {
  worker_.setMaxThreadCount(1);  // the calls run in the order they were made
  QSettings settings;
  idle_lock_minutes_ = settings.value(QStringLiteral("idle_lock_minutes"), 15).toInt();
  language_ = settings.value(QStringLiteral("language")).toString();
  stage_ = engine::profile_exists(options_.engine.profile_dir) ? Stage::Locked : Stage::NoProfile;

  idle_timer_.setSingleShot(true);
  connect(&idle_timer_, &QTimer::timeout, this, [this] {
    if (stage_ == Stage::Unlocked) lock();
  });
  chat_refresh_timer_.setSingleShot(true);
  chat_refresh_timer_.setInterval(kChatRefreshMs);
  connect(&chat_refresh_timer_, &QTimer::timeout, this, [this] { refresh_chats(); });
  // Messages added or changed in a burst (a read marks many) are read back together.
  changed_timer_.setSingleShot(true);
  changed_timer_.setInterval(0);
  connect(&changed_timer_, &QTimer::timeout, this, [this] { read_changed(); });
  search_timer_.setSingleShot(true);
  search_timer_.setInterval(kSearchDelayMs);
  connect(&search_timer_, &QTimer::timeout, this, [this] { run_search(); });

  messages_.set_loader(
      [this](engine::ChatId chat, std::optional<engine::MessageId> before, std::size_t limit) {
        on_engine<std::vector<engine::MessageView>>(
            [chat, before, limit](engine::Engine& e) {
              return e.messages(chat, engine::Page{before, limit});
            },
            [this, chat, before](Result<std::vector<engine::MessageView>> page) {
              std::vector<engine::MessageView> rows;
              if (page) {
                rows.swap(*page);
              } else {
                show_error(page.error());
              }
              messages_.page_loaded(chat, before, std::move(rows));
            });
      });
}

AppController::~AppController() {
  close_engine();
  worker_.waitForDone();  // an unlock still running: its engine is dropped, locked
}

template <class T>
void AppController::on_engine(std::function<Result<T>(engine::Engine&)> call,
                              std::function<void(Result<T>)> then) {
  if (!host_) return;
  engine::Engine* e = &host_->engine();
  // The engine outlives every task: close_engine() locks it, then waits for the worker.
  worker_.start([this, e, call = std::move(call), then = std::move(then)]() mutable {
    auto result = std::make_shared<Result<T>>(call(*e));
    QMetaObject::invokeMethod(
        this, [then = std::move(then), result] { then(std::move(*result)); }, Qt::QueuedConnection);
  });
}

void AppController::begin_busy() {
  if (busy_++ == 0) Q_EMIT busyChanged();
}

void AppController::end_busy() {
  if (--busy_ == 0) Q_EMIT busyChanged();
}

void AppController::show_error(const Error& error, const QString& invalid_input) {
  // Every text is the app's own, in the UI language: the engine's messages are English and are
  // written for logs and the CLI, so they are not shown here (the code number is, for reports).
  QString text;
  switch (error.code) {
    case ErrorCode::ProfileLocked: return;  // the window has already gone to the lock screen
    case ErrorCode::WrongPassphrase: text = tr("Wrong passphrase."); break;
    case ErrorCode::ProfileInUse:
      text = tr("This profile is open in another window or program.");
      break;
    case ErrorCode::DiskFull:
      text = tr("The disk is full. Nothing was lost; free some space and try again.");
      break;
    case ErrorCode::StorageIo:
      text = tr("The profile could not be read or written. Check the disk and try again.");
      break;
    case ErrorCode::DatabaseCorrupt:
    case ErrorCode::KeyFileCorrupt:
      text = tr("The profile is damaged and cannot be opened. Restore it from a backup.");
      break;
    case ErrorCode::SchemaTooNew:
      text = tr("This profile was written by a newer version of Exile.");
      break;
    case ErrorCode::RelayInsecureUrl:
      text = tr("A relay on another computer must use wss:// (an encrypted connection).");
      break;
    case ErrorCode::RelayInvalidUrl:
      text = tr("That is not a relay address (wss://host or ws://127.0.0.1:port).");
      break;
    case ErrorCode::RelayTlsFailed: text = tr("The relay's certificate is not trusted."); break;
    case ErrorCode::InvalidArgument:
    case ErrorCode::InvalidEncoding:
    case ErrorCode::MalformedMessage:
      text = invalid_input.isEmpty() ? tr("That was not accepted. Check what you entered.")
                                     : invalid_input;
      break;
    default:
      if (static_cast<int>(error.code) >= 400 && static_cast<int>(error.code) < 500) {
        text = tr("The relay could not be reached or refused the request. Exile will keep trying.");
      } else {
        text = tr("Something went wrong (error %1).").arg(static_cast<int>(error.code));
      }
  }
  error_ = text;
  Q_EMIT errorChanged();
}

void AppController::clearError() {
  if (error_.isEmpty()) return;
  error_.clear();
  Q_EMIT errorChanged();
}

engine::PassphraseStrength AppController::strength(const QString& passphrase) {
  const SecureBytes secret = take_passphrase(passphrase);
  return engine::passphrase_strength(
      std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()));
}

int AppController::passphraseStrength(const QString& passphrase) const {
  return strength(passphrase).score;
}

bool AppController::passphraseAcceptable(const QString& passphrase) const {
  return strength(passphrase).acceptable;
}

void AppController::createProfile(const QString& name, const QString& passphrase,
                                  const QString& relay) {
  if (stage_ != Stage::NoProfile || busy()) return;
  if (!passphraseAcceptable(passphrase)) {
    error_ = tr("Choose a longer, less predictable passphrase.");
    Q_EMIT errorChanged();
    return;
  }
  clearError();
  begin_busy();
  auto secret = std::make_shared<SecureBytes>(take_passphrase(passphrase));
  engine::ProfileSpec spec{name.trimmed().toStdString(), relay.trimmed().toStdString()};
  start_engine([options = options_, spec, secret]() {
    return engine::Engine::create(options.engine, options.environment, spec, *secret);
  });
}

void AppController::unlock(const QString& passphrase) {
  if (stage_ != Stage::Locked || busy()) return;
  clearError();
  begin_busy();
  auto secret = std::make_shared<SecureBytes>(take_passphrase(passphrase));
  start_engine([options = options_, secret]() {
    return engine::Engine::unlock(options.engine, options.environment, *secret);
  });
}

void AppController::start_engine(std::function<Result<std::unique_ptr<engine::Engine>>()> open) {
  worker_.start([this, open = std::move(open)]() mutable {
    auto opened = std::make_shared<Result<std::unique_ptr<engine::Engine>>>(open());
    QMetaObject::invokeMethod(
        this, [this, opened] { engine_opened(std::move(*opened)); }, Qt::QueuedConnection);
  });
}

void AppController::engine_opened(Result<std::unique_ptr<engine::Engine>> opened) {
  if (!opened) {
    end_busy();
    return show_error(opened.error(),
                      stage_ == Stage::NoProfile
                          ? tr("Check your name (up to 64 bytes) and the relay address.")
                          : QString());
  }
  host_ = std::make_unique<engine::QtHost>(std::move(*opened));
  connect(host_.get(), &engine::QtHost::engine_event, this,
          [this](const engine::Event& event) { on_event(event); });
  // The reads go to the worker first: the window's answer to stageChanged (the main screen made
  // visible) takes a frame's time on this thread, and the chat list is read meanwhile.
  refresh_chats();
  refresh_requests();
  on_engine<std::string>([](engine::Engine& e) { return e.display_name(); },
                         [this](Result<std::string> name) {
                           if (!name) return;
                           display_name_ = to_qstring(*name);
                           Q_EMIT profileChanged();
                         });
  load_invitation();
  // The stage changes before busy ends: the window makes the main screen while the unlock runs
  // (busy and Locked), and would drop it if it saw "not busy" while still Locked.
  stage_ = Stage::Unlocked;
  end_busy();
  Q_EMIT stageChanged();
  userActive();
  if (!pending_link_.isEmpty()) Q_EMIT pendingLinkChanged();  // the window asks now
}

void AppController::close_engine() {
  if (!host_) return;
  host_->lock();          // every call still queued on the worker fails at once
  worker_.waitForDone();  // and none is left holding the engine
  host_.reset();
}

void AppController::lock() {
  if (stage_ != Stage::Unlocked) return;
  idle_timer_.stop();
  close_engine();
  // Nothing of the profile stays in memory the window could show.
  messages_.open(0);
  chats_.set_chats({});
  chats_.set_filter(std::nullopt);
  requests_.set_requests({});
  current_chat_ = 0;
  changed_.clear();
  current_chat_info_.clear();
  verification_.clear();
  display_name_.clear();
  invitation_link_.clear();
  search_text_.clear();
  typing_chat_ = 0;
  relays_connected_ = relays_total_ = 0;
  stage_ = Stage::Locked;
  Q_EMIT currentChatChanged();
  Q_EMIT currentChatInfoChanged();
  Q_EMIT verificationChanged();
  Q_EMIT profileChanged();
  Q_EMIT invitationChanged();
  Q_EMIT searchTextChanged();
  Q_EMIT relayStatusChanged();
  Q_EMIT stageChanged();
}

void AppController::userActive() {
  if (stage_ != Stage::Unlocked) return;
  if (idle_lock_minutes_ > 0) {
    idle_timer_.start(idle_minute_ * idle_lock_minutes_);
  } else {
    idle_timer_.stop();
  }
}

void AppController::setIdleLockMinutes(int minutes) {
  minutes = std::clamp(minutes, 0, 24 * 60);
  if (minutes == idle_lock_minutes_) return;
  idle_lock_minutes_ = minutes;
  QSettings().setValue(QStringLiteral("idle_lock_minutes"), minutes);
  Q_EMIT idleLockMinutesChanged();
  userActive();
}

void AppController::setLanguage(const QString& language) {
  if (language == language_) return;
  language_ = language;
  QSettings().setValue(QStringLiteral("language"), language);
  Q_EMIT languageChanged();
}

void AppController::set_pending_link(const QString& link) {
  pending_link_ = link.trimmed();
  Q_EMIT pendingLinkChanged();
}

void AppController::confirmPendingLink() {
  const QString link = std::exchange(pending_link_, {});
  Q_EMIT pendingLinkChanged();
  if (!link.isEmpty()) acceptInvitation(link);
}

void AppController::dismissPendingLink() {
  pending_link_.clear();
  Q_EMIT pendingLinkChanged();
}

void AppController::load_invitation() {
  on_engine<engine::InvitationView>([](engine::Engine& e) { return e.invitation(); },
                                    [this](Result<engine::InvitationView> invitation) {
                                      if (!invitation)
                                        return;  // AddressPending: AddressReady brings it
                                      invitation_link_ = to_qstring(invitation->link);
                                      Q_EMIT invitationChanged();
                                    });
}

void AppController::refresh_chats() {
  on_engine<std::vector<engine::ChatSummary>>(
      [](engine::Engine& e) { return e.chats(); },
      [this](Result<std::vector<engine::ChatSummary>> chats) {
        if (!chats) return show_error(chats.error());
        chats_.set_chats(std::move(*chats));
        update_current_info();
      });
}

void AppController::refresh_requests() {
  on_engine<std::vector<engine::ContactRequest>>(
      [](engine::Engine& e) { return e.requests(); },
      [this](Result<std::vector<engine::ContactRequest>> requests) {
        if (!requests) return show_error(requests.error());
        requests_.set_requests(std::move(*requests));
      });
}

void AppController::schedule_chat_refresh() {
  if (!chat_refresh_timer_.isActive()) chat_refresh_timer_.start();
}

void AppController::setSearchText(const QString& text) {
  if (text == search_text_) return;
  search_text_ = text;
  Q_EMIT searchTextChanged();
  if (text.trimmed().isEmpty()) {
    search_timer_.stop();
    chats_.set_filter(std::nullopt);
  } else {
    search_timer_.start();
  }
}

void AppController::run_search() {
  const QString query = search_text_.trimmed();
  if (query.isEmpty()) return;
  on_engine<std::vector<engine::MessageView>>(
      [q = query.toStdString()](engine::Engine& e) {
        return e.search(q, std::nullopt, kSearchLimit);
      },
      [this, query](Result<std::vector<engine::MessageView>> found) {
        if (query != search_text_.trimmed()) return;  // a newer search is on its way
        // Chats whose name matches come first, then those with matching messages.
        std::vector<engine::ChatId> chats = chats_.named(query);
        if (found) {
          for (const auto& m : *found) {
            if (std::find(chats.begin(), chats.end(), m.chat) == chats.end()) {
              chats.push_back(m.chat);
            }
          }
        }
        chats_.set_filter(std::move(chats));
      });
}

void AppController::acceptInvitation(const QString& link) {
  if (!host_) return;
  clearError();
  begin_busy();
  const std::string text = link.trimmed().toStdString();
  host_->run<engine::ChatId>(
      this, [this, &text](auto done) { host_->engine().accept_invitation(text, std::move(done)); },
      [this](Result<engine::ChatId> chat) {
        end_busy();
        if (!chat) {
          return show_error(chat.error(), tr("This is not a valid Exile invitation link."));
        }
        refresh_chats();
        openChat(*chat);
      });
}

void AppController::acceptRequest(qint64 request) {
  if (!host_) return;
  begin_busy();
  host_->run<engine::ChatId>(
      this,
      [this, request](auto done) { host_->engine().accept_request(request, std::move(done)); },
      [this](Result<engine::ChatId> chat) {
        end_busy();
        refresh_requests();
        if (!chat) return show_error(chat.error());
        refresh_chats();
        openChat(*chat);
      });
}

void AppController::declineRequest(qint64 request) {
  on_engine<void>([request](engine::Engine& e) { return e.decline_request(request); },
                  [this](Result<void> done) {
                    refresh_requests();
                    if (!done) return show_error(done.error());
                    Q_EMIT notice(tr("Request declined"));
                  });
}

void AppController::openChat(qint64 chat) {
  if (!host_ || chat == current_chat_) return;
  current_chat_ = chat;
  changed_.clear();
  verification_.clear();
  Q_EMIT verificationChanged();
  Q_EMIT currentChatChanged();
  update_current_info();
  messages_.open(chat);
}

void AppController::closeChat() {
  if (current_chat_ == 0) return;
  current_chat_ = 0;
  changed_.clear();
  messages_.open(0);
  update_current_info();
  Q_EMIT currentChatChanged();
}

void AppController::update_current_info() {
  QVariantMap info;
  if (const auto* c = current_chat_ != 0 ? chats_.find(current_chat_) : nullptr) {
    info[QStringLiteral("id")] = QVariant::fromValue<qint64>(c->id);
    info[QStringLiteral("name")] = to_qstring(c->contact_name);
    info[QStringLiteral("verified")] = c->verified;
    info[QStringLiteral("timerSeconds")] = static_cast<int>(c->timer_seconds.value_or(0));
    info[QStringLiteral("state")] = chat_state_name(c->state);
    info[QStringLiteral("typing")] = typing_chat_ == c->id;
  }
  if (info == current_chat_info_) return;
  current_chat_info_ = info;
  Q_EMIT currentChatInfoChanged();
}

void AppController::sendText(const QString& text) {
  if (!host_ || current_chat_ == 0 || text.trimmed().isEmpty()) return;
  const engine::ChatId chat = current_chat_;
  // The completion form: the UI thread never waits for the commit (engine.h).
  host_->engine().send_text(
      chat, text.toStdString(),
      host_->deliver_here<engine::MessageId>(this, [this](Result<engine::MessageId> sent) {
        if (!sent) show_error(sent.error());
      }));
}

void AppController::retry(qint64 message) {
  if (!host_ || current_chat_ == 0) return;
  // The engine sends the text again and removes the failed message in one commit: the view
  // gets MessageDeleted and MessageAdded, and never shows both.
  host_->engine().retry(
      current_chat_, static_cast<engine::MessageId>(message),
      host_->deliver_here<engine::MessageId>(this, [this](Result<engine::MessageId> sent) {
        if (!sent && sent.error().code != ErrorCode::NotFound) show_error(sent.error());
      }));
}

void AppController::setTyping(bool typing) {
  if (!host_ || current_chat_ == 0) return;
  on_engine<void>(
      [chat = current_chat_, typing](engine::Engine& e) { return e.set_typing(chat, typing); },
      [](Result<void>) {});  // best effort: a lost typing signal is harmless
}

void AppController::markRead() {
  const auto newest = messages_.newest_incoming();
  if (!host_ || current_chat_ == 0 || !newest) return;
  const auto* c = chats_.find(current_chat_);
  if (c != nullptr && c->unread == 0 && newest <= last_marked_read_) return;
  last_marked_read_ = *newest;
  on_engine<void>([chat = current_chat_,
                   up_to = *newest](engine::Engine& e) { return e.mark_read(chat, up_to); },
                  [this](Result<void> done) {
                    if (!done) show_error(done.error());
                  });
}

void AppController::setTimer(int seconds) {
  if (!host_ || current_chat_ == 0) return;
  std::optional<std::uint32_t> timer;
  if (seconds > 0) timer = static_cast<std::uint32_t>(seconds);
  on_engine<void>(
      [chat = current_chat_, timer](engine::Engine& e) { return e.set_timer(chat, timer); },
      [this](Result<void> done) {
        if (!done) show_error(done.error());
      });
}

void AppController::deleteForBoth(qint64 message) {
  if (!host_ || current_chat_ == 0) return;
  on_engine<void>([chat = current_chat_,
                   message](engine::Engine& e) { return e.delete_for_both(chat, message); },
                  [this](Result<void> done) {
                    if (!done) show_error(done.error());
                  });
}

void AppController::loadVerification() {
  if (!host_ || current_chat_ == 0) return;
  on_engine<engine::Verification>(
      [chat = current_chat_](engine::Engine& e) { return e.verification(chat); },
      [this, chat = current_chat_](Result<engine::Verification> v) {
        if (chat != current_chat_) return;
        if (!v) return show_error(v.error());
        QVariantMap map;
        const QString number = to_qstring(v->safety_number);
        map[QStringLiteral("safetyNumber")] = number;
        map[QStringLiteral("groups")] = number.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        map[QStringLiteral("keyImage")] = key_image_url(v->key_image);
        map[QStringLiteral("qrText")] = QString::fromStdString(to_hex(v->qr_payload));
        map[QStringLiteral("verified")] = v->verified;
        verification_ = map;
        Q_EMIT verificationChanged();
      });
}

void AppController::markVerified(bool verified) {
  if (!host_ || current_chat_ == 0) return;
  on_engine<void>([chat = current_chat_,
                   verified](engine::Engine& e) { return e.mark_verified(chat, verified); },
                  [this](Result<void> done) {
                    if (!done) return show_error(done.error());
                    loadVerification();
                    schedule_chat_refresh();
                  });
}

void AppController::copyToClipboard(const QString& text) {
  if (auto* clipboard = QGuiApplication::clipboard()) clipboard->setText(text);
  Q_EMIT notice(tr("Copied"));
}

QVariantList AppController::timerChoices() const {
  const auto choice = [](int seconds, const QString& label) {
    return QVariantMap{{QStringLiteral("seconds"), seconds}, {QStringLiteral("label"), label}};
  };
  return {choice(0, tr("Off")),       choice(5, tr("5 seconds")),   choice(30, tr("30 seconds")),
          choice(60, tr("1 minute")), choice(300, tr("5 minutes")), choice(3600, tr("1 hour")),
          choice(86400, tr("1 day")), choice(604800, tr("1 week"))};
}

void AppController::refresh_message(engine::ChatId chat, engine::MessageId message) {
  if (chat != current_chat_) return;
  changed_.insert(message);
  if (!changed_timer_.isActive()) changed_timer_.start();
}

void AppController::read_changed() {
  if (changed_.empty() || current_chat_ == 0) return changed_.clear();
  const engine::ChatId chat = current_chat_;
  auto ids = std::exchange(changed_, {});
  // One read of the page from the newest changed id down to the oldest: a chat holds at most
  // (newest - oldest + 1) messages in that span (ids grow across the whole profile).
  const engine::MessageId newest = *ids.rbegin();
  const auto span = static_cast<std::size_t>(newest - *ids.begin() + 1);
  const std::size_t limit = std::min(span, MessageListModel::kMaxPageSize);
  on_engine<std::vector<engine::MessageView>>(
      [chat, newest, limit](engine::Engine& e) {
        return e.messages(chat, engine::Page{newest + 1, limit});
      },
      [this, chat, limit, ids = std::move(ids)](Result<std::vector<engine::MessageView>> found) {
        if (!found || chat != current_chat_) return;
        for (const auto& m : *found) {  // oldest first
          if (ids.contains(m.id)) messages_.upsert(m);
        }
        // A full page may not reach the oldest ones of a wide span: those get a read of their own.
        if (found->size() < limit) return;
        for (const auto id : ids) {
          if (id < found->front().id) changed_.insert(id);
        }
        if (!changed_.empty() && !changed_timer_.isActive()) changed_timer_.start();
      });
}

void AppController::on_event(const engine::Event& event) {
  std::visit(
      [this](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, engine::MessageAdded>) {
          if (e.chat == current_chat_) {
            refresh_message(e.chat, e.message);
          } else {
            Q_EMIT messageArrived(e.chat);
          }
          schedule_chat_refresh();
        } else if constexpr (std::is_same_v<E, engine::MessageChanged>) {
          if (e.chat == current_chat_) refresh_message(e.chat, e.message);
          schedule_chat_refresh();
        } else if constexpr (std::is_same_v<E, engine::MessageDeleted>) {
          if (e.chat == current_chat_) messages_.remove(e.message);
          schedule_chat_refresh();
        } else if constexpr (std::is_same_v<E, engine::ChatChanged>) {
          schedule_chat_refresh();
          if (e.chat == current_chat_ && !verification_.isEmpty()) loadVerification();
        } else if constexpr (std::is_same_v<E, engine::ContactRequestReceived>) {
          refresh_requests();
        } else if constexpr (std::is_same_v<E, engine::TypingChanged>) {
          if (e.typing) {
            typing_chat_ = e.chat;
          } else if (typing_chat_ == e.chat) {
            typing_chat_ = 0;
          }
          update_current_info();
        } else if constexpr (std::is_same_v<E, engine::RelayStatus>) {
          relays_connected_ = static_cast<int>(e.connected);
          relays_total_ = static_cast<int>(e.relays);
          Q_EMIT relayStatusChanged();
        } else if constexpr (std::is_same_v<E, engine::AddressReady>) {
          load_invitation();
        } else if constexpr (std::is_same_v<E, engine::EngineError>) {
          show_error(e.error);
        }
      },
      event);
}

void AppController::set_idle_minute_for_tests(std::chrono::milliseconds minute) {
  idle_minute_ = minute;
  userActive();
}

engine::Engine* AppController::engine_for_tests() { return host_ ? &host_->engine() : nullptr; }

}  // namespace exile::app
