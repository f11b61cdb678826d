// AppController: what the QML sees of a profile. It adapts the engine (engine.h, through its
// QtHost) to properties, list models and invokable calls, and holds no logic of its own: each
// call is one engine call, so that the app can do nothing exile-cli cannot
// (docs/architecture.md, "The app").
//
// THREADS. The controller lives on the UI thread and never waits there for the database or a
// relay. Engine calls that answer at once (reads, mark_read, set_timer, …) run in order on one
// worker thread of the controller's own and their answers come back as queued calls; calls with
// a completion (send_text, accept_invitation, accept_request) deliver it through the QtHost.
// Creating or unlocking a profile (Argon2id, seconds) runs on that worker too.
//
// SECRETS. A passphrase arrives from QML as a QString (the text field holds it anyway); it is
// copied into SecureBytes at once and the copy the controller received is overwritten. Message
// text, names and links are shown, never logged.
#pragma once

#include <QObject>
#include <QString>
#include <QThreadPool>
#include <QTimer>
#include <QVariantList>
#include <QVariantMap>
#include <functional>
#include <memory>
#include <optional>
#include <set>

#include "app/chat_list_model.h"
#include "app/message_list_model.h"
#include "app/request_list_model.h"
#include "common/clock.h"
#include "engine/engine.h"
#include "engine/qt_host.h"

namespace exile::app {

struct AppOptions {
  engine::Options engine;           // profile_dir: where the profile lives (or will)
  engine::Environment environment;  // the seams; tests inject a clock
  QString default_relay;            // offered on the first-run screen
};

class AppController final : public QObject {
  Q_OBJECT
  // Which screen the window shows.
  Q_PROPERTY(Stage stage READ stage NOTIFY stageChanged)
  // True while a call the user waits for runs (creating, unlocking, accepting).
  Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
  // The last failure the user should see, translated; empty when none. clearError() empties it.
  Q_PROPERTY(QString error READ error NOTIFY errorChanged)
  Q_PROPERTY(QString displayName READ displayName NOTIFY profileChanged)
  Q_PROPERTY(QString defaultRelay READ defaultRelay CONSTANT)
  // Our invitation link (exile://invite/v1/…); empty until the contact address is published.
  Q_PROPERTY(QString invitationLink READ invitationLink NOTIFY invitationChanged)
  Q_PROPERTY(int relaysConnected READ relaysConnected NOTIFY relayStatusChanged)
  Q_PROPERTY(int relaysTotal READ relaysTotal NOTIFY relayStatusChanged)
  // Every chat (active, requested), newest activity first, filtered by searchText.
  Q_PROPERTY(exile::app::ChatListModel* chats READ chats CONSTANT)
  // Contact requests waiting for accept or decline.
  Q_PROPERTY(exile::app::RequestListModel* requests READ requests CONSTANT)
  // The open chat's messages, newest first (a ListView shows them bottom to top).
  Q_PROPERTY(exile::app::MessageListModel* messages READ messages CONSTANT)
  // Chats whose name or message text matches; the chat list shows these while it is not empty.
  Q_PROPERTY(QString searchText READ searchText WRITE setSearchText NOTIFY searchTextChanged)
  // The open chat (0: none) and what its header shows:
  //   {id, name, verified (bool), timerSeconds (int, 0 = off), state ("active", "requested"),
  //    typing (bool)}
  Q_PROPERTY(qint64 currentChat READ currentChat NOTIFY currentChatChanged)
  Q_PROPERTY(QVariantMap currentChatInfo READ currentChatInfo NOTIFY currentChatInfoChanged)
  // The open chat's verification, after loadVerification():
  //   {safetyNumber (string, 12 groups of 5 separated by spaces), groups (list of 12 strings),
  //    keyImage (url of a 144-cell image), qrText (string to show as a QR code), verified (bool)}
  Q_PROPERTY(QVariantMap verification READ verification NOTIFY verificationChanged)
  // Lock after this many minutes without input (0: never). Kept in the app's settings.
  Q_PROPERTY(int idleLockMinutes READ idleLockMinutes WRITE setIdleLockMinutes NOTIFY
                 idleLockMinutesChanged)
  // "" follows the system locale; otherwise "en" or "ko". Kept in the app's settings.
  Q_PROPERTY(QString language READ language WRITE setLanguage NOTIFY languageChanged)
  // The self-destruct timer choices, {seconds, label}, labels in the UI language.
  Q_PROPERTY(QVariantList timerChoices READ timerChoices NOTIFY translationsChanged)
  // An exile:// link the app was started with, waiting for the user's confirmation.
  Q_PROPERTY(QString pendingLink READ pendingLink NOTIFY pendingLinkChanged)

