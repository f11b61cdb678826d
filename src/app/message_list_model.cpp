#include "app/message_list_model.h"

#include <QLocale>
#include <algorithm>

#include "app/model_text.h"

namespace exile::app {
namespace {

// The time a message shows: ours for both directions (when we sent it, when it arrived).
UnixMillis local_time(const engine::MessageView& m) {
  return m.outgoing ? m.sent_at : m.received_at;
}

QDate local_day(const engine::MessageView& m) { return to_date_time(local_time(m)).date(); }

}  // namespace

MessageListModel::MessageListModel(QObject* parent) : QAbstractListModel(parent) {}

int MessageListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QVariant MessageListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() < 0 || index.row() >= rowCount()) return {};
  const auto row = static_cast<std::size_t>(index.row());
  const auto& m = rows_[row];
  switch (role) {
    case MessageIdRole: return QVariant::fromValue<qint64>(m.id);
    case TextRole: return to_qstring(m.text);
    case OutgoingRole: return m.outgoing;
    case StateRole: return state_name(m.state);
    case KindRole: return kind_name(m.kind);
    case TimerSecondsRole: return static_cast<int>(m.timer_seconds.value_or(0));
    case SentAtRole: return to_date_time(m.sent_at);
    case ReceivedAtRole: return to_date_time(m.received_at);
    case ExpiresAtRole: return m.expires_at ? to_date_time(*m.expires_at) : QDateTime();
    case DayLabelRole: return day_label(row);
    default: return {};
  }
}

QHash<int, QByteArray> MessageListModel::roleNames() const {
  return {{MessageIdRole, "messageId"}, {TextRole, "text"},
          {OutgoingRole, "outgoing"},   {StateRole, "state"},
          {KindRole, "kind"},           {TimerSecondsRole, "timerSeconds"},
          {SentAtRole, "sentAt"},       {ReceivedAtRole, "receivedAt"},
          {ExpiresAtRole, "expiresAt"}, {DayLabelRole, "dayLabel"}};
}

QString MessageListModel::day_label(std::size_t row) const {
  const QDate day = local_day(rows_[row]);
  if (row + 1 < rows_.size()) {
    if (local_day(rows_[row + 1]) == day) return {};
  } else if (!complete_) {
    return {};  // the day may go on in the page not read yet
  }
  const QDate today = QDate::currentDate();
  if (day == today) return tr("Today");
  if (day == today.addDays(-1)) return tr("Yesterday");
  return QLocale().toString(day, QLocale::LongFormat);
}

bool MessageListModel::canFetchMore(const QModelIndex& parent) const {
  return !parent.isValid() && chat_ != 0 && !complete_ && !loading_;
}

void MessageListModel::fetchMore(const QModelIndex& parent) {
  if (!canFetchMore(parent) || !loader_) return;
  loading_ = true;
  Q_EMIT loadingChanged();
  std::optional<engine::MessageId> before;
  if (!rows_.empty()) before = rows_.back().id;
  requested_ = std::clamp(rows_.size(), kPageSize, kMaxPageSize);
  loader_(chat_, before, requested_);
}

void MessageListModel::open(engine::ChatId chat) {
  beginResetModel();
  rows_.clear();
  chat_ = chat;
  complete_ = false;
  loading_ = false;
  endResetModel();
  Q_EMIT chatChanged();
  Q_EMIT countChanged();
  Q_EMIT loadingChanged();
  if (chat_ != 0) fetchMore({});
}

void MessageListModel::page_loaded(engine::ChatId chat, std::optional<engine::MessageId> before,
                                   std::vector<engine::MessageView> page) {
  if (chat != chat_) return;
  const std::optional<engine::MessageId> oldest =
      rows_.empty() ? std::nullopt : std::optional(rows_.back().id);
  if (before != oldest) {  // rows moved meanwhile (a delete): read again from the oldest
    loading_ = false;
    fetchMore({});
    return;
  }
  const bool short_page = page.size() < requested_;
  // Only messages older than every row: new ones arrived through upsert() meanwhile.
  std::erase_if(page, [&](const auto& m) { return oldest && m.id >= *oldest; });
  std::sort(page.begin(), page.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
  const bool was_complete = complete_;
  complete_ = short_page;
  loading_ = false;
  if (!page.empty()) {
    const int first = rowCount();
    beginInsertRows({}, first, first + static_cast<int>(page.size()) - 1);
    rows_.insert(rows_.end(), page.begin(), page.end());
    endInsertRows();
    Q_EMIT countChanged();
    // The row that was the oldest may lose (or gain) its day label now.
    if (first > 0) Q_EMIT dataChanged(index(first - 1), index(first - 1), {DayLabelRole});
  }
  if (complete_ != was_complete && !rows_.empty()) {
    Q_EMIT dataChanged(index(rowCount() - 1), index(rowCount() - 1), {DayLabelRole});
  }
  Q_EMIT loadingChanged();
}

void MessageListModel::upsert(const engine::MessageView& message) {
  if (message.chat != chat_) return;
  // rows_ is sorted by id, descending: the first row whose id is not greater.
  const auto it = std::lower_bound(rows_.begin(), rows_.end(), message.id,
                                   [](const auto& m, engine::MessageId id) { return m.id > id; });
  const int row = static_cast<int>(it - rows_.begin());
  if (it != rows_.end() && it->id == message.id) {
    *it = message;
    Q_EMIT dataChanged(index(row), index(row));
    return;
  }
  if (it == rows_.end() && !complete_) return;  // older than what is loaded: its page has it
  beginInsertRows({}, row, row);
  rows_.insert(it, message);
  endInsertRows();
  Q_EMIT countChanged();
  if (row + 1 < rowCount()) Q_EMIT dataChanged(index(row + 1), index(row + 1), {DayLabelRole});
}

void MessageListModel::remove(engine::MessageId message) {
  const int row = rowOf(message);
  if (row < 0) return;
  beginRemoveRows({}, row, row);
  rows_.erase(rows_.begin() + row);
  endRemoveRows();
  Q_EMIT countChanged();
  if (row < rowCount()) Q_EMIT dataChanged(index(row), index(row), {DayLabelRole});
}

const engine::MessageView* MessageListModel::find(engine::MessageId message) const {
  const int row = rowOf(message);
  return row < 0 ? nullptr : &rows_[static_cast<std::size_t>(row)];
}

std::optional<engine::MessageId> MessageListModel::newest_incoming() const {
  for (const auto& m : rows_) {
    if (!m.outgoing) return m.id;
  }
  return std::nullopt;
}

void MessageListModel::retranslate() {
  if (!rows_.empty()) Q_EMIT dataChanged(index(0), index(rowCount() - 1), {DayLabelRole});
}

int MessageListModel::rowOf(qint64 message) const {
  const auto it = std::lower_bound(rows_.begin(), rows_.end(), message,
                                   [](const auto& m, qint64 id) { return m.id > id; });
  if (it == rows_.end() || it->id != message) return -1;
  return static_cast<int>(it - rows_.begin());
}

}  // namespace exile::app
