// ChatListModel: the chat list, newest activity first. Filled from Engine::chats() (and, while a
// search runs, narrowed to the chats Engine::search() matched); it never calls the engine itself.
//
// Roles (QML names):
//   chatId (qint64), name (string), state ("active", "requested", "pending"), verified (bool),
//   timerSeconds (int, 0 = off), unread (int), lastText (string: the last message as one
//   line, preview_line() in model_text.h; empty when none),
//   lastKind ("text", "timer", "undecryptable", "" when none), lastOutgoing (bool),
//   lastState ("queued", "sent", "delivered", "read", "failed", "received", ""),
//   lastTime (QDateTime; invalid when no message: then the chat's creation time is in it)
#pragma once

#include <QAbstractListModel>
#include <QDateTime>
#include <QHash>
#include <QString>
#include <vector>

#include "engine/engine.h"

namespace exile::app {

class ChatListModel final : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

 public:
  enum Role {
    ChatIdRole = Qt::UserRole + 1,
    NameRole,
    StateRole,
    VerifiedRole,
    TimerSecondsRole,
    UnreadRole,
    LastTextRole,
    LastKindRole,
    LastOutgoingRole,
    LastStateRole,
    LastTimeRole,
  };

  explicit ChatListModel(QObject* parent = nullptr);

  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
  [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

  // Replaces the rows, keeping the ones that did not change (so a view keeps its place).
  void set_chats(std::vector<engine::ChatSummary> chats);
  // Shows only these chats (in the list's order); nullopt shows all.
  void set_filter(std::optional<std::vector<engine::ChatId>> chats);
  [[nodiscard]] const engine::ChatSummary* find(engine::ChatId chat) const;
  // Every chat (shown or not) whose contact name contains `query`, ignoring case, in order.
  [[nodiscard]] std::vector<engine::ChatId> named(const QString& query) const;
  // The row of `chat` among those shown; -1 when not shown.
  Q_INVOKABLE int rowOf(qint64 chat) const;

 Q_SIGNALS:
  void countChanged();

 private:
  void rebuild();
  std::vector<engine::ChatSummary> all_;
  std::optional<std::vector<engine::ChatId>> filter_;
  std::vector<const engine::ChatSummary*> shown_;
  std::vector<engine::ChatId> ids_;  // the ids shown, in order (shown_ dangles once all_ changes)
};

}  // namespace exile::app