 public:
  enum class Stage { NoProfile, Locked, Unlocked };
  Q_ENUM(Stage)

  explicit AppController(AppOptions options, QObject* parent = nullptr);
  ~AppController() override;
  AppController(const AppController&) = delete;
  AppController& operator=(const AppController&) = delete;

  // 0 (very weak) … 4 (strong); and whether it passes the floor createProfile() enforces.
  Q_INVOKABLE int passphraseStrength(const QString& passphrase) const;
  Q_INVOKABLE bool passphraseAcceptable(const QString& passphrase) const;

  Q_INVOKABLE void createProfile(const QString& name, const QString& passphrase,
                                 const QString& relay);
  Q_INVOKABLE void unlock(const QString& passphrase);
  Q_INVOKABLE void lock();
  // Any input in the window: restarts the idle countdown.
  Q_INVOKABLE void userActive();
  Q_INVOKABLE void clearError();

  Q_INVOKABLE void acceptInvitation(const QString& link);  // opens the new chat when done
  Q_INVOKABLE void confirmPendingLink();                   // accepts pendingLink
  Q_INVOKABLE void dismissPendingLink();
  Q_INVOKABLE void acceptRequest(qint64 request);  // opens the chat when done
  Q_INVOKABLE void declineRequest(qint64 request);

  Q_INVOKABLE void openChat(qint64 chat);
  Q_INVOKABLE void closeChat();
  // To the open chat. Empty or whitespace-only text is ignored.
  Q_INVOKABLE void sendText(const QString& text);
  // Sends a failed message's text again as a new message.
  Q_INVOKABLE void retry(qint64 message);
  Q_INVOKABLE void setTyping(bool typing);
  // Marks the open chat's incoming messages read up to its newest (while the window is active).
  Q_INVOKABLE void markRead();
  Q_INVOKABLE void setTimer(int seconds);  // 0: off; else 5 … 604800
  Q_INVOKABLE void deleteForBoth(qint64 message);
  Q_INVOKABLE void loadVerification();
  Q_INVOKABLE void markVerified(bool verified);
  Q_INVOKABLE void copyToClipboard(const QString& text);
  // Timer choices for the chat info page: list of {seconds, label}, in the UI language.
  [[nodiscard]] QVariantList timerChoices() const;

  // Called once the translator of the language now set is installed: what C++ translates
  // (timerChoices) is read again. QML re-reads bindings on languageChanged before any C++ slot
  // runs, so that signal is too early for them.
  void translations_installed() { Q_EMIT translationsChanged(); }
  // The link from the command line (before or after unlocking).
  void set_pending_link(const QString& link);
  // For tests: the engine, once unlocked (null otherwise). Calls on it block the caller.
  [[nodiscard]] engine::Engine* engine_for_tests();
  // For tests: the length of a minute of the idle lock (a minute otherwise).
  void set_idle_minute_for_tests(std::chrono::milliseconds minute);
  // For tests: runs `task` on the worker, in order with the engine calls (one that waits holds
  // back an unlock queued after it, as a slow Argon2id would).
  void run_on_worker_for_tests(std::function<void()> task) { worker_.start(std::move(task)); }

