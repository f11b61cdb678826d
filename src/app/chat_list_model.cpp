#include "app/chat_list_model.h"

#include <algorithm>

#include "app/model_text.h"

namespace exile::app {

ChatListModel::ChatListModel(QObject* parent) : QAbstractListModel(parent) {}

int ChatListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(shown_.size());
}

QVariant ChatListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() < 0 || index.row() >= rowCount()) return {};
  const auto& c = *shown_[static_cast<std::size_t>(index.row())];
  const auto& last = c.last_message;
  switch (role) {
    case ChatIdRole: return QVariant::fromValue<qint64>(c.id);
    case NameRole: return to_qstring(c.contact_name);
    case StateRole: return chat_state_name(c.state);
    case VerifiedRole: return c.verified;
    case TimerSecondsRole: return static_cast<int>(c.timer_seconds.value_or(0));
    case UnreadRole: return static_cast<int>(c.unread);
    case LastTextRole: return last ? preview_line(last->text) : QString();
    case LastKindRole: return last ? kind_name(last->kind) : QString();
    case LastOutgoingRole: return last && last->outgoing;
    case LastStateRole: return last ? state_name(last->state) : QString();
    case LastTimeRole:
      return to_date_time(last ? (last->outgoing ? last->sent_at : last->received_at)
                               : c.created_at);
    default: return {};
  }
}

QHash<int, QByteArray> ChatListModel::roleNames() const {
  return {{ChatIdRole, "chatId"},
          {NameRole, "name"},
          {StateRole, "state"},
          {VerifiedRole, "verified"},
          {TimerSecondsRole, "timerSeconds"},
          {UnreadRole, "unread"},
          {LastTextRole, "lastText"},
          {LastKindRole, "lastKind"},
          {LastOutgoingRole, "lastOutgoing"},
          {LastStateRole, "lastState"},
          {LastTimeRole, "lastTime"}};
}

void ChatListModel::set_chats(std::vector<engine::ChatSummary> chats) {
  all_ = std::move(chats);
  rebuild();
}

void ChatListModel::set_filter(std::optional<std::vector<engine::ChatId>> chats) {
  filter_ = std::move(chats);
  rebuild();
}

const engine::ChatSummary* ChatListModel::find(engine::ChatId chat) const {
  const auto it =
      std::find_if(all_.begin(), all_.end(), [&](const auto& c) { return c.id == chat; });
  return it == all_.end() ? nullptr : &*it;
}

std::vector<engine::ChatId> ChatListModel::named(const QString& query) const {
  std::vector<engine::ChatId> out;
  for (const auto& c : all_) {
    if (to_qstring(c.contact_name).contains(query, Qt::CaseInsensitive)) out.push_back(c.id);
  }
  return out;
}

int ChatListModel::rowOf(qint64 chat) const {
  for (std::size_t i = 0; i < shown_.size(); ++i) {
    if (shown_[i]->id == chat) return static_cast<int>(i);
  }
  return -1;
}

void ChatListModel::rebuild() {
  std::vector<const engine::ChatSummary*> next;
  for (const auto& c : all_) {
    if (!filter_ || std::find(filter_->begin(), filter_->end(), c.id) != filter_->end()) {
      next.push_back(&c);
    }
  }
  const bool same_rows = next.size() == shown_.size();
  bool same_order = same_rows;
  if (same_rows) {
    // shown_ points into the old all_, which is gone: compare by the ids kept in `ids_`.
    for (std::size_t i = 0; i < next.size() && same_order; ++i) {
      same_order = next[i]->id == ids_[i];
    }
  }
  if (same_order) {
    shown_ = std::move(next);
    if (!shown_.empty()) Q_EMIT dataChanged(index(0), index(rowCount() - 1));
  } else {
    beginResetModel();
    shown_ = std::move(next);
    endResetModel();
  }
  ids_.clear();
  for (const auto* c : shown_) ids_.push_back(c->id);
  if (!same_rows) Q_EMIT countChanged();
}

}  // namespace exile::app
