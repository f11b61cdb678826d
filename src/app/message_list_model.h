// MessageListModel: the open chat's messages, newest first (row 0 is the newest), loaded in pages
// of 50 as a view scrolls towards the oldest (canFetchMore/fetchMore). A ListView with
// verticalLayoutDirection: ListView.BottomToTop shows it as a chat: newest at the bottom.
//
// The model holds rows only; the controller feeds it (pages, added, changed and deleted
// messages) from engine calls made off the UI thread.
//
// Roles (QML names):
//   messageId (qint64), text (string), outgoing (bool),
//   state ("queued", "sent", "delivered", "read", "failed", "received"),
//   kind ("text", "timer", "undecryptable"), timerSeconds (int: for kind "timer", the new timer,
//   0 = off; for a text, the timer it carries), sentAt (QDateTime), receivedAt (QDateTime),
//   expiresAt (QDateTime; invalid until its countdown runs),
//   dayLabel (string: non-empty on the oldest message of each day, e.g. "Monday, 7 December
//   2026" in the UI language; the view shows it above that message)
#pragma once

#include <QAbstractListModel>
#include <QDateTime>
#include <QHash>
#include <functional>
#include <optional>
#include <vector>

#include "engine/engine.h"

namespace exile::app {

class MessageListModel final : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(qint64 chatId READ chatId NOTIFY chatChanged)
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
  // True while a page is being read.
  Q_PROPERTY(bool loading READ loading NOTIFY loadingChanged)
  // True once the oldest message is in the model.
  Q_PROPERTY(bool complete READ complete NOTIFY loadingChanged)

 public:
  enum Role {
    MessageIdRole = Qt::UserRole + 1,
    TextRole,
    OutgoingRole,
    StateRole,
    KindRole,
    TimerSecondsRole,
    SentAtRole,
    ReceivedAtRole,
    ExpiresAtRole,
    DayLabelRole,
  };
  // The first page; each later one is as long as what is loaded already (a view scrolling far
  // back reads 50, 50, 100, 200, … rows), at most kMaxPageSize: a chat of 50,000 messages is
  // read to its start in about 55 reads instead of 1,000, while opening a chat reads 50.
  static constexpr std::size_t kPageSize = 50;
  static constexpr std::size_t kMaxPageSize = 1000;

  // `load_page(chat, before, limit)` starts reading up to `limit` messages older than `before`
  // (none: the newest); the controller answers with page_loaded().
  using PageLoader = std::function<void(
      engine::ChatId chat, std::optional<engine::MessageId> before, std::size_t limit)>;

  explicit MessageListModel(QObject* parent = nullptr);

  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
  [[nodiscard]] QHash<int, QByteArray> roleNames() const override;
  [[nodiscard]] bool canFetchMore(const QModelIndex& parent) const override;
  void fetchMore(const QModelIndex& parent) override;

  void set_loader(PageLoader loader) { loader_ = std::move(loader); }
  // Empties the model and shows `chat` (0: none); reads its newest page.
  void open(engine::ChatId chat);
  // A page the loader read (newest first), older than every row; ignored if the chat changed.
  void page_loaded(engine::ChatId chat, std::optional<engine::MessageId> before,
                   std::vector<engine::MessageView> page);
  // A message to insert (if new) or replace (if known), wherever it belongs by id.
  void upsert(const engine::MessageView& message);
  void remove(engine::MessageId message);
  [[nodiscard]] const engine::MessageView* find(engine::MessageId message) const;
  [[nodiscard]] std::optional<engine::MessageId> newest_incoming() const;
  // The day labels again, in the language now installed.
  void retranslate();
  // The row of `message`; -1 when not loaded.
  Q_INVOKABLE int rowOf(qint64 message) const;

  [[nodiscard]] qint64 chatId() const { return chat_; }
  [[nodiscard]] bool loading() const { return loading_; }
  [[nodiscard]] bool complete() const { return complete_; }

 Q_SIGNALS:
  void chatChanged();
  void countChanged();
  void loadingChanged();

 private:
  [[nodiscard]] QString day_label(std::size_t row) const;
  PageLoader loader_;
  engine::ChatId chat_ = 0;
  std::vector<engine::MessageView> rows_;  // newest first
  bool loading_ = false;
  bool complete_ = false;
  std::size_t requested_ = kPageSize;  // the limit of the read in progress
};

}  // namespace exile::app