  [[nodiscard]] Stage stage() const { return stage_; }
  [[nodiscard]] bool busy() const { return busy_ > 0; }
  [[nodiscard]] QString error() const { return error_; }
  [[nodiscard]] QString displayName() const { return display_name_; }
  [[nodiscard]] QString defaultRelay() const { return options_.default_relay; }
  [[nodiscard]] QString invitationLink() const { return invitation_link_; }
  [[nodiscard]] int relaysConnected() const { return relays_connected_; }
  [[nodiscard]] int relaysTotal() const { return relays_total_; }
  [[nodiscard]] ChatListModel* chats() { return &chats_; }
  [[nodiscard]] RequestListModel* requests() { return &requests_; }
  [[nodiscard]] MessageListModel* messages() { return &messages_; }
  [[nodiscard]] QString searchText() const { return search_text_; }
  void setSearchText(const QString& text);
  [[nodiscard]] qint64 currentChat() const { return current_chat_; }
  [[nodiscard]] QVariantMap currentChatInfo() const { return current_chat_info_; }
  [[nodiscard]] QVariantMap verification() const { return verification_; }
  [[nodiscard]] int idleLockMinutes() const { return idle_lock_minutes_; }
  void setIdleLockMinutes(int minutes);
  [[nodiscard]] QString language() const { return language_; }
  void setLanguage(const QString& language);
  [[nodiscard]] QString pendingLink() const { return pending_link_; }

 Q_SIGNALS:
  void stageChanged();
  void busyChanged();
  void errorChanged();
  void profileChanged();
  void invitationChanged();
  void relayStatusChanged();
  void searchTextChanged();
  void currentChatChanged();
  void currentChatInfoChanged();
  void verificationChanged();
  void idleLockMinutesChanged();
  void languageChanged();
  void translationsChanged();
  void pendingLinkChanged();
  // A short message for a toast ("Copied", "Request declined").
  void notice(const QString& text);
  // A message arrived in a chat that is not open (for a desktop notification: no text in it).
  void messageArrived(qint64 chat);

 private:
  [[nodiscard]] static engine::PassphraseStrength strength(const QString& passphrase);
  // Runs `call` on the worker with the engine, then `then` with its answer on this thread.
  template <class T>
  void on_engine(std::function<Result<T>(engine::Engine&)> call,
                 std::function<void(Result<T>)> then);
  void start_engine(std::function<Result<std::unique_ptr<engine::Engine>>()> open);
  void engine_opened(Result<std::unique_ptr<engine::Engine>> opened);
  void close_engine();
  void on_event(const engine::Event& event);
  // `invalid_input`: what to say for InvalidArgument in this context (a generic text if empty).
  void show_error(const Error& error, const QString& invalid_input = {});
  void begin_busy();
  void end_busy();
  void load_invitation();
  void refresh_chats();
  void refresh_requests();
  void schedule_chat_refresh();
  void run_search();
  void update_current_info();
  // Queues `message` of the open chat to be read back; read_changed() reads the queue at once.
  void refresh_message(engine::ChatId chat, engine::MessageId message);
  void read_changed();

  AppOptions options_;
  Stage stage_ = Stage::NoProfile;
  int busy_ = 0;
  QString error_;
  QString display_name_;
  QString invitation_link_;
  int relays_connected_ = 0;
  int relays_total_ = 0;
  ChatListModel chats_;
  RequestListModel requests_;
  MessageListModel messages_;
  QString search_text_;
  qint64 current_chat_ = 0;
  QVariantMap current_chat_info_;
  QVariantMap verification_;
  int idle_lock_minutes_ = 15;
  QString language_;
  QString pending_link_;
  QTimer idle_timer_;
  std::chrono::milliseconds idle_minute_{std::chrono::minutes(1)};
  QTimer chat_refresh_timer_;
  QTimer search_timer_;
  QTimer changed_timer_;
  std::set<engine::MessageId> changed_;  // of the open chat, to be read back
  engine::ChatId typing_chat_ = 0;       // whose contact is typing (0: none)
  std::optional<engine::MessageId> last_marked_read_;
  std::unique_ptr<engine::QtHost> host_;
  // The worker: one thread that runs the calls that wait for the database (or Argon2id), in the
  // order they were made; their answers come back as queued calls. Last, so destroyed first: its
  // destructor waits for a task still running, while everything that task touches exists.
  QThreadPool worker_;
};

}  // namespace exile::app
